"""Atomic publication of the analysts' read-only snapshot.

The snapshot is written aside (a temporary file in the same folder), flushed to
disk, then renamed over the old one. A reader that opened the old file keeps
its inode and reads consistent data; a new reader sees either the old or the
new file, never a half-written one. Analysts never open the writer's database.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .table_docs import comment_statements, table_docs
from .warehouse import WarehousePaths

# Published table -> the warehouse relation it is copied from.
PUBLISHED_TABLES = {
    "actors": "marts.actors",
    "actor_edges": "marts.actor_edges",
    "evidence_edges": "marts.evidence_edges",  # follow rings and co-promotion: why the graph stage linked a pair
    "networks": "marts.networks",
    "network_members": "marts.network_members",
    "network_edges": "marts.network_edges",  # the pairs that formed each network
    "actor_metrics": "marts.actor_metrics",
}


class PublishBlocked(RuntimeError):
    """Publication refused because blocking checks failed; the old snapshot stays."""


@dataclass(frozen=True)
class GateState:
    """The latest evaluation of one blocking check on a published table."""

    check: str
    evaluated_at: float | None  # None: never evaluated (or only planned)
    failed_error: bool = False  # evaluated, not passed, severity ERROR (a failed WARN does not block)


def publication_blockers(built_at: Mapping[str, float | None], gates: Mapping[str, Sequence[GateState]]) -> list[str]:
    """Why the tables may not be published, one line each; empty when they may.

    A table may be published when every blocking check on it was evaluated after its latest build
    and none failed with severity ERROR. Within a run Dagster already skips publication after a
    failed check; this also holds when publication is started on its own (from the UI), after a run
    whose checks failed or whose tables were rebuilt without their checks."""
    reasons = []
    for table, built in built_at.items():
        if built is None:
            reasons.append(f"{table}: never built")
            continue
        for g in gates.get(table, ()):
            if g.evaluated_at is None or g.evaluated_at < built:
                reasons.append(f"{table}: check {g.check} has not run since the table was last built")
            elif g.failed_error:
                reasons.append(f"{table}: check {g.check} failed")
    return reasons


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_SNAPSHOT_TEMP = re.compile(r"\.analytics\.(\d+)\.tmp\.duckdb(\.wal)?")


def _process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def abandoned_snapshot_files(serving: Path) -> list[Path]:
    """Snapshots being written by a publish whose process is gone (killed before its swap): they
    would stay in the analysts' folder for good. A live process's file is its publish in progress."""
    found = []
    for p in serving.glob(".analytics.*.tmp.duckdb*"):
        m = _SNAPSHOT_TEMP.fullmatch(p.name)
        if m and not _process_is_alive(int(m.group(1))):
            found.append(p)
    return sorted(found)


def build_snapshot(paths: WarehousePaths, tables: dict[str, str] = PUBLISHED_TABLES, before_swap=None) -> dict[str, int]:
    """Copy the published tables into a new snapshot and swap it in. Returns row counts.

    `before_swap()` runs last before the swap: raising there (the run was interrupted) leaves the
    old snapshot, and no temporary file."""
    paths.serving.mkdir(parents=True, exist_ok=True)
    tmp = paths.serving / f".analytics.{os.getpid()}.tmp.duckdb"
    for stale in [tmp, tmp.with_name(tmp.name + ".wal"), *abandoned_snapshot_files(paths.serving)]:
        stale.unlink(missing_ok=True)
    counts = {}
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"ATTACH '{paths.db}' AS wh (READ_ONLY)")
        for name, source in tables.items():
            con.execute(f"CREATE TABLE main.{name} AS SELECT * FROM wh.{source}")
            counts[name] = con.execute(f"SELECT count(*) FROM main.{name}").fetchone()[0]
        con.execute("DETACH wh")
        # the data dictionary travels with the data: duckdb_columns().comment says what a column means
        columns = {name: [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index",
            [name]).fetchall()] for name in tables}
        for statement in comment_statements(columns, table_docs()):
            con.execute(statement)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    _fsync_path(tmp)
    os.chmod(tmp, 0o644)
    if before_swap is not None:
        try:
            before_swap()
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, paths.snapshot)
    _fsync_path(paths.serving)
    return counts
