"""`threatgraph run` and `demo`: the same Dagster jobs the schedule and sensors run, in-process.

No second code path: `run` executes `ingest_job` for every partition, then
`analytics_job` (dbt models, graph stage, checks, publish) from
orchestration/definitions.py, with the same assets, checks and pools.
"""
from __future__ import annotations

import os
import shlex
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg

from .ingest import landed_partitions
from .partitions import daily_partitions, partition_range_problem, select_partition_keys
from .pseudonymize import PseudonymKeyMismatch
from .run_guard import CLI_LAUNCHER, LAUNCHER_TAG, InterruptWatch, release_abandoned_runs, warehouse_run_lock


def _say(msg: str) -> None:
    print(msg, flush=True)


@contextmanager
def tool_output_to(log_path: Path):
    """Send what the tools print (dbt's per-model lines, Dagster's logs) to a log file.

    The terminal keeps one line per step and the summary; the full output is
    one file away. THREATGRAPH_VERBOSE=1 keeps everything on the terminal.
    """
    if os.environ.get("THREATGRAPH_VERBOSE"):
        yield
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _instance() -> dg.DagsterInstance:
    # Persistent when the operator set DAGSTER_HOME (runs then show in the UI), else ephemeral.
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


# Dagster's per-step DEBUG lines drown the progress lines; operators see them in the UI.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


SNAPSHOT_KEY = dg.AssetKey(["serving", "analytics_snapshot"])
# Runs this process starts: release_abandoned_runs clears only these after a killed run.
CLI_TAGS = {LAUNCHER_TAG: CLI_LAUNCHER}


def failed_checks(result: dg.ExecuteInJobResult, blocking: bool | None = None) -> list[str]:
    """'asset_key:check_name (severity): why' of the failed check evaluations of a run: all, or only
    the blocking (ERROR) or only the reporting (WARN) ones."""
    out = []
    for ev in result.get_asset_check_evaluations():
        if not ev.passed and (blocking is None or (ev.severity == dg.AssetCheckSeverity.ERROR) == blocking):
            why = f": {ev.description[:300]}" if ev.description else ""
            out.append(f"{ev.asset_key.to_user_string()}:{ev.check_name} ({ev.severity.value}){why}")
    return out


def failed_steps(result: dg.ExecuteInJobResult) -> list[tuple[str, str]]:
    """(step key, why) of every failed step of a run."""
    return [(e.step_key, step_failure_reason(e)) for e in result.all_events if e.event_type_value == "STEP_FAILURE"]


def step_failure_reason(event) -> str:
    """The first line of why a step failed: its Failure's description, else its error."""
    data = getattr(event, "event_specific_data", None)
    user = getattr(data, "user_failure_data", None)
    text = (getattr(user, "description", None) or getattr(getattr(data, "error", None), "message", None) or "").strip()
    return text.splitlines()[0][:300] if text else ""


def blocking_failures(result: dg.ExecuteInJobResult) -> list[str]:
    """What stops publication: failed steps and failed ERROR-severity checks (WARN ones only report)."""
    return (failed_checks(result, blocking=True)
            + [f"step {key} failed" + (f": {why}" if why else "") for key, why in failed_steps(result)])


def materialized_keys(result: dg.ExecuteInJobResult) -> set[dg.AssetKey]:
    return {e.event_specific_data.materialization.asset_key for e in result.get_asset_materialization_events()}


def execute_ingest(defs: dg.Definitions, partition_key: str, instance: dg.DagsterInstance, log_path: Path) -> dg.ExecuteInJobResult:
    """One run of `ingest_job` for a landing day (what the schedule and the sensor start)."""
    with tool_output_to(log_path):
        return defs.resolve_job_def("ingest_job").execute_in_process(
            partition_key=partition_key, instance=instance, raise_on_error=False, run_config=QUIET_LOGS, tags=CLI_TAGS)


def execute_analytics(defs: dg.Definitions, window_end: str | None, graph_engine: str, instance: dg.DagsterInstance,
                      log_path: Path) -> dg.ExecuteInJobResult:
    """One run of `analytics_job` for the window ending on `window_end`, or on the newest day in
    bronze when None (dbt, graph, checks, publish)."""
    from .defs.automation import analytics_run_config

    with tool_output_to(log_path):
        return defs.resolve_job_def("analytics_job").execute_in_process(
            run_config=analytics_run_config(window_end, graph_engine) | QUIET_LOGS, instance=instance, raise_on_error=False,
            tags=CLI_TAGS)


def run_pipeline(landing: Path, warehouse: Path, start: date | None, end: date | None, graph_engine: str = "auto") -> int:
    from .definitions import build_definitions
    from .resources import PlatformStorage

    landing, warehouse = Path(landing).resolve(), Path(warehouse).resolve()
    if not landing.is_dir():
        print(f"error: landing folder {landing} {'is not a folder' if landing.exists() else 'does not exist'}", file=sys.stderr)
        return 2
    if warehouse.exists() and not warehouse.is_dir():
        print(f"error: warehouse {warehouse} is not a folder", file=sys.stderr)
        return 2
    landed = landed_partitions(landing)
    keys = select_partition_keys(landed, start, end)
    if not keys:
        print(f"error: {no_partitions_message(landing, landed, start, end)}", file=sys.stderr)
        return 2
    problem = partition_range_problem(keys, daily_partitions.get_first_partition_key(),
                                      daily_partitions.get_last_partition_key())
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    storage = PlatformStorage(landing=str(landing), warehouse=str(warehouse))
    try:
        storage.pseudonymizer()  # the ingest steps would each fail on a foreign key: say it once, first
    except PseudonymKeyMismatch as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    defs = build_definitions(storage)
    with warehouse_run_lock(warehouse, _say), InterruptWatch() as interrupts:
        return _run_locked(defs, keys, landing, warehouse, graph_engine, interrupts)


def _run_locked(defs: dg.Definitions, keys: list[str], landing: Path, warehouse: Path, graph_engine: str,
                interrupts: InterruptWatch) -> int:
    """The runs of one `threatgraph run`, holding the warehouse's run lock; stops at the first run
    boundary after SIGINT/SIGTERM (publish itself refuses to swap once the run was interrupted)."""
    instance = _instance()
    released = release_abandoned_runs(instance)
    if released:
        _say(f"released {len(released)} run(s) left unfinished by a killed threatgraph run: {', '.join(r[:8] for r in released)}")
    log_path = warehouse / "logs" / f"run-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{os.getpid()}.log"
    _say(f"threatgraph run: {len(keys)} partitions from {landing}; tool output in {log_path}")
    t0 = time.monotonic()
    problems, warnings = [], []
    for i, key in enumerate(keys, start=1):
        t = time.monotonic()
        result = execute_ingest(defs, key, instance, log_path)
        if interrupts.received():
            return _interrupted(interrupts, warehouse, log_path)
        blocking = blocking_failures(result)
        warnings += [f"{key}: {c}" for c in failed_checks(result, blocking=False)]
        _say(f"[1/2 ingest] {key} ({i}/{len(keys)}) {'FAILED' if blocking else 'ok'} in {time.monotonic() - t:.1f}s")
        problems += [f"{key}: {p}" for p in blocking]
    warnings += damaged_files(warehouse / "warehouse.duckdb", keys)
    if problems:
        return _refuse(problems, warehouse, log_path)
    # The window ends on the newest day in bronze (None): re-running an earlier day republishes
    # the current window rather than moving the analysts' snapshot back in time.
    _say(f"[2/2 analytics] window ending on the newest day in bronze: dbt models, graph ({graph_engine}), "
         "detection, checks, publish ...")
    t = time.monotonic()
    result = execute_analytics(defs, None, graph_engine, instance, log_path)
    if interrupts.received():
        return _interrupted(interrupts, warehouse, log_path)
    blocking = blocking_failures(result)
    warnings += [f"analytics: {c}" for c in failed_checks(result, blocking=False)]
    published = SNAPSHOT_KEY in materialized_keys(result)
    _say(f"[2/2 analytics] {'ok' if published and not blocking else 'FAILED'} in {time.monotonic() - t:.1f}s")
    if blocking or not published:
        return _refuse([f"analytics: {p}" for p in blocking] or ["analytics: the snapshot was not materialized"],
                       warehouse, log_path)
    _summary(warehouse, keys, time.monotonic() - t0, warnings)
    return 0


def no_partitions_message(landing: Path, landed: list[date], start: date | None, end: date | None) -> str:
    """Why a run has nothing to ingest (pure): no landed day at all, or none in the range asked for."""
    if not landed:
        return (f"no partitions found under {landing} (expected <source>/dt=YYYY-MM-DD/ folders for "
                "accounts, events, sessions or enforcement)")
    asked = f"{start or '...'} .. {end or '...'}"
    return (f"no landed day falls in {asked}: {landing} holds {len(landed)} day(s), "
            f"{landed[0].isoformat()} .. {landed[-1].isoformat()}")


DAMAGED_FILE_STATUSES = ("truncated_gzip", "corrupt_gzip", "skipped_not_jsonl")


def damaged_files(db: Path, keys: list[str]) -> list[str]:
    """One warning per landing file of these days that was cut, corrupt or not read (bronze.ingest_files):
    their lines are quarantined or skipped, which a run that publishes must still say."""
    import duckdb

    if not db.exists():
        return []
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(f"""
            SELECT CAST(dt AS VARCHAR), source, source_file, file_status, lines_read, invalid FROM bronze.ingest_files
            WHERE CAST(dt AS VARCHAR) IN (SELECT unnest(?)) AND file_status IN {DAMAGED_FILE_STATUSES}
            ORDER BY 1, 2, 3""", [keys]).fetchall()
    except duckdb.CatalogException:  # nothing ingested yet
        return []
    finally:
        con.close()
    return [f"{dt}: {source} file {Path(name).name}: {status} ({read} lines read, {invalid} quarantined)"
            for dt, source, name, status, read, invalid in rows]


def _interrupted(interrupts: InterruptWatch, warehouse: Path, log_path: Path) -> int:
    code = interrupts.exit_code()
    print("error: interrupted; not published" + (f", the previous snapshot is unchanged: {warehouse / 'serving' / 'analytics.duckdb'}"
                                                  if (warehouse / "serving" / "analytics.duckdb").exists() else ""), file=sys.stderr)
    print("the days ingested so far stay in bronze; run again to finish", file=sys.stderr)
    if log_path.exists():
        print(f"details: {log_path}", file=sys.stderr)
    return code


def _refuse(problems: list[str], warehouse: Path, log_path: Path | None = None) -> int:
    snapshot = warehouse / "serving" / "analytics.duckdb"
    print("error: not published; blocking checks or steps failed:", file=sys.stderr)
    for p in problems:
        print(f"  - {p}", file=sys.stderr)
    if snapshot.exists():
        print(f"the previous snapshot is unchanged: {snapshot}", file=sys.stderr)
    if log_path is not None and log_path.exists():
        print(f"details: {log_path}", file=sys.stderr)
    return 1


SUMMARY_TABLES = ("actors", "actor_edges", "evidence_edges", "networks", "network_members", "network_edges",
                  "actor_metrics")


def cli_command() -> str:
    """How to call `threatgraph` from here: the bare name when it is on the PATH, else its path
    in this interpreter's bin/ (a venv that is not activated, as under `make demo`)."""
    import shutil

    exe = Path(sys.executable).parent / "threatgraph"
    if not exe.exists():
        return f"{shlex.quote(sys.executable)} -m orchestration.cli"
    found = shutil.which("threatgraph")
    if found and Path(found).resolve() == exe.resolve():
        return "threatgraph"
    try:
        return shlex.quote(str(exe.relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(exe))


def snapshot_window(con) -> tuple[date | None, date | None]:
    """(first, last day) of the analysis window of a published snapshot: marts.actors' window."""
    return tuple(con.execute("SELECT min(window_start), max(window_end) FROM actors").fetchone())


def window_line(first: date | None, last: date | None) -> str:
    if first is None or last is None:
        return "window: none (no actors in the snapshot)"
    return f"window: {first} .. {last} ({(last - first).days + 1} days)"


def _summary(warehouse: Path, keys: list[str], seconds: float, warnings: list[str] = ()) -> None:
    import duckdb

    snapshot = warehouse / "serving" / "analytics.duckdb"
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SUMMARY_TABLES if t in present}
        first, last = snapshot_window(con)
        flagged = con.execute("SELECT count(*), coalesce(sum(n_actors), 0) FROM networks WHERE flagged").fetchone()
        top = con.execute("""SELECT network_id, n_actors, risk_score, array_to_string(signals, ', ')
                             FROM networks WHERE flagged ORDER BY risk_score DESC, n_actors DESC LIMIT 5""").fetchall()
    finally:
        con.close()
    _say(f"\npublished {snapshot}")
    _say(f"partitions: {keys[0]} .. {keys[-1]} ({len(keys)}), {seconds:.0f}s")
    _say(window_line(first, last))
    _say("rows: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
    _say(f"networks flagged: {flagged[0]} ({flagged[1]} accounts)")
    for nid, n, risk, signals in top:
        _say(f"  {nid}  {n:>4} accounts  risk {risk:.2f}  {signals}")
    if warnings:
        _say(f"warnings (not blocking): {len(warnings)}")
        for w in warnings[:10]:
            _say(f"  - {w}")
    _say(f"query: {cli_command()} sql \"SELECT * FROM networks WHERE flagged\" --warehouse {shlex.quote(str(warehouse))}")


DEMO_OPTIONS = ("accounts", "days", "seed", "start", "corrupt_rate")  # generator.synth.generate's


def landing_options(landing: Path) -> dict | None:
    """The generator options a landing was made with (its _truth/manifest.json), None when unknown."""
    import json

    try:
        arguments = json.loads((landing / "_truth" / "manifest.json").read_text())["arguments"]
        return {k: arguments[k] for k in DEMO_OPTIONS}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _options_text(options: dict) -> str:
    return ", ".join(f"{k}={options[k]}" for k in DEMO_OPTIONS)


def run_demo(args) -> int:
    """Generate DIR/landing unless it holds a dataset generated with the same options, then run it.

    A landing generated with other --accounts/--days/--seed is generated again, and the demo's
    warehouse (DIR/warehouse, derived from the old landing alone) is removed with it: bronze would
    otherwise mix the two datasets' days and accounts."""
    import inspect
    import shutil

    from generator import synth

    from .cli import MIN_ACCOUNTS

    if args.accounts < MIN_ACCOUNTS or args.days < 1:
        print(f"error: need --accounts >= {MIN_ACCOUNTS} (the planted operations need a population) "
              "and --days >= 1", file=sys.stderr)
        return 2
    root = Path(args.dir)
    landing, warehouse = root / "landing", root / "warehouse"
    defaults = inspect.signature(synth.generate).parameters
    wanted = {"accounts": args.accounts, "days": args.days, "seed": args.seed,
              "start": defaults["start"].default.isoformat(), "corrupt_rate": defaults["corrupt_rate"].default}
    generated = (landing / "_truth").is_dir()
    if not generated and landing.is_dir() and any(landing.iterdir()):
        print(f"error: {landing} holds files that `threatgraph demo` did not generate (no _truth/); "
              "choose another --dir", file=sys.stderr)
        return 2
    if generated:
        had = landing_options(landing)
        if had is None or had == wanted:
            about = (f"generated with {_options_text(had)}; other --accounts, --days or --seed generate it again"
                     if had else "generation options unknown; remove it (`make clean-data` for data/demo) or use a new --dir to "
                     "regenerate")
            _say(f"[demo] reusing the existing landing at {landing} ({about})")
            return run_pipeline(landing, warehouse, args.start, args.end, args.graph_engine)
        _say(f"[demo] the landing at {landing} was generated with {_options_text(had)}; generating it again with "
             f"{_options_text(wanted)}" + (f" and starting a new warehouse (removing {warehouse})" if warehouse.exists() else ""))
        if warehouse.exists():
            shutil.rmtree(warehouse)
    _say(f"[demo] generating {args.accounts} accounts over {args.days} days (seed {args.seed}) into {landing}")
    synth.generate(landing, days=args.days, accounts=args.accounts, seed=args.seed)
    return run_pipeline(landing, warehouse, args.start, args.end, args.graph_engine)
