"""Daily partitions: one per landing day (dt=YYYY-MM-DD)."""
from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from .settings import partition_start

daily_partitions = dg.DailyPartitionsDefinition(start_date=partition_start(), end_offset=1)


def partition_keys_between(first: date, last: date) -> list[str]:
    """Partition keys of every day from first to last, inclusive."""
    if last < first:
        raise ValueError(f"end {last} is before start {first}")
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def select_partition_keys(landed: list[date], start: date | None, end: date | None) -> list[str]:
    """The partitions a run covers: the landed days, limited to [start, end] when given."""
    days = [d for d in landed if (start is None or d >= start) and (end is None or d <= end)]
    if start is not None and end is not None:
        # An explicit range also covers days with no files: an empty day is news too.
        return partition_keys_between(start, end)
    return [d.isoformat() for d in days]


def partition_range_problem(keys: list[str], first: str, last: str) -> str | None:
    """Why some keys have no daily partition (pure): before THREATGRAPH_START_DATE, or after the
    last partition (tomorrow, UTC). None when all have one."""
    early = [k for k in keys if k < first]
    late = [k for k in keys if k > last]
    if early:
        return (f"{len(early)} day(s) from {early[0]} are before the first daily partition {first}; "
                f"set THREATGRAPH_START_DATE={early[0]} to ingest them")
    if late:
        return f"{len(late)} day(s) from {late[0]} are after the last daily partition {last} (tomorrow, UTC)"
    return None
