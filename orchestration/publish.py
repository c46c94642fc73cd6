"""Atomic publication of the analysts' read-only snapshot.

The snapshot is written aside (a temporary file in the same folder), flushed to
disk, then renamed over the old one. A reader that opened the old file keeps
its inode and reads consistent data; a new reader sees either the old or the
new file, never a half-written one. Analysts never open the writer's database.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from .warehouse import WarehousePaths

# Published table -> the warehouse relation it is copied from.
PUBLISHED_TABLES = {
    "actors": "marts.actors",
    "actor_edges": "marts.actor_edges",
    "evidence_edges": "marts.evidence_edges",  # follow rings and co-promotion: why the graph stage linked a pair
    "networks": "marts.networks",
    "network_members": "marts.network_members",
    "actor_metrics": "marts.actor_metrics",
}


class PublishBlocked(RuntimeError):
    """Publication refused because blocking checks failed; the old snapshot stays."""


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build_snapshot(paths: WarehousePaths, tables: dict[str, str] = PUBLISHED_TABLES, _before_rename=None) -> dict[str, int]:
    """Copy the published tables into a new snapshot and swap it in. Returns row counts."""
    paths.serving.mkdir(parents=True, exist_ok=True)
    tmp = paths.serving / f".analytics.{os.getpid()}.tmp.duckdb"
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    counts = {}
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"ATTACH '{paths.db}' AS wh (READ_ONLY)")
        for name, source in tables.items():
            con.execute(f"CREATE TABLE main.{name} AS SELECT * FROM wh.{source}")
            counts[name] = con.execute(f"SELECT count(*) FROM main.{name}").fetchone()[0]
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    _fsync_path(tmp)
    os.chmod(tmp, 0o644)
    if _before_rename is not None:  # test hook: simulate a crash before the swap
        _before_rename(tmp)
    os.replace(tmp, paths.snapshot)
    _fsync_path(paths.serving)
    return counts
