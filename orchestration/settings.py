"""Run settings from the environment, with defaults a newcomer can use as they are."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PARTITION_START = "2026-01-01"


class SettingsError(ValueError):
    """A setting from the environment that cannot be used; the message names it."""


def partition_start() -> str:
    """First daily partition (THREATGRAPH_START_DATE, YYYY-MM-DD)."""
    value = os.environ.get("THREATGRAPH_START_DATE", DEFAULT_PARTITION_START)
    try:
        date.fromisoformat(value)  # fail early on a typo
    except ValueError:
        raise SettingsError(f"THREATGRAPH_START_DATE is not a date (YYYY-MM-DD): {value!r}") from None
    return value


def landing_dir() -> str:
    return os.environ.get("THREATGRAPH_LANDING", str(REPO_ROOT / "data" / "landing"))


def warehouse_dir() -> str:
    return os.environ.get("THREATGRAPH_WAREHOUSE", str(REPO_ROOT / "data" / "warehouse"))


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for warehouse work (THREATGRAPH_DUCKDB_MEMORY_LIMIT, e.g. 8GB; default
    80% of RAM, DuckDB's own). The dbt profile reads the same variable."""
    return os.environ.get("THREATGRAPH_DUCKDB_MEMORY_LIMIT", "80%")
