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

    def crash(tmp):
        raise KeyboardInterrupt("killed before the swap")

    with pytest.raises(KeyboardInterrupt):
        build_snapshot(paths, TABLES, _before_rename=crash)
    assert digest(paths.snapshot) == before
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
