"""`threatgraph coordination`: coordinated co-sharing in an external share export.

Semantics are those of CooRTweet 2.1.3, ``detect_groups(x, time_window,
min_participation)`` followed by ``generate_coordinated_network(x,
edge_weight = 0.5, subgraph = 0)``. The SQL lives in one place,
``dbt_project/macros/co_share.sql``, shared with the dbt pipeline; this module
loads and validates the CSV with DuckDB (explicit types, bad lines reported
with their line number), renders the macros with plain jinja2 and runs them in
an in-memory DuckDB.
"""

from __future__ import annotations

import argparse
import csv
import functools
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REQUIRED_COLUMNS = ("object_id", "account_id", "content_id", "timestamp_share")
ID_COLUMNS = ("object_id", "account_id", "content_id")

PAIR_COLUMNS = ("object_id", "account_id", "account_id_y", "content_id", "content_id_y", "time_delta")
EDGE_COLUMNS = ("account_id", "account_id_y", "weight", "avg_time_delta", "edge_symmetry_score")
# extra edge attributes CooRTweet also puts on the graph
EDGE_EXTRA_COLUMNS = ("n_content_id", "n_content_id_y", "weight_threshold")

CAPPED_COLUMNS = ("object_id", "bucket_start", "n_shares", "n_kept")
EDGE_WEIGHT = 0.5  # generate_coordinated_network(edge_weight = 0.5)
# At most this many shares of one object per time bucket (a little over one window) are paired:
# ~2M pairs per object and pair of buckets at most, where a video shared by 100k accounts in one
# minute would make 5e9. Real exports stay far below (CooRTweet's Russian data: 10 per 60 s, 149
# per hour). 0 = no cap (exact CooRTweet, quadratic in the worst case).
DEFAULT_MAX_BUCKET_SHARES = 1000
# Epoch seconds of the years 1 to 9999: the time buckets are exact integers well inside a double.
MAX_ABS_TIMESTAMP = 253_402_300_800
SUBGRAPH = 0  # generate_coordinated_network(subgraph = 0): the full network


class CoordinationInputError(ValueError):
    """The share export or the parameters cannot be used."""


def co_share_macro_path() -> Path:
    return Path(__file__).resolve().parents[1] / "dbt_project" / "macros" / "co_share.sql"


def load_macros() -> Any:
    """Render-ready module of the co-share macros (plain jinja2, no dbt)."""
    return _compile_macros(co_share_macro_path().read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _compile_macros(text: str) -> Any:
    # compiling the template takes a few ms: once per process, unless the file changes
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return env.from_string(text).module


def render_pairs_sql(
    macros: Any, relation: str, time_window: int | float, min_participation: int, row_order: str | None = None,
    max_bucket_shares: int | None = None, overfull_report: bool = False,
) -> str:
    return str(macros.co_share_pairs(relation, time_window, min_participation, row_order=row_order,
                                     max_bucket_shares=max_bucket_shares or None, overfull_report=overfull_report))


def render_network_sql(macros: Any, relation: str, edge_weight: float = EDGE_WEIGHT, subgraph: int = SUBGRAPH) -> str:
    return str(macros.co_share_network(relation, edge_weight=edge_weight, subgraph=subgraph))


def _check_parameters(time_window: Any, min_participation: Any) -> None:
    if isinstance(time_window, bool) or not isinstance(time_window, (int, float)) or not math.isfinite(time_window):
        raise CoordinationInputError(f"time window must be a number of seconds, got {time_window!r}")
    if time_window < 0:
        raise CoordinationInputError(f"time window must be >= 0 seconds, got {time_window}")
    if isinstance(min_participation, bool) or not isinstance(min_participation, int):
        raise CoordinationInputError(f"min participation must be an integer, got {min_participation!r}")
    if min_participation < 0:
        raise CoordinationInputError(f"min participation must be >= 0, got {min_participation}")


def _check_max_bucket_shares(max_bucket_shares: Any) -> None:
    if isinstance(max_bucket_shares, bool) or not isinstance(max_bucket_shares, int) or max_bucket_shares < 0:
        raise CoordinationInputError(f"max shares per window must be an integer >= 0 (0: no cap), got {max_bucket_shares!r}")


# RE2 pattern of a string made only of what str.strip() removes (str.isspace()):
# such an id is empty, as it was with the csv module (trim() with a set is far slower)
BLANK_PATTERN = r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]*"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _check_file(path: Path) -> None:
    if not path.exists():
        raise CoordinationInputError(f"{path}: input file not found")
    if not path.is_file():
        raise CoordinationInputError(f"{path}: not a regular file")
    if path.stat().st_size == 0:
        raise CoordinationInputError(f"{path}: input file is empty (expected a header with columns {', '.join(REQUIRED_COLUMNS)})")


def _read_header(path: Path) -> list[str]:
    """Column names of the CSV (first record only), checked for the required columns."""
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise CoordinationInputError(f"{path}: not UTF-8 text ({exc})") from exc
    except csv.Error as exc:
        raise CoordinationInputError(f"{path}: malformed CSV: {exc}") from exc
    if header is None or not any(cell.strip() for cell in header):
        raise CoordinationInputError(f"{path}: input file is empty (no header line)")
    names = [cell.strip() for cell in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise CoordinationInputError(
            f"{path}: missing required column(s) {', '.join(missing)} (header has: {', '.join(names)})"
        )
    dupes = sorted({name for name in REQUIRED_COLUMNS if names.count(name) > 1})
    if dupes:
        raise CoordinationInputError(f"{path}: column(s) {', '.join(dupes)} appear more than once in the header")
    return names


def _read_csv_sql(path: Path, names: list[str], store_rejects: bool) -> str:
    """DuckDB scan of the export: explicit dialect and types (no sniffing); with `store_rejects`,
    bad lines are skipped and listed in reject_errors, else the first one fails the scan.

    Columns are addressed by position (c0, c1, ...) so that extra columns may have any name;
    an empty timestamp is kept as '' and so rejected by the DOUBLE cast, with its line number.
    """
    ts = names.index("timestamp_share")
    types = ", ".join(f"'c{i}': '{'DOUBLE' if i == ts else 'VARCHAR'}'" for i in range(len(names)))
    picked = ", ".join(f"c{names.index(name)} as {name}" for name in REQUIRED_COLUMNS)
    return (
        f"select {picked} from read_csv({_sql_string(str(path))}, header = true, auto_detect = false, "
        f"delim = ',', quote = '\"', escape = '\"', columns = {{{types}}}, force_not_null = ['c{ts}'], "
        f"store_rejects = {str(store_rejects).lower()})"
    )


def _load_csv(con: Any, path: Path, names: list[str]) -> bool:
    """Load the export into table `shares`; True when some lines were rejected (see reject_errors)."""
    import duckdb

    try:
        con.execute("create table shares as " + _read_csv_sql(path, names, store_rejects=False))
        return False
    except duckdb.Error:
        pass  # a line DuckDB cannot load: read again, keeping the bad lines (slower, error path only)
    try:
        con.execute("create table shares as " + _read_csv_sql(path, names, store_rejects=True))
    except duckdb.Error as exc:
        raise CoordinationInputError(f"{path}: malformed CSV: {exc}") from exc
    return True


def _fields(csv_line: str) -> list[str]:
    return next(csv.reader([csv_line.strip("\r\n")]), [])


def _first_reject(con: Any, width: int) -> tuple[int, str] | None:
    """(line, problem) of the first line DuckDB could not load: wrong number of fields,
    non-numeric timestamp, bad encoding, bad quoting."""
    row = con.execute(
        "select line, error_type, column_idx, csv_line, error_message from reject_errors "
        "where not regexp_full_match(csv_line, $blank) "  # whitespace-only lines are skipped, like blank lines
        "order by line, error_type not like '% COLUMNS', column_idx limit 1",  # field count first
        {"blank": BLANK_PATTERN},
    ).fetchone()
    if row is None:
        return None
    line, error_type, column_idx, csv_line, message = row
    if error_type == "CAST":
        raw = _fields(csv_line)[column_idx - 1]
        return line, f"column timestamp_share is not a number of seconds: {raw!r}"
    if error_type in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        return line, f"expected {width} fields, found {len(_fields(csv_line))}"
    if error_type == "INVALID ENCODING":
        return line, "not UTF-8 text"
    return line, f"malformed CSV: {message}"


def _record(path: Path, index: int) -> tuple[int, list[str]]:
    """Line number and fields of data record `index` (0-based; blank lines are not records).

    Only called on the error path, so a plain csv module scan is fine.
    """
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        records = (row for row in reader if row and (len(row) > 1 or row[0].strip()))
        for i, row in enumerate(records):
            if i == index:
                return reader.line_num, row
    raise CoordinationInputError(f"{path}: data row {index + 1}: an id is empty or the timestamp is not finite")


def _first_bad_value(con: Any, path: Path, names: list[str]) -> tuple[int, str] | None:
    """(line, problem) of the first loaded row with an empty id or an infinite or NaN timestamp.

    Its line is found by counting records: exact unless a line before it was rejected
    (rejected lines are not loaded), and then that rejected line comes first and is reported.
    """
    # a blank id starts below '!' or at U+0085 or above: the cheap comparison spares the
    # regexp on ordinary ids, and the column statistics often rule it out altogether
    empty = " or ".join(
        f"({name} is null or (({name} < '!' or {name} >= chr(133)) and regexp_full_match({name}, $blank)))"
        for name in ID_COLUMNS
    )
    (rowid,) = con.execute(
        f"select min(rowid) from shares where {empty} or not isfinite(timestamp_share) "
        f"or abs(timestamp_share) > {MAX_ABS_TIMESTAMP}", {"blank": BLANK_PATTERN}
    ).fetchone()
    if rowid is None:
        return None
    line, fields = _record(path, rowid)
    for name in ID_COLUMNS:
        if not fields[names.index(name)].strip():
            return line, f"column {name} is empty"
    raw = fields[names.index("timestamp_share")]
    try:
        if math.isfinite(float(raw)):
            return line, f"column timestamp_share is out of range: {raw!r} (epoch seconds of the years 1 to 9999)"
    except ValueError:
        pass
    return line, f"column timestamp_share is not a number of seconds: {raw!r}"


def load_shares(con: Any, input_csv: str | Path) -> int:
    """Validate the CSV into table `shares` (rowid = data row order); returns its row count.

    The first bad line of the file is reported, with its line number, as the csv module counts them.
    """
    path = Path(input_csv)
    _check_file(path)
    names = _read_header(path)
    rejected = _load_csv(con, path, names)
    first_reject = _first_reject(con, len(names)) if rejected else None
    problems = [p for p in (first_reject, _first_bad_value(con, path, names)) if p]
    if problems:
        line, problem = min(problems, key=lambda p: p[0])  # on a tie, the rejected line
        raise CoordinationInputError(f"{path}: line {line}: {problem}")
    (n,) = con.execute("select count(*) from shares").fetchone()
    if n == 0:
        raise CoordinationInputError(f"{path}: input file has a header but no data rows")
    return n


# Ids are mostly distinct: dictionary encoding them costs more time than it saves
# space (files are 10-30% larger without it).
PARQUET_OPTIONS = "FORMAT parquet, DICTIONARY_SIZE_LIMIT 1"


def _copy_parquet(con: Any, query: str, target: Path) -> int:
    """Write `query` to `target` atomically; returns the number of rows written."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    (n,) = con.execute(f"COPY ({query}) TO {_sql_string(str(tmp))} ({PARQUET_OPTIONS})").fetchone()
    os.replace(tmp, target)
    return n


def _any_bucket_over(con: Any, macros: Any, time_window: float, max_bucket_shares: int) -> bool:
    bucket = str(macros.co_share_bucket("timestamp_share", time_window))
    (n,) = con.execute(f"SELECT max(n) FROM (SELECT count(*) AS n FROM shares GROUP BY object_id, {bucket})").fetchone()
    return (n or 0) > max_bucket_shares


def run_coordination(
    input_csv: str | Path, time_window: int, min_participation: int, out_dir: str | Path,
    max_bucket_shares: int = DEFAULT_MAX_BUCKET_SHARES,
) -> dict:
    """detect_groups + generate_coordinated_network; writes pairs.parquet and edges.parquet, and
    capped_objects.parquet listing the over-full (object, time bucket)s that were sampled."""
    import duckdb

    started = time.perf_counter()
    _check_parameters(time_window, min_participation)
    _check_max_bucket_shares(max_bucket_shares)
    out = Path(out_dir)
    # importing jinja2 and compiling the macros take as long as all the SQL on small
    # inputs: done in a thread while DuckDB, which releases the GIL, loads the CSV
    with ThreadPoolExecutor(max_workers=1) as pool:
        compiling = pool.submit(load_macros)
        con = duckdb.connect(":memory:")
        try:
            load_shares(con, input_csv)
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CoordinationInputError(f"{out}: cannot create the output folder ({exc})") from exc
            macros = compiling.result()
            # The cap's sampling costs a quarter of the run: only render it when some raw bucket is
            # over-full (the loop-free shares the macro counts are never more).
            if max_bucket_shares and not _any_bucket_over(con, macros, time_window, max_bucket_shares):
                max_bucket_shares = 0
            # rowid is the order of the data rows: CooRTweet's tie-break
            con.execute(
                "CREATE TABLE pairs AS "
                + render_pairs_sql(macros, "shares", time_window, min_participation, row_order="rowid",
                                   max_bucket_shares=max_bucket_shares)
            )
            capped = out / "capped_objects.parquet"
            n_capped = 0
            if max_bucket_shares:
                n_capped = _copy_parquet(
                    con,
                    f"SELECT {', '.join(CAPPED_COLUMNS)} FROM ("
                    + render_pairs_sql(macros, "shares", time_window, min_participation, row_order="rowid",
                                       max_bucket_shares=max_bucket_shares, overfull_report=True)
                    + ") ORDER BY object_id, bucket_start",
                    capped,
                )
            if not n_capped:
                capped.unlink(missing_ok=True)  # no stale list from an earlier run
            n_pairs = _copy_parquet(
                con,
                f"SELECT {', '.join(PAIR_COLUMNS)} FROM pairs "
                "ORDER BY object_id, account_id, account_id_y, content_id, content_id_y",
                out / "pairs.parquet",
            )
            n_edges = _copy_parquet(
                con,
                f"SELECT {', '.join(EDGE_COLUMNS + EDGE_EXTRA_COLUMNS)} FROM ({render_network_sql(macros, 'pairs')}) "
                "ORDER BY account_id, account_id_y",
                out / "edges.parquet",
            )
            # every pair is an edge: the network's accounts are those of the pairs
            (n_accounts,) = con.execute(
                "SELECT count(*) FROM (SELECT account_id FROM pairs UNION SELECT account_id_y FROM pairs)"
            ).fetchone()
        finally:
            con.close()

    return {
        "pairs": int(n_pairs),
        "edges": int(n_edges),
        "accounts": int(n_accounts),
        "capped_buckets": int(n_capped),
        "seconds": round(time.perf_counter() - started, 3),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, metavar="CSV",
                        help="share export with columns object_id, account_id, content_id, timestamp_share")
    parser.add_argument("--time-window", required=True, type=int, metavar="S",
                        help="seconds within which shares of the same object count as coordinated")
    parser.add_argument("--min-participation", required=True, type=int, metavar="N",
                        help="minimum number of shares for an account to be considered")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder for edges.parquet and pairs.parquet")
    parser.add_argument("--max-shares-per-window", type=int, default=DEFAULT_MAX_BUCKET_SHARES, metavar="N",
                        help="pair at most N shares of one object per time bucket (about one window), a "
                             "deterministic sample by account; sampled buckets go to capped_objects.parquet "
                             f"(default {DEFAULT_MAX_BUCKET_SHARES}; 0: no cap, exact but quadratic on viral objects)")


def run(args: argparse.Namespace) -> int:
    try:
        result = run_coordination(args.input, args.time_window, args.min_participation, args.out,
                                  max_bucket_shares=args.max_shares_per_window)
    except CoordinationInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    print(
        f"coordination: {result['pairs']} coordinated share pairs, "
        f"{result['accounts']} accounts, {result['edges']} edges "
        f"(time window {args.time_window}s, min participation {args.min_participation}) "
        f"in {result['seconds']:.2f}s"
    )
    print(f"wrote {out / 'edges.parquet'} and {out / 'pairs.parquet'}")
    if result["capped_buckets"]:
        print(f"warning: {result['capped_buckets']} object time bucket(s) had more than {args.max_shares_per_window} shares "
              f"and were sampled (pairs there are a subset of CooRTweet's); listed in {out / 'capped_objects.parquet'}. "
              "--max-shares-per-window 0 pairs them all.", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="threatgraph coordination", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
