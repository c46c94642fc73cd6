"""The `threatgraph` command line: generate synthetic logs, run the pipeline, query the published
snapshot, and the CooRTweet co-sharing and evaluation tools (README.md, "Command line")."""
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


DESCRIPTION = ("threatgraph: ingest platform logs, model them with dbt, find coordinated networks, "
               "check and publish a read-only snapshot for analysts (README.md, docs/analysts.md).")
MIN_ACCOUNTS = 200  # generator.synth refuses fewer: the planted operations need a population
RUN_EXIT_CODES = """exit codes:
  0  published
  1  not published: a blocking check or step failed (the previous snapshot is unchanged)
  2  usage or configuration error: a bad option, a missing folder, no landed day in the range,
     a day before THREATGRAPH_START_DATE, another warehouse's pseudonym key"""
SQL_EXIT_CODES = """exit codes:
  0  the query ran
  2  it did not: no published snapshot, an SQL error, access outside the snapshot refused,
     --timeout reached"""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help with each option's default, unless it has none or its help already says it."""

    def _get_help_string(self, action):
        text = action.help or ""
        if (action.option_strings and action.default is not None and action.default is not False
                and action.default != argparse.SUPPRESS and "default" not in text and not action.required):
            text += " (default: %(default)s)"
        return text


def _amend_help(parser: argparse.ArgumentParser, option: str, text: str) -> None:
    """Set the help of an option another module added (the generator, the evaluation)."""
    for action in parser._actions:
        if option in action.option_strings:
            action.help = text
            return
    raise KeyError(option)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="threatgraph", description=DESCRIPTION, formatter_class=_HelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, about: str, epilog: str | None = None) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=about, description=about, epilog=epilog, formatter_class=_HelpFormatter)

    from generator import synth

    gen = command("generate", "write synthetic platform logs (with planted operations and their truth in "
                              "_truth/) to a landing folder",
                  epilog="exit codes: 0 written; 2 usage error")
    synth.add_arguments(gen)
    _amend_help(gen, "--accounts", f"number of accounts; at least {MIN_ACCOUNTS}, the planted operations "
                                   "need a population")
    _amend_help(gen, "--start", "first partition day, YYYY-MM-DD")

    run = command("run", "ingest, model, analyse, check and publish every landed partition", epilog=RUN_EXIT_CODES)
    run.add_argument("--landing", required=True, type=Path,
                     help="landing folder: <source>/dt=YYYY-MM-DD/ partitions and reference/indicators.jsonl")
    run.add_argument("--warehouse", required=True, type=Path,
                     help="warehouse folder (created if missing): warehouse.duckdb, serving/analytics.duckdb "
                          "(the published snapshot), restricted/, graph/, logs/")
    _add_run_arguments(run)

    demo = command("demo", "generate a dataset into DIR/landing (kept and reused while its options are the "
                           "same) and run it into DIR/warehouse", epilog=RUN_EXIT_CODES)
    demo.add_argument("--dir", type=Path, default=REPO_ROOT / "data" / "demo", help="where landing/ and warehouse/ go")
    demo.add_argument("--accounts", type=int, default=5000, help=f"number of accounts, at least {MIN_ACCOUNTS}")
    demo.add_argument("--days", type=int, default=3, help="number of daily partitions")
    demo.add_argument("--seed", type=int, default=7, help="random seed")
    _add_run_arguments(demo)

    sql = command("sql", "query the published snapshot (read-only)", epilog=SQL_EXIT_CODES)
    sql.add_argument("query", help="SQL over the published tables (docs/analysts.md); several statements "
                                   "separated by ';' print the last one's result")
    sql.add_argument("--warehouse", required=True, type=Path,
                     help="the warehouse folder of a run; reads <warehouse>/serving/analytics.duckdb only")
    sql.add_argument("--csv", action="store_true", help="print CSV (all rows, '\\n' line ends) instead of a table")
    sql.add_argument("--max-rows", type=int, default=50, metavar="N",
                     help="rows the table shows (default 50; --csv prints every row)")
    sql.add_argument("--timeout", type=float, default=SQL_TIMEOUT_SECONDS, metavar="S",
                     help=f"stop a query after S seconds (default {SQL_TIMEOUT_SECONDS:.0f}; 0: no limit)")

    from . import coordination

    coordination.add_arguments(command("coordination", "CooRTweet-style coordinated co-sharing on a share export",
                                       epilog="exit codes: 0 written; 2 usage or input error"))

    from evaluation import quality

    ev = command("evaluate", "detection quality against generated truth, with the co-sharing baseline",
                 epilog="Without --landing/--warehouse it generates and runs one dataset per seed.\n"
                        "exit codes: 0 evaluated; 1 a run did not publish")
    quality.add_arguments(ev)
    _amend_help(ev, "--accounts", f"accounts per generated dataset, at least {MIN_ACCOUNTS}")
    _amend_help(ev, "--days", "days per generated dataset")
    _amend_help(ev, "--graph-engine", "graph engine of the generated runs")
    return parser


def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--start", type=_date, help="first partition (YYYY-MM-DD); default: the first landed")
    p.add_argument("--end", type=_date, help="last partition (YYYY-MM-DD); default: the last landed")
    p.add_argument("--graph-engine", choices=("auto", "spark", "local"), default="auto",
                   help="engine of the graph metrics: local (igraph, one process), spark, or auto: local unless "
                        "the coordination graph has more edges than the auto threshold (README, \"Operating it\")")


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

        w = csv.writer(sys.stdout, lineterminator="\n")  # not csv's "\r\n": shells keep the \r in $(...)
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
