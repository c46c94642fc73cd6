"""The window gate: publication needs every ingested day of the analysis window verified.

Bronze checks gate the days of their own run only. A day whose blocking check failed stays in
bronze as it was written (ingest replaces a partition before its checks run), so without this
gate the next run, for another day, would publish it. `bronze.verified_days` holds the days
whose blocking checks all passed since their last rewrite (orchestration/assets/ingest.py).
"""
from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from ..contract import PARTITIONED_SOURCES
from ..resources import PlatformStorage
from .gate_text import with_gate
from .gx_checks import DUCKDB_WRITER_POOL, connect_read_only

WINDOW_DAYS_VERIFIED = "window_days_verified"
WINDOW_DAYS_LANDED = "window_days_landed"
GATED_ASSET = dg.AssetKey(["marts", "actors"])  # every published table is built from its window


def unverified_days(ingested: set[date], verified: set[date]) -> list[date]:
    """Ingested days of the window that have not passed their checks since their last rewrite."""
    return sorted(ingested - verified)


def missing_days(window_start: date, window_end: date, ingested: set[date], first_day: date | None) -> list[date]:
    """Days of the window nothing was ingested for, from the first day ever ingested on: a gap in
    the landing (the days before a deployment's first day are no gap)."""
    start = max(window_start, first_day) if first_day else window_end + timedelta(days=1)
    days = (start + timedelta(days=i) for i in range((window_end - start).days + 1))
    return [d for d in days if d not in ingested]


def _window_days(storage: PlatformStorage) -> tuple[date, date, set[date], set[date], date | None]:
    con = connect_read_only(storage.paths.db)
    try:
        start, end = con.execute("SELECT window_start, window_end FROM intermediate.int_window").fetchone()
        sources = "source IN (" + ", ".join("?" for _ in PARTITIONED_SOURCES) + ")"
        ingested = {d for (d,) in con.execute(
            f"SELECT DISTINCT dt FROM bronze.ingest_files WHERE dt BETWEEN ? AND ? AND {sources}",
            [start, end, *PARTITIONED_SOURCES]).fetchall()}
        (first_day,) = con.execute(f"SELECT min(dt) FROM bronze.ingest_files WHERE {sources}", PARTITIONED_SOURCES).fetchone()
        verified = {d for (d,) in con.execute(
            "SELECT dt FROM bronze.verified_days WHERE dt BETWEEN ? AND ?", [start, end]).fetchall()}
    finally:
        con.close()
    return start, end, ingested, verified, first_day


def _iso(days: list[date]) -> list[str]:
    return [d.isoformat() for d in days]


@dg.asset_check(asset=GATED_ASSET, name=WINDOW_DAYS_VERIFIED, blocking=True, pool=DUCKDB_WRITER_POOL,
                additional_deps=[dg.AssetKey(["bronze", "verified_days"])],  # lineage: the gate reads it
                description=with_gate("Every ingested day of the analysis window passed its blocking bronze checks "
                                      "(bronze.verified_days); a day that failed them is not published by a later run.",
                                      blocking=True))
def window_days_verified(storage: PlatformStorage) -> dg.AssetCheckResult:
    start, end, ingested, verified, _ = _window_days(storage)
    bad = unverified_days(ingested, verified)
    return dg.AssetCheckResult(
        passed=not bad, severity=dg.AssetCheckSeverity.ERROR,
        description=(f"days not verified (their blocking checks failed, or they were rewritten since): "
                     f"{', '.join(_iso(bad))}; fix their landing and run them again" if bad else None),
        metadata={"window": f"{start} .. {end}", "unverified_days": dg.MetadataValue.json(_iso(bad))})


@dg.asset_check(asset=GATED_ASSET, name=WINDOW_DAYS_LANDED, blocking=False, pool=DUCKDB_WRITER_POOL,
                description=with_gate("Every day of the analysis window was ingested (a missing day is a gap, "
                                      "not a quiet day).", blocking=False))
def window_days_landed(storage: PlatformStorage) -> dg.AssetCheckResult:
    start, end, ingested, _, first_day = _window_days(storage)
    gaps = missing_days(start, end, ingested, first_day)
    return dg.AssetCheckResult(
        passed=not gaps, severity=dg.AssetCheckSeverity.WARN,
        description=f"no data ingested for {', '.join(_iso(gaps))}" if gaps else None,
        metadata={"window": f"{start} .. {end}", "missing_days": dg.MetadataValue.json(_iso(gaps))})


window_checks = [window_days_verified, window_days_landed]
