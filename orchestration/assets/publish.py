"""Publish: the analysts' read-only snapshot, swapped in atomically.

It runs only after every upstream asset and its blocking checks succeeded in
the run (Dagster skips it otherwise), so a failed gate leaves the previous
snapshot exactly as it was. Started on its own (from the UI), it reads the
latest check evaluations from the instance and refuses tables whose blocking
checks failed or did not run since they were built.
"""
import dagster as dg

from ..publish import PUBLISHED_TABLES, GateState, build_snapshot, publication_blockers
from ..resources import PlatformStorage
from ..run_guard import interrupt_received
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
    blockers = publication_blockers(*gate_states(context.instance, context.job_def.asset_layer.asset_graph,
                                                 [dg.AssetKey(t.split(".")) for t in PUBLISHED_TABLES.values()]))
    if blockers:
        raise dg.Failure(description="not published, the previous snapshot stays: " + "; ".join(blockers),
                         allow_retries=False)
    counts = build_snapshot(storage.paths, before_swap=_refuse_if_interrupted)
    context.log.info(f"published {storage.paths.snapshot}: {counts}")
    return dg.MaterializeResult(metadata={f"rows_{k}": v for k, v in counts.items()}
                                | {"path": dg.MetadataValue.path(str(storage.paths.snapshot))})


def _refuse_if_interrupted() -> None:
    # A run stopped by its operator (SIGINT/SIGTERM) must not go on to publish what it built
    # before the stop; Dagster records the signal rather than failing every later step.
    if interrupt_received():
        raise dg.Failure(description="not published: the run was interrupted (SIGINT/SIGTERM); the previous snapshot stays",
                         allow_retries=False)


def gate_states(instance: dg.DagsterInstance, asset_graph, tables: list[dg.AssetKey]):
    """(latest build time per table, latest completed evaluation of each blocking check per table),
    from the instance's event log: what publication_blockers decides on. Only evaluations count: a
    check a later run planned but skipped (after an upstream failure) neither passes nor fails."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus as Status

    completed = {Status.SUCCEEDED, Status.FAILED}
    built_at, gates = {}, {}
    for key in tables:
        name = key.to_user_string()
        event = instance.get_latest_materialization_event(key)
        built_at[name] = event.timestamp if event else None
        gates[name] = []
        for check in sorted((c for c in asset_graph.get(key).check_keys if asset_graph.get_check_spec(c).blocking),
                            key=lambda c: c.name):
            records = instance.event_log_storage.get_asset_check_execution_history(check, limit=1, status=completed)
            evaluation = records[0].evaluation if records else None
            if evaluation is None:
                gates[name].append(GateState(check.name, None))
                continue
            gates[name].append(GateState(check.name, records[0].event.timestamp,
                                         not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR))
    return built_at, gates
