"""Small pure pieces of the orchestration: partition selection, definitions load."""
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from orchestration.ingest import is_data_name, landed_partitions
from orchestration.partitions import partition_keys_between, select_partition_keys

ROOT = Path(__file__).resolve().parents[1]


def test_partition_keys_between():
    assert partition_keys_between(date(2026, 2, 27), date(2026, 3, 1)) == ["2026-02-27", "2026-02-28", "2026-03-01"]
    with pytest.raises(ValueError):
        partition_keys_between(date(2026, 3, 2), date(2026, 3, 1))


def test_select_partition_keys():
    landed = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 4)]
    assert select_partition_keys(landed, None, None) == ["2026-11-01", "2026-11-02", "2026-11-04"]
    assert select_partition_keys(landed, date(2026, 11, 2), None) == ["2026-11-02", "2026-11-04"]
    # an explicit range covers missing days too: an empty day must show, not vanish
    assert select_partition_keys(landed, date(2026, 11, 2), date(2026, 11, 4)) == ["2026-11-02", "2026-11-03", "2026-11-04"]


def test_landed_partitions_ignores_non_data(tmp_path):
    (tmp_path / "events" / "dt=2026-11-02").mkdir(parents=True)
    (tmp_path / "accounts" / "dt=2026-11-01").mkdir(parents=True)
    (tmp_path / "events" / "dt=garbage").mkdir(parents=True)
    (tmp_path / "events" / "_tmp").mkdir(parents=True)
    assert landed_partitions(tmp_path) == [date(2026, 11, 1), date(2026, 11, 2)]
    assert not is_data_name("_SUCCESS") and not is_data_name(".part") and is_data_name("part-0.jsonl")


def test_definitions_validate():
    """What CI's `dagster definitions validate` does: the code location loads."""
    p = subprocess.run([str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "Validation successful" in p.stderr + p.stdout


def test_instance_config_limits_the_duckdb_writer_pool(tmp_path, monkeypatch):
    import shutil

    import dagster as dg

    shutil.copy(ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    instance = dg.DagsterInstance.get()
    try:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    finally:
        instance.dispose()


def test_every_warehouse_writer_is_in_the_duckdb_pool():
    import dagster as dg

    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    # dbt sources the pipeline does not build itself (bronze.ingest_files, written by every ingest
    # asset) are external assets: nothing runs for them
    writers = [k for k in graph.get_all_asset_keys() if k.path[0] in ("bronze", "staging", "intermediate", "marts", "graph", "serving")
               and graph.get(k).is_materializable]
    assert writers and dg.AssetKey(["bronze", "ingest_files"]) not in writers
    for key in writers:
        node = graph.get(key)
        assert "duckdb_writer" in (node.pools or set()), key


def test_only_error_checks_and_failed_steps_block_publication():
    from types import SimpleNamespace

    import dagster as dg

    from orchestration.runner import blocking_failures

    def ev(name, passed, severity, description=None):
        return SimpleNamespace(asset_key=dg.AssetKey(["bronze", "events"]), check_name=name, passed=passed, severity=severity,
                               description=description)

    result = SimpleNamespace(
        get_asset_check_evaluations=lambda: [ev("gx_ok", True, dg.AssetCheckSeverity.ERROR),
                                             ev("ip_in_free_text", False, dg.AssetCheckSeverity.WARN),
                                             ev("volume_vs_recent_partitions", False, dg.AssetCheckSeverity.ERROR, "collapse")],
        all_events=[SimpleNamespace(event_type_value="STEP_FAILURE", step_key="network_marts"),
                    SimpleNamespace(event_type_value="STEP_SUCCESS", step_key="graph__coordination_graph")],
    )
    assert blocking_failures(result) == ["bronze/events:volume_vs_recent_partitions (ERROR): collapse", "step network_marts failed"]
    from orchestration.runner import failed_checks

    assert failed_checks(result, blocking=False) == ["bronze/events:ip_in_free_text (WARN)"]


def test_ingest_metadata_of_a_backfill_adds_up_both_lanes():
    from orchestration.assets.ingest import ingest_metadata, merge_results
    from orchestration.ingest import FileCounts, PartitionResult

    day1 = PartitionResult("events", None, files=[FileCounts("events/dt=1/a.jsonl", 10, 8, 1, 1)], fast_loaded=6,
                           quarantine=[("events/dt=1/a.jsonl", 3, "not JSON: x", "{")])
    day2 = PartitionResult("events", None, files=[FileCounts("events/dt=2/a.jsonl", 5, 5, 0, 0)], fast_loaded=0)
    meta = ingest_metadata(merge_results([day1, day2]))
    assert (meta["lines_read"], meta["loaded"], meta["duplicates"], meta["invalid"]) == (15, 13, 1, 1)
    assert meta["loaded_in_bulk"] == 6 and meta["counts_reconcile"] is True


def test_pipeline_duckdb_connections_are_held_to_the_memory_limit(tmp_path, monkeypatch):
    """THREATGRAPH_DUCKDB_MEMORY_LIMIT holds the pipeline's own warehouse connections too, not only dbt's."""
    import duckdb

    from orchestration.checks.gx_checks import connect_read_only
    from orchestration.warehouse import connect_warehouse

    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    default = duckdb.connect().execute("SELECT current_setting('memory_limit')").fetchone()[0]
    monkeypatch.delenv("THREATGRAPH_DUCKDB_MEMORY_LIMIT", raising=False)
    con = connect_warehouse(db, read_only=True)
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == default  # DuckDB's own 80%
    con.close()
    monkeypatch.setenv("THREATGRAPH_DUCKDB_MEMORY_LIMIT", "1GB")
    con = connect_read_only(db)  # the quality checks' reader
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
    con.close()
    monkeypatch.setenv("THREATGRAPH_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(duckdb.Error, match="(?i)memory"):
        connect_warehouse(db)


def test_partition_range_problem_names_the_days_and_the_fix():
    from orchestration.partitions import partition_range_problem

    assert partition_range_problem(["2026-01-01", "2026-11-03"], "2026-01-01", "2026-11-28") is None
    assert partition_range_problem(["2025-12-30", "2025-12-31", "2026-01-01"], "2026-01-01", "2026-11-28") == (
        "2 day(s) from 2025-12-30 are before the first daily partition 2026-01-01; "
        "set THREATGRAPH_START_DATE=2025-12-30 to ingest them")
    assert "after the last daily partition 2026-11-28" in partition_range_problem(["2026-12-20"], "2026-01-01", "2026-11-28")


def test_user_errors_are_messages_not_tracebacks(tmp_path, capsys, monkeypatch):
    from generator import synth
    from orchestration.cli import main

    landing = tmp_path / "landing"
    assert main(["generate", "--landing", str(landing), "--accounts", "100"]) == 2
    assert "--accounts >= 200" in capsys.readouterr().err
    synth.generate(landing, days=1, accounts=200, seed=1, start=date(2025, 12, 31))
    with pytest.raises(SystemExit) as stop:
        main(["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w"), "--start", "2026-11-03", "--end", "2026-11-01"])
    assert stop.value.code == 2 and "--end 2026-11-01 is before --start 2026-11-03" in capsys.readouterr().err
    afile = tmp_path / "afile"
    afile.write_text("")
    assert main(["run", "--landing", str(landing), "--warehouse", str(afile)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["run", "--landing", str(afile), "--warehouse", str(tmp_path / "w")]) == 2
    assert "landing folder" in capsys.readouterr().err
    assert main(["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w")]) == 2
    assert "set THREATGRAPH_START_DATE=2025-12-31" in capsys.readouterr().err
    monkeypatch.setenv("THREATGRAPH_START_DATE", "2026-13-01")
    from orchestration.settings import SettingsError, partition_start

    with pytest.raises(SettingsError, match="THREATGRAPH_START_DATE is not a date"):
        partition_start()


def test_a_bad_start_date_setting_is_a_message(tmp_path):
    import os

    env = dict(os.environ, THREATGRAPH_START_DATE="2026-13-01")
    p = subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--landing", str(tmp_path), "--warehouse",
                        str(tmp_path / "w")], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "THREATGRAPH_START_DATE is not a date (YYYY-MM-DD): '2026-13-01'" in p.stderr


def test_run_refuses_a_foreign_pseudonym_key_before_ingesting(tmp_path, capsys, monkeypatch):
    from generator import synth
    from orchestration.pseudonymize import check_key_fingerprint
    from orchestration.runner import run_pipeline
    from orchestration.warehouse import WarehousePaths

    synth.generate(tmp_path / "landing", days=1, accounts=200, seed=1)
    paths = WarehousePaths(tmp_path / "wh")
    check_key_fingerprint(paths.key_fingerprint_file, b"the-original-key")
    monkeypatch.setenv("THREATGRAPH_PSEUDONYM_KEY", "another-key")
    assert run_pipeline(tmp_path / "landing", paths.root, None, None, "local") == 2
    assert "not the one this warehouse was built with" in capsys.readouterr().err
    assert not paths.db.exists()  # nothing ingested


def test_every_asset_has_its_own_description():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    about = {key: graph.get(key).description for key in graph.get_all_asset_keys() if graph.has(key) and graph.get(key).is_materializable}
    assert all(about.values()), [k for k, d in about.items() if not d]
    graph_marts = [about[dg_key] for dg_key in about if dg_key.path[0] == "marts" and dg_key.path[1] in ("networks", "network_members", "actor_metrics")]
    assert len(graph_marts) == 3 and len(set(graph_marts)) == 3


def test_only_transient_failures_are_retried():
    from orchestration.assets.dbt import failed_dbt_nodes
    from orchestration.assets.ingest import as_failure, is_transient

    assert is_transient('IO Error: Could not set lock on file "warehouse.duckdb": Conflicting lock is held')
    assert not is_transient("Invalid Input Error: could not parse memory limit 'lots'")
    failure = as_failure(ValueError("bad setting"))
    assert failure.description == "ValueError: bad setting" and failure.allow_retries is False
    assert as_failure(OSError("No space left on device")).allow_retries is True
    results = {"results": [{"unique_id": "test.x.not_null_a", "status": "fail", "message": "Got 3 results"},
                           {"unique_id": "model.x.a", "status": "success", "message": "OK"},
                           {"unique_id": "test.x.warned", "status": "warn", "message": "Got 1 result"}]}
    assert failed_dbt_nodes(results) == ["test.x.not_null_a: fail: Got 3 results"]


def test_sql_stops_a_runaway_query(tmp_path, capsys):
    import time

    import duckdb

    from orchestration.cli import main

    (tmp_path / "serving").mkdir()
    duckdb.connect(str(tmp_path / "serving" / "analytics.duckdb")).execute("CREATE TABLE networks AS SELECT 1 AS n").close()
    started = time.monotonic()
    assert main(["sql", "SELECT count(*) FROM range(100000000) a, range(100000) b", "--warehouse", str(tmp_path),
                 "--timeout", "0.5"]) == 2
    assert time.monotonic() - started < 30
    assert "query stopped after 0.5 s (--timeout)" in capsys.readouterr().err
    assert main(["sql", "SELECT n FROM networks", "--warehouse", str(tmp_path), "--csv", "--timeout", "0.5"]) == 0
    assert capsys.readouterr().out.split() == ["n", "1"]


def test_sql_spills_to_a_private_folder_not_the_shared_serving_one(tmp_path, capsys):
    """DuckDB may write its temp directory even with external access off; by default that is
    <snapshot>.tmp/ in the serving folder, readable and writable by every analyst's query."""
    import duckdb

    from orchestration.cli import main

    serving = tmp_path / "serving"
    serving.mkdir()
    duckdb.connect(str(serving / "analytics.duckdb")).execute("CREATE TABLE actors AS SELECT 'a_1' AS actor_key").close()
    shared_tmp = serving / "analytics.duckdb.tmp"
    shared_tmp.mkdir()  # left by another query's spill, or a crash
    assert main(["sql", f"COPY (SELECT * FROM actors) TO '{shared_tmp / 'dump.csv'}'", "--warehouse", str(tmp_path)]) == 2
    assert not (shared_tmp / "dump.csv").exists()
    capsys.readouterr()
    assert main(["sql", "SELECT current_setting('temp_directory') AS t", "--warehouse", str(tmp_path), "--csv"]) == 0
    spill = capsys.readouterr().out.split()[1]
    assert str(tmp_path) not in spill and "threatgraph-sql-" in spill
    assert not Path(spill).exists()  # removed with the query


def test_sql_into_a_closed_pipe_exits_quietly(tmp_path):
    import duckdb

    (tmp_path / "serving").mkdir()
    duckdb.connect(str(tmp_path / "serving" / "analytics.duckdb")).execute(
        "CREATE TABLE actor_edges AS SELECT range AS n FROM range(200000)").close()
    exe = Path(sys.executable).parent / "threatgraph"
    for fmt in (["--csv"], []):
        p = subprocess.run(f"'{exe}' sql 'SELECT * FROM actor_edges' --warehouse '{tmp_path}' {' '.join(fmt)} | head -2",
                           shell=True, capture_output=True, text=True, timeout=120, executable="/bin/bash")
        assert len(p.stdout.splitlines()) == 2
        assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr, p.stderr
