"""Great Expectations suites as Dagster asset checks: the quality gates.

Per asset, up to two checks (``AssetCheckKey(asset_key, name)``):

- ``gx_<suite>`` runs the suite ``expectations/suites/<suite>.json`` on the
  asset's table (for a daily-partitioned asset, only the run's partition:
  ``WHERE dt = <partition>``). Fails with severity ERROR when an
  error-severity expectation fails (blocking: downstream assets do not run),
  with WARN when only warning-severity ones fail.
- ``volume_vs_recent_partitions`` (partitioned bronze tables whose suite has
  ``meta.volume``): the partition's row count against the median of the
  previous up to 7 partitions present; fails below 20% (collapse) or above
  500% (flood). Severity from ``meta.volume.severity``.

Checks read the warehouse DuckDB read-only and run in the writer pool, so they
never race an ingest or dbt writer for the file lock.
"""
import re
import time
import warnings
from datetime import date

import dagster as dg
import duckdb

from expectations.runner import ERROR, SuiteOutcome, columns_to_read, load_suite, run_suite, volume_verdict

from ..assets.ingest import DUCKDB_WRITER_POOL, bronze_key
from ..contract import PARTITIONED_SOURCES
from ..partitions import daily_partitions
from ..resources import PlatformStorage
from ..warehouse import connect_warehouse
from .gate_text import with_gate

GX_CHECK_PREFIX = "gx_"
VOLUME_CHECK_NAME = "volume_vs_recent_partitions"
MART_NAMES = ("actors", "actor_edges", "networks", "network_members", "network_edges", "actor_metrics")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_LOCK_RETRIES = 5


# --------------------------------------------------------------------------- #
# Warehouse access
# --------------------------------------------------------------------------- #
def connect_read_only(db_path) -> duckdb.DuckDBPyConnection:
    """A read-only connection; retries briefly while another process holds the write lock."""
    last: Exception | None = None
    for attempt in range(_LOCK_RETRIES):
        try:
            return connect_warehouse(db_path, read_only=True)
        except duckdb.IOException as exc:  # "Could not set lock on file"
            last = exc
            time.sleep(0.5 * (attempt + 1))
    raise last  # type: ignore[misc]


def _source(table_sql: str) -> str:
    """A table name as is; a query as a subquery."""
    return table_sql if _IDENT.match(table_sql.strip()) else f"({table_sql})"


def _check_partition_keys(context: dg.AssetCheckExecutionContext) -> list[str] | None:
    """The run's partition(s); None when the run has none (then the latest partition is checked)."""
    try:
        if context.has_partition_key:
            return [context.partition_key]
        if context.has_partition_key_range:
            return list(context.partition_keys)
    except Exception:  # a check run outside any partitioned run
        return None
    return None


def _latest_partition(con, table_sql: str) -> str | None:
    row = con.execute(f"SELECT max(dt) FROM {_source(table_sql)} AS t").fetchall()[0]
    return row[0].isoformat() if row and row[0] is not None else None


def table_columns(con, table_sql: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table or query, in order."""
    return dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {_source(table_sql)} AS t)").fetchall())


def read_table(con, table_sql: str, partition: str | None = None, columns: list[str] | None = None):
    """The table (or one partition of it) as a pandas DataFrame; only `columns` when given."""
    select = ", ".join('t."' + c.replace('"', '""') + '"' for c in columns) if columns is not None else "*"
    if partition is None:
        return con.execute(f"SELECT {select} FROM {_source(table_sql)} AS t").df()
    return con.execute(f"SELECT {select} FROM {_source(table_sql)} AS t WHERE t.dt = ?", [date.fromisoformat(partition)]).df()


# --------------------------------------------------------------------------- #
# Result building (kept free of Dagster contexts so it is easy to test)
# --------------------------------------------------------------------------- #
def suite_check_result(outcomes: dict[str | None, SuiteOutcome]) -> dg.AssetCheckResult:
    """One check result from the suite outcome of each checked partition (None = whole table)."""
    failed = [(p, r) for p, o in outcomes.items() for r in o.failed]
    has_errors = any(r.severity == ERROR for _, r in failed)
    parts = []
    for p, o in outcomes.items():
        title = f"**partition {p}**: " if p is not None else ""
        parts.append(f"{title}{o.row_count} rows, {len(o.results)} expectations, "
                     f"{len(o.failed_errors)} failed errors, {len(o.failed_warnings)} failed warnings\n\n{o.to_markdown()}")
    suite = next(iter(outcomes.values())).suite if outcomes else "?"
    metadata = {
        "suite": suite,
        "rows_validated": sum(o.row_count for o in outcomes.values()),
        "expectations_evaluated": sum(len(o.results) for o in outcomes.values()),
        "failed_errors": sum(len(o.failed_errors) for o in outcomes.values()),
        "failed_warnings": sum(len(o.failed_warnings) for o in outcomes.values()),
        "failed_expectations": dg.MetadataValue.json(
            [{"partition": p, "expectation": r.name, "severity": r.severity, "unexpected_count": r.unexpected_count,
              "examples": [str(x)[:200] for x in r.examples], **({"error": r.error} if r.error else {})}
             for p, r in failed]),
        "report": dg.MetadataValue.md("\n\n".join(parts) or "nothing to validate"),
    }
    partitions = [p for p in outcomes if p is not None]
    if partitions:
        metadata["partitions"] = ", ".join(partitions)
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if has_errors or not failed else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=(f"{len(failed)} expectation(s) of {suite} failed" if failed else f"{suite}: all expectations passed"),
    )


def partition_counts(con, table_sql: str, partition: str, lookback: int, count_filter: str | None = None) -> tuple[int, list[int], list[str]]:
    """(rows in the partition, rows of up to `lookback` previous partitions oldest first, their dts)."""
    where = f" AND ({count_filter})" if count_filter else ""
    day = date.fromisoformat(partition)
    src = _source(table_sql)
    current = con.execute(f"SELECT count(*) FROM {src} AS t WHERE t.dt = ?{where}", [day]).fetchall()[0][0]
    history = con.execute(
        f"SELECT t.dt, count(*) FROM {src} AS t WHERE t.dt < ?{where} GROUP BY t.dt ORDER BY t.dt DESC LIMIT ?",
        [day, lookback]).fetchall()
    history.reverse()
    return int(current), [int(n) for _, n in history], [d.isoformat() for d, _ in history]


# --------------------------------------------------------------------------- #
# Factories
# --------------------------------------------------------------------------- #
def _asset_check(**kwargs):
    """dg.asset_check without the PreviewWarning of partitioned check specs (Dagster 1.13)."""
    def wrap(fn):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.PreviewWarning)
            return dg.asset_check(**kwargs)(fn)
    return wrap


def _suite_is_blocking(suite: dict) -> bool:
    meta = suite.get("meta") or {}
    return (any((e.get("meta") or {}).get("severity", ERROR) == ERROR for e in suite.get("expectations", []))
            or any(s.get("severity", ERROR) == ERROR for s in meta.get("string_column_scans", []))
            or any(r.get("severity", ERROR) == ERROR for r in meta.get("references", [])))


def gx_asset_checks(asset_key: dg.AssetKey, suite_name: str, table_sql: str, partitioned: bool, *,
                    partitions_def: dg.PartitionsDefinition | None = None,
                    volume: bool | None = None, read_partition: bool | None = None) -> list[dg.AssetChecksDefinition]:
    """The GX suite check (and, for partitioned tables with `meta.volume`, the volume check) of one asset.

    `table_sql` is a table name (`bronze.events`) or a query; a partitioned one has a `dt` DATE column
    and only the run's partition is validated (`read_partition=False`: the whole table is, e.g. for
    a partitioned asset that rebuilds its table whole). `partitions_def` defaults to the daily
    partitions when `partitioned`. `volume=False` leaves out the volume check.
    """
    read_partition = partitioned if read_partition is None else read_partition
    asset_key = dg.AssetKey.from_coercible(asset_key)
    suite = load_suite(suite_name)
    pdef = (partitions_def or daily_partitions) if partitioned else None
    blocking = _suite_is_blocking(suite)
    description = with_gate(f"Great Expectations suite `{suite_name}` on `{table_sql}`"
                            + (" (the run's partition)" if partitioned else "")
                            + ". Only its error-severity expectations block; its warnings are reported", blocking)

    @_asset_check(
        asset=asset_key,
        name=f"{GX_CHECK_PREFIX}{suite_name}",
        description=description,
        blocking=blocking,
        pool=DUCKDB_WRITER_POOL,
        partitions_def=pdef,
        metadata={"suite": suite_name, "table": table_sql},
    )
    def _gx_check(context: dg.AssetCheckExecutionContext, storage: PlatformStorage) -> dg.AssetCheckResult:
        db = storage.paths.db
        if not db.exists():
            return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR,
                                       metadata={"error": f"warehouse database {db} does not exist"})
        con = connect_read_only(db)
        try:
            keys: list[str | None] = [None]
            if read_partition:
                keys = _check_partition_keys(context) or [_latest_partition(con, table_sql)]
            outcomes = {}
            columns = columns_to_read(suite, table_columns(con, table_sql))
            for key in keys:
                if read_partition and key is None:  # a partitioned table with no partition yet
                    df = read_table(con, f"SELECT * FROM {_source(table_sql)} AS t LIMIT 0", None, columns)
                else:
                    df = read_table(con, table_sql, key, columns)
                outcomes[key] = run_suite(suite, df, con=con)
                context.log.info(f"{suite_name} {key or ''}: {len(outcomes[key].failed)} failed of {len(outcomes[key].results)}")
        finally:
            con.close()
        return suite_check_result(outcomes)

    checks = [_gx_check]
    volume_cfg = (suite.get("meta") or {}).get("volume")
    if partitioned and read_partition and volume_cfg and volume is not False:
        checks.append(volume_check(asset_key, table_sql, volume_cfg, partitions_def=pdef))
    return checks


def volume_check(asset_key: dg.AssetKey, table_sql: str, cfg: dict, *,
                 partitions_def: dg.PartitionsDefinition | None = None) -> dg.AssetChecksDefinition:
    """Row count of the run's partition against the median of the previous (up to 7) partitions."""
    severity = dg.AssetCheckSeverity.ERROR if cfg.get("severity", ERROR) == ERROR else dg.AssetCheckSeverity.WARN
    min_ratio, max_ratio = float(cfg.get("min_ratio", 0.2)), float(cfg.get("max_ratio", 5.0))
    lookback = int(cfg.get("lookback", 7))
    count_filter = cfg.get("count_filter")

    @_asset_check(
        asset=asset_key,
        name=VOLUME_CHECK_NAME,
        description=with_gate(f"Rows of the partition in `{table_sql}`" + (f" where {count_filter}" if count_filter else "")
                              + f" vs the median of the previous up to {lookback} partitions: fails below {min_ratio:.0%} "
                              f"(collapse) or above {max_ratio:.0%} (flood).", severity == dg.AssetCheckSeverity.ERROR),
        blocking=severity == dg.AssetCheckSeverity.ERROR,
        pool=DUCKDB_WRITER_POOL,
        partitions_def=partitions_def or daily_partitions,
        metadata={"table": table_sql, "min_ratio": min_ratio, "max_ratio": max_ratio, "lookback": lookback},
    )
    def _volume(context: dg.AssetCheckExecutionContext, storage: PlatformStorage) -> dg.AssetCheckResult:
        db = storage.paths.db
        if not db.exists():
            return dg.AssetCheckResult(passed=False, severity=severity,
                                       metadata={"error": f"warehouse database {db} does not exist"})
        con = connect_read_only(db)
        try:
            keys = _check_partition_keys(context) or [_latest_partition(con, table_sql)]
            rows, all_passed = [], True
            for key in keys:
                if key is None:
                    rows.append(("(none)", 0, [], [], volume_verdict(0, [])))
                    continue
                current, previous, dts = partition_counts(con, table_sql, key, lookback, count_filter)
                verdict = volume_verdict(current, previous, min_ratio, max_ratio, lookback)
                all_passed &= verdict.passed
                rows.append((key, current, previous, dts, verdict))
        finally:
            con.close()
        last = rows[-1]
        table = ["| partition | rows | baseline (median) | ratio | verdict |", "|---|---:|---:|---:|---|"] + [
            f"| {k} | {c} | {'-' if v.baseline is None else f'{v.baseline:g}'} | "
            f"{'-' if v.ratio is None else f'{v.ratio:.2f}'} | {v.reason} |" for k, c, _, _, v in rows]
        return dg.AssetCheckResult(
            passed=all_passed,
            severity=severity,
            description="; ".join(v.reason for *_, v in rows),
            metadata={
                "row_count": last[1],
                "baseline_median": last[4].baseline,
                "ratio": last[4].ratio,
                "previous_partitions": dg.MetadataValue.json(dict(zip(last[3], last[2]))),
                "report": dg.MetadataValue.md("\n".join(table)),
            },
        )

    return _volume


def _bronze_checks() -> list[dg.AssetChecksDefinition]:
    checks: list[dg.AssetChecksDefinition] = []
    for source in PARTITIONED_SOURCES:
        checks += gx_asset_checks(bronze_key(source), f"bronze_{source}", f"bronze.{source}", partitioned=True)
    checks += gx_asset_checks(bronze_key("indicators"), "bronze_indicators", "bronze.indicators", partitioned=False)
    return checks


bronze_checks: list[dg.AssetChecksDefinition] = _bronze_checks()


def mart_checks_for(asset_keys: dict[str, dg.AssetKey], *,
                    partitions_def: dg.PartitionsDefinition | None = None) -> list[dg.AssetChecksDefinition]:
    """Checks for the published marts whose assets exist: {mart name: asset key}, table `marts.<name>`.

    Marts are rebuilt whole, so the whole table is validated. Pass `partitions_def` only when the
    mart assets are partitioned (a check must share its asset's partitions); the table is still
    read whole.
    """
    unknown = set(asset_keys) - set(MART_NAMES)
    if unknown:
        raise ValueError(f"no expectation suite for mart(s) {sorted(unknown)}; known: {MART_NAMES}")
    checks: list[dg.AssetChecksDefinition] = []
    for name, key in asset_keys.items():
        checks += gx_asset_checks(key, name, f"marts.{name}", partitioned=partitions_def is not None,
                                  partitions_def=partitions_def, read_partition=False, volume=False)
    return checks
