"""Pure decisions behind the sensor, the schedule and the dbt invocation."""
import json

from orchestration.assets.dbt import DbtWindowConfig, dbt_build_args
from orchestration.defs.automation import analytics_run_config, partitions_to_start


def land(root, day, sources=("accounts", "events", "sessions", "enforcement"), success=True, content=b"{}\n"):
    for s in sources:
        d = root / s / f"dt={day}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "part-0.jsonl").write_bytes(content)
        if success:
            (d / "_SUCCESS").write_bytes(b"")


def test_sensor_starts_complete_partition_once(tmp_path):
    land(tmp_path, "2026-11-01")
    start, state = partitions_to_start(tmp_path, {})
    assert [k for k, _ in start] == ["2026-11-01"]
    again, state2 = partitions_to_start(tmp_path, state)
    assert again == [] and state2 == state


def test_sensor_waits_for_stable_sizes_without_marker(tmp_path):
    land(tmp_path, "2026-11-02", success=False)
    start, state = partitions_to_start(tmp_path, {})
    assert start == []  # first sight: not yet known to be stable
    land(tmp_path, "2026-11-02", success=False, content=b"{}\n{}\n")  # still growing
    start, state = partitions_to_start(tmp_path, state)
    assert start == []
    start, state = partitions_to_start(tmp_path, state)  # unchanged since last tick
    assert [k for k, _ in start] == ["2026-11-02"]


def test_sensor_restarts_redelivered_partition(tmp_path):
    land(tmp_path, "2026-11-03")
    start1, state = partitions_to_start(tmp_path, {})
    land(tmp_path, "2026-11-03", content=b'{"corrected": true}\n')
    start2, state = partitions_to_start(tmp_path, state)
    assert len(start2) == 1 and start2[0][1] != start1[0][1]


def test_dbt_build_args():
    assert dbt_build_args(DbtWindowConfig()) == ["build"]
    args = dbt_build_args(DbtWindowConfig(window_end="2026-11-03", window_days=7))
    assert args[:2] == ["build", "--vars"] and json.loads(args[2]) == {"window_end": "2026-11-03", "window_days": 7}


def test_analytics_run_config_targets_real_ops():
    from orchestration.definitions import defs

    cfg = analytics_run_config("2026-11-03", "local")
    job = defs.resolve_job_def("analytics_job")
    node_names = {n.name for n in job.graph.nodes}
    assert set(cfg["ops"]) <= node_names
    assert cfg["ops"]["network_marts"]["config"]["graph_engine"] == "local"


def test_the_morning_schedule_ingests_the_day_before():
    from datetime import datetime, timezone

    import dagster as dg

    from orchestration.defs.automation import daily_ingest_schedule, scheduled_partition_key

    assert scheduled_partition_key(datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)) == "2026-11-26"
    assert scheduled_partition_key(datetime(2026, 1, 1, 3, 0)) == "2025-12-31"
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc))
    request = daily_ingest_schedule(context)
    assert request.partition_key == "2026-11-27" and request.run_key == "scheduled:2026-11-27"
    assert daily_ingest_schedule.cron_schedule == "0 3 * * *" and daily_ingest_schedule.job_name == "ingest_job"


def test_analytics_follows_single_runs_and_backfill_ranges():
    from orchestration.defs.automation import ingested_day

    assert ingested_day({"dagster/partition": "2026-11-03"}) == "2026-11-03"
    assert ingested_day({"dagster/asset_partition_range_start": "2026-11-01",
                         "dagster/asset_partition_range_end": "2026-11-03"}) == "2026-11-03"
    assert ingested_day({}) is None


def test_window_gate_decisions():
    from datetime import date

    from orchestration.checks.window_checks import missing_days, unverified_days

    d = [date(2026, 11, i) for i in range(1, 8)]
    assert unverified_days({d[0], d[1], d[2]}, {d[0], d[2], d[5]}) == [d[1]]
    assert unverified_days(set(), set()) == []
    # a gap inside the history counts; the days before the first day ever ingested do not
    assert missing_days(d[0], d[6], {d[2], d[3], d[5], d[6]}, first_day=d[2]) == [d[4]]
    assert missing_days(d[0], d[6], set(d), first_day=d[0]) == []
    assert missing_days(d[0], d[6], set(), first_day=None) == []
