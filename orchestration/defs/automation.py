"""Jobs, the daily schedule and the landing sensor.

- `ingest_job` (daily-partitioned): the four ingest assets and their checks, plus indicators.
- `analytics_job`: dbt models, graph stage and publish, for the window ending on a day.
- the schedule runs yesterday's partition every morning; the landing sensor starts
  it as soon as a partition's files have arrived (a `_SUCCESS` marker in every
  source folder, or file sizes unchanged since the previous tick); a re-delivered
  partition (new fingerprint) runs again. A successful ingest run triggers the
  analytics run for its day.
"""
import hashlib
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg

from ..assets.ingest import INGEST_GROUP
from ..contract import PARTITIONED_SOURCES
from ..ingest import is_data_name, is_jsonl_name, landed_partitions, partition_dir
from ..partitions import daily_partitions
from ..settings import landing_dir

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups(INGEST_GROUP) - dg.AssetSelection.keys(["bronze", "indicators"]),
    partitions_def=daily_partitions,
    description="Land one day of raw logs: validate, pseudonymise, load bronze, run the bronze checks.",
)
analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.keys(["bronze", "indicators"]) | dg.AssetSelection.groups("warehouse", "graph", "publish"),
    description="dbt models, graph metrics, network detection, quality gates and publication.",
)

def scheduled_partition_key(scheduled_at: datetime) -> str:
    """The day a morning run ingests: the one that ended before it (pure). The partitions run to
    today (end_offset=1, so files that land early can start it from the sensor), so the schedule
    names its day rather than taking the newest partition."""
    return (scheduled_at.date() - timedelta(days=1)).isoformat()


def has_daily_partition(key: str) -> bool:
    """Whether a day has a daily partition now: from THREATGRAPH_START_DATE to tomorrow (UTC)."""
    return daily_partitions.has_partition_key(key)


@dg.schedule(cron_schedule="0 3 * * *", job=ingest_job, execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Every morning at 03:00 UTC, ingests the day before (its run also checks it); "
                         "the analytics_after_ingest sensor then builds and publishes the window.")
def daily_ingest_schedule(context: dg.ScheduleEvaluationContext):
    key = scheduled_partition_key(context.scheduled_execution_time)
    if not has_daily_partition(key):
        return dg.SkipReason(f"{key} is before the first daily partition (THREATGRAPH_START_DATE)")
    return dg.RunRequest(run_key=f"scheduled:{key}", partition_key=key)


def partition_fingerprint(landing: Path, dt: date) -> tuple[bool, str, int]:
    """(every source folder has a _SUCCESS marker, fingerprint of the data files, how many of them
    the contract reads: .jsonl or .jsonl.gz).

    The fingerprint covers each data file's name, size and modification time: a corrected file
    re-delivered with the same size is still a re-delivery."""
    complete = True
    parts = []
    for source in PARTITIONED_SOURCES:
        folder = partition_dir(landing, source, dt)
        if not (folder / "_SUCCESS").exists():
            complete = False
        if folder.is_dir():
            for p in sorted(folder.iterdir()):
                if p.is_file() and is_data_name(p.name):
                    st = p.stat()
                    parts.append((f"{source}/{p.name}", st.st_size, st.st_mtime_ns))
    readable = sum(1 for name, *_ in parts if is_jsonl_name(name))
    return complete, hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16], readable


def partitions_to_start(landing: Path, previous: dict[str, str],
                        has_partition=has_daily_partition) -> tuple[list[tuple[str, str]], dict[str, str], list[str]]:
    """Pure decision of the landing sensor (`has_partition` says which days have a partition now).

    A partition starts when it is complete (_SUCCESS markers) or when its data files did not
    change since the previous tick (stable); a day without any data file does not start on
    stability alone (with markers it does: the producer says the day was empty, which the volume
    checks report). It starts again only when its fingerprint changes (re-delivery). A day
    outside the daily partitions (before THREATGRAPH_START_DATE, or a producer's clock ahead) is
    left out, and of the cursor too, so it is considered afresh once it has a partition. Returns
    (partition, run_key) to start, the new cursor state (partition -> last fingerprint seen) and
    the days left out.
    """
    to_start, state, out_of_range = [], {}, []
    for dt in landed_partitions(landing):
        key = dt.isoformat()
        if not has_partition(key):
            out_of_range.append(key)
            continue
        complete, fp, n_files = partition_fingerprint(landing, dt)
        prev = previous.get(key, "")
        started = prev.startswith("started:")
        prev_fp = prev.removeprefix("started:")
        stable = prev_fp == fp and n_files > 0
        if (complete or stable) and not (started and prev_fp == fp):
            to_start.append((key, f"{key}:{fp}"))
            state[key] = f"started:{fp}"
        else:
            state[key] = prev if started and prev_fp == fp else fp
    return to_start, state, out_of_range


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts ingest_job for a landing day as soon as its files are complete (a _SUCCESS "
                       "marker in every source folder) or unchanged for a minute, and again when they are re-delivered.")
def landing_sensor(context: dg.SensorEvaluationContext):
    previous = json.loads(context.cursor) if context.cursor else {}
    to_start, state, out_of_range = partitions_to_start(Path(landing_dir()), previous)
    if out_of_range:
        context.log.warning(f"landing days without a daily partition, not started: {', '.join(out_of_range)} "
                            "(before THREATGRAPH_START_DATE, or after tomorrow UTC)")
    for partition_key, run_key in to_start:
        yield dg.RunRequest(run_key=run_key, partition_key=partition_key)
    context.update_cursor(json.dumps(state, sort_keys=True))


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[ingest_job], request_job=analytics_job,
                      default_status=dg.DefaultSensorStatus.STOPPED,
                      description="After each successful ingest run, runs analytics_job: dbt, graph, checks and "
                                  "publication of the window ending on the newest day in bronze.")
def analytics_after_ingest(context: dg.RunStatusSensorContext):
    day = ingested_day(context.dagster_run.tags)
    if day:
        # the window ends on the newest day in bronze, not on this one: a re-delivered old day
        # must not move the analysts' snapshot back in time
        return dg.RunRequest(run_key=f"analytics:{day}:{context.dagster_run.run_id}",
                             run_config=analytics_run_config(None))


def ingested_day(run_tags: dict) -> str | None:
    """The last day an ingest run covered (pure): its partition, or the end of a single-run
    backfill's range (ingest_job's BackfillPolicy.single_run tags a range, not a partition)."""
    return run_tags.get("dagster/partition") or run_tags.get("dagster/asset_partition_range_end")


def analytics_run_config(window_end: str | None, graph_engine: str = "auto") -> dict:
    """Run config of the analytics job for the window ending on `window_end`, or on the newest
    day in bronze when None (pure)."""
    from ..assets.dbt import warehouse_dbt_models

    return {"ops": {
        warehouse_dbt_models.op.name: {"config": {"window_end": window_end or ""}},
        "network_marts": {"config": {"graph_engine": graph_engine}},
    }}


defs = dg.Definitions(
    jobs=[ingest_job, analytics_job],
    schedules=[daily_ingest_schedule],
    sensors=[landing_sensor, analytics_after_ingest],
)
