"""`threatgraph coordination`: coordinated co-sharing in an external share export.

Semantics are those of CooRTweet 2.1.3, ``detect_groups(x, time_window,
min_participation)`` followed by ``generate_coordinated_network(x,
edge_weight = 0.5, subgraph = 0)``. The SQL lives in one place,
``dbt_project/macros/co_share.sql``, shared with the dbt pipeline; this module
validates the CSV, renders the macros with plain jinja2 and runs them in an
in-memory DuckDB.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

REQUIRED_COLUMNS = ("object_id", "account_id", "content_id", "timestamp_share")
ID_COLUMNS = ("object_id", "account_id", "content_id")

PAIR_COLUMNS = ("object_id", "account_id", "account_id_y", "content_id", "content_id_y", "time_delta")
EDGE_COLUMNS = ("account_id", "account_id_y", "weight", "avg_time_delta", "edge_symmetry_score")
# extra edge attributes CooRTweet also puts on the graph
EDGE_EXTRA_COLUMNS = ("n_content_id", "n_content_id_y", "weight_threshold")

EDGE_WEIGHT = 0.5  # generate_coordinated_network(edge_weight = 0.5)
SUBGRAPH = 0  # generate_coordinated_network(subgraph = 0): the full network


class CoordinationInputError(ValueError):
    """The share export or the parameters cannot be used."""


def co_share_macro_path() -> Path:
    return Path(__file__).resolve().parents[1] / "dbt_project" / "macros" / "co_share.sql"


def load_macros() -> Any:
    """Render-ready module of the co-share macros (plain jinja2, no dbt)."""
    import jinja2

    path = co_share_macro_path()
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return env.from_string(path.read_text(encoding="utf-8")).module


def render_pairs_sql(
    relation: str, time_window: int | float, min_participation: int, row_order: str | None = None
) -> str:
    return str(load_macros().co_share_pairs(relation, time_window, min_participation, row_order=row_order))


def render_network_sql(relation: str, edge_weight: float = EDGE_WEIGHT, subgraph: int = SUBGRAPH) -> str:
    return str(load_macros().co_share_network(relation, edge_weight=edge_weight, subgraph=subgraph))


def _check_parameters(time_window: Any, min_participation: Any) -> None:
    if isinstance(time_window, bool) or not isinstance(time_window, (int, float)) or not math.isfinite(time_window):
        raise CoordinationInputError(f"time window must be a number of seconds, got {time_window!r}")
    if time_window < 0:
        raise CoordinationInputError(f"time window must be >= 0 seconds, got {time_window}")
    if isinstance(min_participation, bool) or not isinstance(min_participation, int):
        raise CoordinationInputError(f"min participation must be an integer, got {min_participation!r}")
    if min_participation < 0:
        raise CoordinationInputError(f"min participation must be >= 0, got {min_participation}")


def _parse_timestamp(value: str) -> float | None:
    try:
        ts = float(value.strip())
    except ValueError:
        return None
    return ts if math.isfinite(ts) else None


def read_shares(input_csv: str | Path) -> "Any":
    """Validate the CSV and return a pyarrow table with a `row_nr` column (1-based data row)."""
    import pyarrow as pa

    path = Path(input_csv)
    if not path.exists():
        raise CoordinationInputError(f"{path}: input file not found")
    if not path.is_file():
        raise CoordinationInputError(f"{path}: not a regular file")
    if path.stat().st_size == 0:
        raise CoordinationInputError(f"{path}: input file is empty (expected a header with columns {', '.join(REQUIRED_COLUMNS)})")

    columns: dict[str, list] = {name: [] for name in REQUIRED_COLUMNS}
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or not any(cell.strip() for cell in header):
                raise CoordinationInputError(f"{path}: input file is empty (no header line)")
            names = [cell.strip() for cell in header]
            missing = [name for name in REQUIRED_COLUMNS if name not in names]
            if missing:
                raise CoordinationInputError(
                    f"{path}: missing required column(s) {', '.join(missing)} "
                    f"(header has: {', '.join(names)})"
                )
            dupes = sorted({name for name in REQUIRED_COLUMNS if names.count(name) > 1})
            if dupes:
                raise CoordinationInputError(f"{path}: column(s) {', '.join(dupes)} appear more than once in the header")
            index = {name: names.index(name) for name in REQUIRED_COLUMNS}
            width = len(names)
            for row in reader:
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                if len(row) != width:
                    raise CoordinationInputError(
                        f"{path}: line {line}: expected {width} fields, found {len(row)}"
                    )
                for name in ID_COLUMNS:
                    value = row[index[name]]
                    if not value.strip():
                        raise CoordinationInputError(f"{path}: line {line}: column {name} is empty")
                    columns[name].append(value)
                raw_ts = row[index["timestamp_share"]]
                ts = _parse_timestamp(raw_ts)
                if ts is None:
                    raise CoordinationInputError(
                        f"{path}: line {line}: column timestamp_share is not a number of seconds: {raw_ts!r}"
                    )
                columns["timestamp_share"].append(ts)
    except UnicodeDecodeError as exc:
        raise CoordinationInputError(f"{path}: not UTF-8 text ({exc})") from exc
    except csv.Error as exc:
        raise CoordinationInputError(f"{path}: malformed CSV: {exc}") from exc

    n = len(columns["timestamp_share"])
    if n == 0:
        raise CoordinationInputError(f"{path}: input file has a header but no data rows")
    return pa.table(
        {
            "object_id": pa.array(columns["object_id"], pa.string()),
            "account_id": pa.array(columns["account_id"], pa.string()),
            "content_id": pa.array(columns["content_id"], pa.string()),
            "timestamp_share": pa.array(columns["timestamp_share"], pa.float64()),
            "row_nr": pa.array(range(1, n + 1), pa.int64()),
        }
    )


def _copy_parquet(con: Any, query: str, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    quoted = str(tmp).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{quoted}' (FORMAT parquet)")
    os.replace(tmp, target)


def run_coordination(
    input_csv: str | Path, time_window: int, min_participation: int, out_dir: str | Path
) -> dict:
    """detect_groups + generate_coordinated_network; writes pairs.parquet and edges.parquet."""
    import duckdb

    started = time.perf_counter()
    _check_parameters(time_window, min_participation)
    shares = read_shares(input_csv)

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CoordinationInputError(f"{out}: cannot create the output folder ({exc})") from exc

    con = duckdb.connect(":memory:")
    try:
        con.register("shares_arrow", shares)
        con.execute("CREATE TABLE shares AS SELECT * FROM shares_arrow")
        con.unregister("shares_arrow")
        con.execute(
            "CREATE TABLE pairs AS "
            + render_pairs_sql("shares", time_window, min_participation, row_order="row_nr")
        )
        con.execute("CREATE TABLE edges AS " + render_network_sql("pairs"))

        _copy_parquet(
            con,
            f"SELECT {', '.join(PAIR_COLUMNS)} FROM pairs "
            "ORDER BY object_id, account_id, account_id_y, content_id, content_id_y",
            out / "pairs.parquet",
        )
        _copy_parquet(
            con,
            f"SELECT {', '.join(EDGE_COLUMNS + EDGE_EXTRA_COLUMNS)} FROM edges ORDER BY account_id, account_id_y",
            out / "edges.parquet",
        )
        n_pairs = con.execute("SELECT count(*) FROM pairs").fetchone()[0]
        n_edges = con.execute("SELECT count(*) FROM edges").fetchone()[0]
        n_accounts = con.execute(
            "SELECT count(*) FROM (SELECT account_id FROM edges UNION SELECT account_id_y FROM edges)"
        ).fetchone()[0]
    finally:
        con.close()

    return {
        "pairs": int(n_pairs),
        "edges": int(n_edges),
        "accounts": int(n_accounts),
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


def run(args: argparse.Namespace) -> int:
    try:
        result = run_coordination(args.input, args.time_window, args.min_participation, args.out)
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
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="threatgraph coordination", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
