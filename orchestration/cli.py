"""The `threatgraph` command line (architecture.md, "Published interface")."""
from __future__ import annotations

import argparse
import sys
import threading
from datetime import date
from pathlib import Path

from .settings import REPO_ROOT

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="threatgraph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    from generator import synth

    synth.add_arguments(sub.add_parser("generate", help="write synthetic platform logs to a landing folder"))

    run = sub.add_parser("run", help="ingest, model, analyse, check and publish every landed partition")
    _add_run_arguments(run)
    run.add_argument("--landing", required=True, type=Path)
    run.add_argument("--warehouse", required=True, type=Path)

    demo = sub.add_parser("demo", help="generate a default dataset and run it end to end")
    _add_run_arguments(demo)
    demo.add_argument("--dir", type=Path, default=REPO_ROOT / "data" / "demo", help="where landing/ and warehouse/ go")
    demo.add_argument("--accounts", type=int, default=5000)
    demo.add_argument("--days", type=int, default=3)
    demo.add_argument("--seed", type=int, default=7)

    sql = sub.add_parser("sql", help="query the published snapshot (read-only)")
    sql.add_argument("query")
    sql.add_argument("--warehouse", required=True, type=Path)
    sql.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    sql.add_argument("--max-rows", type=int, default=50)
    sql.add_argument("--timeout", type=float, default=SQL_TIMEOUT_SECONDS, metavar="S",
                     help=f"stop a query after S seconds (default {SQL_TIMEOUT_SECONDS:.0f}; 0: no limit)")

    from . import coordination

    coordination.add_arguments(sub.add_parser("coordination", help="CooRTweet-style coordinated co-sharing on a share export"))

    from evaluation import quality

    quality.add_arguments(sub.add_parser("evaluate", help="detection quality against generated truth, with the co-sharing baseline"))
    return parser


def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--start", type=_date, help="first partition (YYYY-MM-DD); default: the first landed")
    p.add_argument("--end", type=_date, help="last partition (YYYY-MM-DD); default: the last landed")
    p.add_argument("--graph-engine", choices=("auto", "spark", "local"), default="auto")


# Analysts' SQL may read the snapshot and nothing else: the restricted store (identity
# map, pseudonym key) sits in the same warehouse folder, so no file access (ATTACH,
# COPY ... TO, read_csv/read_text/read_parquet), no extensions; locked so a query
# cannot SET it back.
SNAPSHOT_CONFINEMENT = {"enable_external_access": False, "lock_configuration": True}
SQL_TIMEOUT_SECONDS = 300.0  # a runaway cross join on a shared machine stops, with a message
SQL_CONFINEMENT_HINT = ("`threatgraph sql` reads only the published snapshot's tables: "
                        "files, other databases (ATTACH), COPY ... TO and extensions are disabled")


def connect_snapshot(snapshot: Path, spill_dir: Path):
    """A read-only connection to the published snapshot that cannot reach anything outside it.

    DuckDB may write and read its temp directory even without external access; by default that
    is `<snapshot>.tmp/` in the shared serving folder, where one analyst's query could leave
    files for the next. `spill_dir` is a private folder of this query instead."""
    import duckdb

    return duckdb.connect(str(snapshot), read_only=True, config={**SNAPSHOT_CONFINEMENT, "temp_directory": str(spill_dir)})


def _print_result(rel, as_csv: bool, max_rows: int) -> None:
    if as_csv:
        import csv

        w = csv.writer(sys.stdout)
        rows = rel.fetchall()  # before the header: a query that fails while running prints nothing
        w.writerow(rel.columns)
        w.writerows(rows)
    else:
        rel.show(max_rows=max_rows, max_width=200)
    sys.stdout.flush()


def cmd_sql(args) -> int:
    import os
    import tempfile

    import duckdb

    snapshot = Path(args.warehouse) / "serving" / "analytics.duckdb"
    if not snapshot.exists():
        print(f"error: no published snapshot at {snapshot} (run `threatgraph run` first)", file=sys.stderr)
        return EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="threatgraph-sql-") as spill_dir:
        con = connect_snapshot(snapshot, Path(spill_dir))
        timer = threading.Timer(args.timeout, con.interrupt) if args.timeout and args.timeout > 0 else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            rel = con.sql(args.query)
            if rel is not None:
                _print_result(rel, args.csv, args.max_rows)
        except BrokenPipeError:  # `| head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        except duckdb.InterruptException:
            print(f"error: query stopped after {args.timeout:g} s (--timeout)", file=sys.stderr)
            return EXIT_USAGE
        except duckdb.Error as e:
            print(f"error: {e}", file=sys.stderr)
            if isinstance(e, duckdb.PermissionException):
                print(SQL_CONFINEMENT_HINT, file=sys.stderr)
            return EXIT_USAGE
        finally:
            if timer is not None:
                timer.cancel()
            con.close()
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    from .settings import SettingsError

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "start", None) and getattr(args, "end", None) and args.end < args.start:
        parser.error(f"--end {args.end} is before --start {args.start}")
    try:
        return _dispatch(args)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _dispatch(args) -> int:
    if args.command == "generate":
        from generator import synth

        return synth.run(args)
    if args.command == "coordination":
        from . import coordination

        return coordination.run(args)
    if args.command == "evaluate":
        from evaluation import quality

        return quality.run(args)
    if args.command == "sql":
        return cmd_sql(args)
    from . import runner

    if args.command == "run":
        return runner.run_pipeline(args.landing, args.warehouse, args.start, args.end, args.graph_engine)
    if args.command == "demo":
        return runner.run_demo(args)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
