"""Publish: the analysts' read-only snapshot, swapped in atomically.

It runs only after every upstream asset and its blocking checks succeeded in
the run (Dagster skips it otherwise), so a failed gate leaves the previous
snapshot exactly as it was.
"""
import dagster as dg

from ..publish import PUBLISHED_TABLES, build_snapshot
from ..resources import PlatformStorage
from .ingest import DUCKDB_WRITER_POOL, TRANSIENT_RETRY


@dg.asset(
    key=["serving", "analytics_snapshot"],
    deps=[dg.AssetKey(source.split(".")) for source in PUBLISHED_TABLES.values()],
    group_name="publish",
    pool=DUCKDB_WRITER_POOL,
    retry_policy=TRANSIENT_RETRY,
    kinds={"duckdb"},
    description="<warehouse>/serving/analytics.duckdb: the published, read-only tables analysts query (no raw personal data).",
)
def analytics_snapshot(context: dg.AssetExecutionContext, storage: PlatformStorage) -> dg.MaterializeResult:
    counts = build_snapshot(storage.paths)
    context.log.info(f"published {storage.paths.snapshot}: {counts}")
    return dg.MaterializeResult(metadata={f"rows_{k}": v for k, v in counts.items()}
                                | {"path": dg.MetadataValue.path(str(storage.paths.snapshot))})
