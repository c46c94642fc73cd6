"""Ingest stage: landing -> bronze."""
import dagster as dg

from ..assets.ingest import ingest_assets

defs = dg.Definitions(assets=ingest_assets)
