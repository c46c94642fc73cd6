"""The code location: each stage's definitions (orchestration/defs/), merged.

Where a table is made: bronze in defs/ingest.py (orchestration/ingest.py),
dbt models in defs/warehouse.py (dbt_project/models/), networks and metrics in
defs/graph.py (graph_jobs/), the analysts' snapshot in defs/publish.py.
"""
import dagster as dg

from .defs import automation, graph, ingest, publish, quality, warehouse
from .resources import PlatformStorage, default_storage


def build_definitions(storage: PlatformStorage) -> dg.Definitions:
    return dg.Definitions.merge(
        ingest.defs,
        warehouse.defs,
        graph.defs,
        publish.defs,
        quality.defs,
        automation.defs,
        dg.Definitions(resources={"storage": storage}),
    )


defs = build_definitions(default_storage())
