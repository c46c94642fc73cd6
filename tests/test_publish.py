"""Atomic publication: readers never see a half-written snapshot; a failed publish changes nothing."""
import hashlib
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import build_snapshot
from orchestration.warehouse import WarehousePaths

TABLES = {"networks": "marts.networks"}


def make_warehouse(paths: WarehousePaths, n: int) -> None:
    paths.root.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(paths.db))
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(f"CREATE OR REPLACE TABLE marts.networks AS SELECT 'net_' || i AS network_id, {n} AS generation FROM range({n}) t(i)")
    con.close()


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_publish_swaps_in_new_snapshot(tmp_path):
    paths = WarehousePaths(tmp_path)
    make_warehouse(paths, 10)
    assert build_snapshot(paths, TABLES) == {"networks": 10}
    make_warehouse(paths, 20)
    build_snapshot(paths, TABLES)
    con = duckdb.connect(str(paths.snapshot), read_only=True)
    assert con.execute("select count(*), min(generation) from networks").fetchone() == (20, 20)
    assert not list(paths.serving.glob(".analytics.*")), "temporary files left behind"


def test_publish_killed_midway_leaves_old_snapshot(tmp_path):
    paths = WarehousePaths(tmp_path)
    make_warehouse(paths, 10)
    build_snapshot(paths, TABLES)
    before = digest(paths.snapshot)
    make_warehouse(paths, 30)

    def crash():
        raise KeyboardInterrupt("interrupted before the swap")

    with pytest.raises(KeyboardInterrupt):
        build_snapshot(paths, TABLES, before_swap=crash)
    assert digest(paths.snapshot) == before
    assert not list(paths.serving.glob(".analytics.*")), "temporary files left behind"
    con = duckdb.connect(str(paths.snapshot), read_only=True)
    assert con.execute("select count(*) from networks").fetchone()[0] == 10
    con.close()  # DuckDB shares one instance per path within a process
    # the next publish cleans up and succeeds
    build_snapshot(paths, TABLES)
    assert duckdb.connect(str(paths.snapshot), read_only=True).execute("select count(*) from networks").fetchone()[0] == 30


def test_reader_during_publish_reads_consistent_data(tmp_path):
    paths = WarehousePaths(tmp_path)
    make_warehouse(paths, 100)
    build_snapshot(paths, TABLES)
    reader = duckdb.connect(str(paths.snapshot), read_only=True)
    assert reader.execute("select count(*), min(generation), max(generation) from networks").fetchone() == (100, 100, 100)
    make_warehouse(paths, 5)
    build_snapshot(paths, TABLES)  # the writer never needs the reader's lock
    # the open reader still sees the complete old generation, never a mix
    assert reader.execute("select count(*), min(generation), max(generation) from networks").fetchone() == (100, 100, 100)
    reader.close()
    fresh = duckdb.connect(str(paths.snapshot), read_only=True)
    assert fresh.execute("select count(*), min(generation), max(generation) from networks").fetchone() == (5, 5, 5)


def test_publication_blockers_need_every_blocking_check_passed_after_the_latest_build():
    from orchestration.publish import GateState, publication_blockers

    gates = {"marts/actors": [GateState("gx_actors", 20.0), GateState("unique_key", 25.0)],
             "marts/networks": [GateState("gx_networks", 31.0)]}
    assert publication_blockers({"marts/actors": 10.0, "marts/networks": 30.0}, gates) == []
    assert publication_blockers({"marts/actors": 22.0, "marts/networks": 30.0}, gates) == [
        "marts/actors: check gx_actors has not run since the table was last built"]
    failed = dict(gates, **{"marts/networks": [GateState("gx_networks", 31.0, failed_error=True)]})
    assert publication_blockers({"marts/actors": 10.0, "marts/networks": 30.0}, failed) == [
        "marts/networks: check gx_networks failed"]
    assert publication_blockers({"marts/actors": None}, {}) == ["marts/actors: never built"]
    assert publication_blockers({"marts/actors": 10.0}, {"marts/actors": [GateState("gx_actors", None)]}) == [
        "marts/actors: check gx_actors has not run since the table was last built"]


def test_publishing_on_its_own_reads_the_latest_check_evaluations():
    """What the publish asset decides on, read from a real Dagster instance: a failed ERROR check
    blocks, a failed WARN check does not, and a table rebuilt without its checks is not trusted."""
    import dagster as dg

    from orchestration.assets.publish import gate_states
    from orchestration.publish import publication_blockers

    verdict = {"passed": True}

    @dg.asset(key=["marts", "actors"])
    def actors():
        return None

    @dg.asset_check(asset=actors, blocking=True)
    def gx_actors():
        return dg.AssetCheckResult(passed=verdict["passed"])

    broken = {"networks": False}

    @dg.asset(key=["marts", "networks"])
    def networks():
        if broken["networks"]:
            raise RuntimeError("build failed")

    @dg.asset_check(asset=networks, blocking=True)
    def only_warns():
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)

    defs = dg.Definitions(assets=[actors, networks], asset_checks=[gx_actors, only_warns])
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    instance = dg.DagsterInstance.ephemeral()

    def blockers():
        return publication_blockers(*gate_states(instance, graph, [actors.key, networks.key]))

    assert blockers() == ["marts/actors: never built", "marts/networks: never built"]
    assert job.execute_in_process(instance=instance).success
    assert blockers() == []  # a failed WARN check does not block
    verdict["passed"] = False
    job.execute_in_process(instance=instance, asset_selection=[actors.key], raise_on_error=False)
    assert blockers() == ["marts/actors: check gx_actors failed"]
    verdict["passed"] = True
    assert dg.materialize([actors], instance=instance).success  # the table alone, no check
    assert blockers() == ["marts/actors: check gx_actors has not run since the table was last built"]
    assert job.execute_in_process(instance=instance).success
    assert blockers() == []
    # a later run whose table failed to build plans the check and skips it: the last evaluation stands
    broken["networks"] = True
    assert not job.execute_in_process(instance=instance, raise_on_error=False).success
    assert blockers() == []


def test_publish_removes_what_a_killed_publish_left_and_spares_a_live_one(tmp_path):
    import subprocess
    import sys

    from orchestration.publish import abandoned_snapshot_files

    paths = WarehousePaths(tmp_path)
    make_warehouse(paths, 5)
    paths.serving.mkdir(parents=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead_files = [paths.serving / f".analytics.{gone.pid}.tmp.duckdb", paths.serving / f".analytics.{gone.pid}.tmp.duckdb.wal"]
        live_file = paths.serving / f".analytics.{live.pid}.tmp.duckdb"
        for f in (*dead_files, live_file):
            f.write_bytes(b"partial")
        assert abandoned_snapshot_files(paths.serving) == sorted(dead_files)
        build_snapshot(paths, TABLES)
        assert sorted(p.name for p in paths.serving.iterdir()) == sorted([live_file.name, "analytics.duckdb"])
    finally:
        live.kill()
        live.wait()
