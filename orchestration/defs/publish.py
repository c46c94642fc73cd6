"""Publish stage: the atomic analysts' snapshot."""
import dagster as dg

from ..assets.publish import analytics_snapshot

defs = dg.Definitions(assets=[analytics_snapshot])
