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
    start, state, _ = partitions_to_start(tmp_path, {})
    assert [k for k, _ in start] == ["2026-11-01"]
    again, state2, _ = partitions_to_start(tmp_path, state)
    assert again == [] and state2 == state


def test_sensor_waits_for_stable_sizes_without_marker(tmp_path):
    land(tmp_path, "2026-11-02", success=False)
    start, state, _ = partitions_to_start(tmp_path, {})
    assert start == []  # first sight: not yet known to be stable
    land(tmp_path, "2026-11-02", success=False, content=b"{}\n{}\n")  # still growing
    start, state, _ = partitions_to_start(tmp_path, state)
    assert start == []
    start, state, _ = partitions_to_start(tmp_path, state)  # unchanged since last tick
    assert [k for k, _ in start] == ["2026-11-02"]


def test_sensor_restarts_redelivered_partition(tmp_path):
    land(tmp_path, "2026-11-03")
    start1, state, _ = partitions_to_start(tmp_path, {})
    land(tmp_path, "2026-11-03", content=b'{"corrected": true}\n')
    start2, state, _ = partitions_to_start(tmp_path, state)
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


def test_sensor_leaves_days_without_a_partition_out_and_starts_the_others(tmp_path):
    land(tmp_path, "2026-11-10")
    land(tmp_path, "2027-01-01")  # a producer's clock ahead, or a typo
    land(tmp_path, "2025-06-01")  # history before THREATGRAPH_START_DATE
    in_range = {"2026-11-10"}.__contains__
    start, state, out = partitions_to_start(tmp_path, {}, has_partition=in_range)
    assert [k for k, _ in start] == ["2026-11-10"] and sorted(out) == ["2025-06-01", "2027-01-01"]
    assert set(state) == {"2026-11-10"}  # the others are considered afresh once they have a partition
    start, _, out = partitions_to_start(tmp_path, state, has_partition=lambda k: True)
    assert sorted(k for k, _ in start) == ["2025-06-01", "2027-01-01"] and out == []


def test_sensor_tick_with_a_day_beyond_the_partitions_does_not_fail(tmp_path, monkeypatch):
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.defs.automation import landing_sensor

    land(tmp_path, "2026-11-10")
    land(tmp_path, "2099-01-01")
    monkeypatch.setenv("THREATGRAPH_LANDING", str(tmp_path))
    result = landing_sensor.evaluate_tick(dg.build_sensor_context(definitions=defs))
    assert [r.partition_key for r in result.run_requests] == ["2026-11-10"]
    assert "2099-01-01" not in json.loads(result.cursor)


def test_sensor_restarts_a_corrected_file_of_the_same_size(tmp_path):
    import os

    land(tmp_path, "2026-11-04", content=b'{"a": 1}\n')
    start1, state, _ = partitions_to_start(tmp_path, {})
    f = tmp_path / "events" / "dt=2026-11-04" / "part-0.jsonl"
    f.write_bytes(b'{"a": 2}\n')
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 1_000_000_000))
    start2, state, _ = partitions_to_start(tmp_path, state)
    assert len(start1) == 1 and len(start2) == 1 and start2[0][1] != start1[0][1]


def test_sensor_does_not_start_a_day_without_data_files(tmp_path):
    for source in ("accounts", "events", "sessions", "enforcement"):
        (tmp_path / source / "dt=2026-11-12").mkdir(parents=True)
    (tmp_path / "events" / "dt=2026-11-12" / "notes.txt").write_bytes(b"not data\n")
    start, state, _ = partitions_to_start(tmp_path, {})
    start, state, _ = partitions_to_start(tmp_path, state)  # "stable", but nothing to ingest
    assert start == []
    land(tmp_path, "2026-11-12", success=False)
    start, state, _ = partitions_to_start(tmp_path, state)
    start, state, _ = partitions_to_start(tmp_path, state)
    assert [k for k, _ in start] == ["2026-11-12"]


def test_sensor_starts_a_day_the_producer_marked_complete_and_empty(tmp_path):
    for source in ("accounts", "events", "sessions", "enforcement"):
        (tmp_path / source / "dt=2026-11-13").mkdir(parents=True)
        (tmp_path / source / "dt=2026-11-13" / "_SUCCESS").write_bytes(b"")
    start, _, _ = partitions_to_start(tmp_path, {})
    assert [k for k, _ in start] == ["2026-11-13"]  # an empty day is news: the volume checks say so


def test_the_schedule_skips_a_day_before_the_first_partition():
    from datetime import datetime, timezone

    import dagster as dg

    from orchestration.defs.automation import daily_ingest_schedule

    context = dg.build_schedule_context(scheduled_execution_time=datetime(2020, 1, 1, 3, 0, tzinfo=timezone.utc))
    assert isinstance(daily_ingest_schedule(context), dg.SkipReason)
