"""One scale through the real pipeline: generate, the Dagster ingest job per partition, the
analytics job (dbt models, graph export, graph metrics, detection, checks, publish), each
stage timed and its peak RSS taken; then graph metrics per engine on the exported graph, and
the bare DuckDB scan of the landing files (the floor for ingestion).

The pipeline is the one `threatgraph run` executes (orchestration/runner.py): the same
definitions, jobs, run config and instance kind; only the loop is repeated here so the
per-step events and materialization metadata can be read.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from .sampler import RssSampler, mib

SOURCES = ("accounts", "events", "sessions", "enforcement")
STAGES = ("generate", "ingest", "dbt models", "graph export", "graph metrics", "detection", "checks", "publish")


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _stage(name: str, seconds: float, rows_in: int | None, rows_out: int | None, peak: int, **extra) -> dict:
    rows = rows_in if rows_in else rows_out
    return {
        "stage": name,
        "seconds": round(seconds, 3),
        "rows_in": rows_in,
        "rows_out": rows_out,
        "rows_per_s": round(rows / seconds, 1) if rows and seconds > 0 else None,
        "peak_rss_mib": mib(peak),
        **extra,
    }


def _step_spans(instance, run_id: str) -> dict[str, dict]:
    """step_key -> {start, end, duration_ms, ok} from the run's event log (wall-clock times)."""
    spans: dict[str, dict] = {}
    for entry in instance.all_logs(run_id):
        ev = entry.dagster_event
        if ev is None or not ev.step_key:
            continue
        s = spans.setdefault(ev.step_key, {"start": None, "end": None, "duration_ms": None, "ok": None})
        if ev.event_type_value == "STEP_START":
            s["start"] = entry.timestamp
        elif ev.event_type_value == "STEP_SUCCESS":
            s["end"] = entry.timestamp
            s["duration_ms"] = ev.event_specific_data.duration_ms
            s["ok"] = True
        elif ev.event_type_value == "STEP_FAILURE":
            s["end"] = entry.timestamp
            s["ok"] = False
    return spans


def _materialization_metadata(result) -> dict[str, dict]:
    out = {}
    for e in result.get_asset_materialization_events():
        m = e.event_specific_data.materialization
        out[m.asset_key.to_user_string()] = {k: getattr(v, "value", v) for k, v in m.metadata.items()}
    return out


def _is_check_step(key: str) -> bool:
    """Quality-gate steps: GX suites, volume checks, the window gate and the verified-days marker."""
    from orchestration.checks.gx_checks import GX_CHECK_PREFIX, VOLUME_CHECK_NAME
    from orchestration.checks.window_checks import WINDOW_DAYS_LANDED, WINDOW_DAYS_VERIFIED

    return (f"_{GX_CHECK_PREFIX}" in key or key == "bronze__verified_days"
            or key.endswith(tuple(f"_{name}" for name in (VOLUME_CHECK_NAME, WINDOW_DAYS_VERIFIED, WINDOW_DAYS_LANDED))))


def landing_files(landing: Path) -> list[Path]:
    from orchestration.ingest import is_data_name

    files = [p for src in SOURCES for p in sorted((landing / src).glob("dt=*/*")) if is_data_name(p.name)]
    files += [p for p in sorted((landing / "reference").glob("*")) if is_data_name(p.name)]
    return files


def _sql_list(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def _read_json_sql(files: list[Path]) -> str:
    """DuckDB's JSON reader over files of one source, every column materialised, bad lines skipped."""
    return (f"SELECT * FROM read_json_auto({_sql_list(files)}, format='newline_delimited', "
            "union_by_name=true, ignore_errors=true, sample_size=-1)")


def bare_scan(landing: Path, workdir: Path) -> dict:
    """The floors for ingestion: DuckDB reading the same files (gz included), without validation,
    as lines and as JSON; and loading them into a DuckDB file (bare_load)."""
    import duckdb

    files = landing_files(landing)
    by_source: dict[str, list[Path]] = {}
    for (source, _), group in files_by_partition(files).items():
        by_source.setdefault(source, []).extend(group)
    con = duckdb.connect(":memory:")
    try:
        con.execute("PRAGMA threads=%d" % max(1, __import__("os").cpu_count() or 1))
        t = time.perf_counter()
        lines = con.execute(
            f"SELECT count(*) FROM read_csv({_sql_list(files)}, columns={{'line': 'VARCHAR'}}, header=false, delim='\\x01', "
            "quote='', escape='', auto_detect=false, null_padding=false, ignore_errors=true)").fetchone()[0]
        t_lines = time.perf_counter() - t
        t = time.perf_counter()
        # count(*) over SELECT *: every column materialised, so the JSON is actually parsed
        records = sum(con.execute(f"SELECT count(*) FROM ({_read_json_sql(group)})").fetchone()[0]
                      for group in by_source.values())
        t_json = time.perf_counter() - t
    finally:
        con.close()
    return {"files": len(files), "lines": int(lines), "records": int(records),
            "lines_seconds": round(t_lines, 3), "json_seconds": round(t_json, 3),
            "load_seconds": round(bare_load(by_source, workdir), 3),
            "load_per_partition_seconds": round(bare_load(files_by_partition(files), workdir), 3)}


def files_by_partition(files: list[Path]) -> dict[tuple[str, str | None], list[Path]]:
    """(source, dt folder or None) -> its files, in order: the units ingest writes one at a time."""
    groups: dict[tuple[str, str | None], list[Path]] = {}
    for f in files:
        key = (f.parent.parent.name, f.parent.name) if f.parent.name.startswith("dt=") else (f.parent.name, None)
        groups.setdefault(key, []).append(f)
    return groups


def bare_load(groups: dict, workdir: Path) -> float:
    """Seconds to scan the same files into tables of a new DuckDB file (one table per group),
    each group in its own connection, closed after it (checkpoint included): reading plus a
    durable write, without validation. Per source, or per (source, partition) as ingest writes."""
    import duckdb

    db = Path(workdir) / "bare-load.duckdb"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    for i, group in enumerate(groups.values()):
        con = duckdb.connect(str(db))
        try:
            con.execute(f"CREATE TABLE t{i} AS {_read_json_sql(group)}")
        finally:
            con.close()
    seconds = time.perf_counter() - t
    db.unlink(missing_ok=True)
    return seconds


def _count(db: Path, tables: list[str]) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for t in tables:
            try:
                out[t] = int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            except duckdb.Error:
                out[t] = None
        return out
    finally:
        con.close()


def run_scale(name: str, accounts: int, days: int, workdir: Path, engines: list[str], sampler: RssSampler,
              seed: int = 0, keep: bool = False, spark=None) -> dict:
    import dagster as dg

    from generator import synth
    from orchestration.definitions import build_definitions
    from orchestration.settings import duckdb_memory_limit
    from orchestration.ingest import landed_partitions
    from orchestration.partitions import select_partition_keys
    from orchestration.resources import PlatformStorage
    from orchestration.publish import PUBLISHED_TABLES
    from orchestration.runner import (SNAPSHOT_KEY, blocking_failures, execute_analytics, execute_ingest,
                                      failed_checks, materialized_keys)

    root = (Path(workdir) / f"scale-{name}").resolve()  # dbt runs in its project folder: absolute paths
    if root.exists():
        shutil.rmtree(root)
    landing, warehouse = root / "landing", root / "warehouse"
    stages: list[dict] = []
    out: dict = {"scale": name, "accounts": accounts, "days": days, "seed": seed, "stages": stages}

    # ---- generate
    say(f"{name}: generate {accounts:,} accounts x {days} days")
    t0w, t0 = time.time(), time.perf_counter()
    g = synth.generate(landing, days=days, accounts=accounts, seed=seed)
    dt = time.perf_counter() - t0
    lines_total = sum(g["lines"].values())
    out["generated"] = {"lines": g["lines"], "files": g["files"],
                        "bytes": sum(p.stat().st_size for p in landing_files(landing))}
    out["events"] = g["lines"]["events"]
    stages.append(_stage("generate", dt, None, lines_total, sampler.peak(t0w, time.time()),
                         note=f"{g['lines']['events']:,} events"))
    say(f"{name}: generated {lines_total:,} lines ({g['lines']['events']:,} events) in {dt:.1f}s")

    # ---- ingest (one ingest_job run per partition)
    defs = build_definitions(PlatformStorage(landing=str(landing), warehouse=str(warehouse)))
    instance = dg.DagsterInstance.ephemeral()
    keys = select_partition_keys(landed_partitions(landing), None, None)
    log_path = root / "tool-output.log"
    ing = {"wall": 0.0, "steps_s": 0.0, "lines_read": 0, "loaded": 0, "invalid": 0, "duplicates": 0, "bulk": 0, "peak": 0}
    chk = {"evaluations": 0, "peak": 0}
    chk_by_step: dict[str, float] = {}  # check step -> seconds summed over the runs (the checks stage is their sum)
    warned: list[str] = []  # failed WARN checks: reported, not blocking (as in `threatgraph run`)
    loaded_by_source = {s: 0 for s in SOURCES + ("indicators",)}
    for i, key in enumerate(keys, 1):
        tw, t = time.time(), time.perf_counter()
        res = execute_ingest(defs, key, instance, log_path)
        ing["wall"] += time.perf_counter() - t
        ing["peak"] = max(ing["peak"], sampler.peak(tw, time.time()))
        warned += [f"{key}: {c}" for c in failed_checks(res, blocking=False)]
        if blocking_failures(res):
            raise RuntimeError(f"ingest {key} failed: {blocking_failures(res)}")
        for k, md in _materialization_metadata(res).items():
            if "lines_read" not in md:  # bronze/verified_days: a marker, no lines
                continue
            ing["lines_read"] += md.get("lines_read", 0)
            ing["loaded"] += md.get("loaded", 0)
            ing["invalid"] += md.get("invalid", 0)
            ing["duplicates"] += md.get("duplicates", 0)
            ing["bulk"] += md.get("loaded_in_bulk", 0)
            loaded_by_source[k.split("/")[-1]] += md.get("loaded", 0)
        for sk, sp in _step_spans(instance, res.run_id).items():
            d = (sp["duration_ms"] or 0) / 1000
            if _is_check_step(sk):
                chk_by_step[sk] = chk_by_step.get(sk, 0.0) + d
                chk["peak"] = max(chk["peak"], sampler.peak(sp["start"] or tw, sp["end"] or time.time()))
            else:
                ing["steps_s"] += d
        chk["evaluations"] += len(res.get_asset_check_evaluations())
        say(f"{name}: ingest {key} ({i}/{len(keys)}) {time.perf_counter() - t:.1f}s")

    # ---- analytics job
    say(f"{name}: analytics job (dbt models, graph export, graph metrics [local], detection, checks, publish)")
    tw, t = time.time(), time.perf_counter()
    res = execute_analytics(defs, keys[-1], "local", instance, log_path)
    analytics_wall = time.perf_counter() - t
    bad = failed_checks(res)
    mds = _materialization_metadata(res)
    if blocking_failures(res) or SNAPSHOT_KEY not in materialized_keys(res):
        raise RuntimeError(f"analytics failed: {blocking_failures(res)}")
    spans = _step_spans(instance, res.run_id)
    say(f"{name}: analytics job {analytics_wall:.1f}s")

    wdb = warehouse / "warehouse.duckdb"
    bronze = _count(wdb, [f"bronze.{s}" for s in SOURCES + ("indicators",)])
    marts = _count(wdb, list(PUBLISHED_TABLES.values()))  # every published table comes from a mart

    # indicators are ingested in the analytics job (unpartitioned source)
    sp = spans.get("bronze__indicators", {})
    ind_md = mds.get("bronze/indicators", {})
    ing["steps_s"] += (sp.get("duration_ms") or 0) / 1000
    ing["lines_read"] += ind_md.get("lines_read", 0)
    ing["loaded"] += ind_md.get("loaded", 0)
    # The ingest_job runs also run the bronze checks: their steps count in the checks stage, not here.
    ingest_wall = ing["wall"] - sum(chk_by_step.values()) + (sp.get("duration_ms") or 0) / 1000
    stages.append(_stage("ingest", ingest_wall, ing["lines_read"], ing["loaded"], ing["peak"],
                         dagster_step_seconds=round(ing["steps_s"], 3), invalid=ing["invalid"],
                         duplicates=ing["duplicates"], partitions=len(keys),
                         ingest_job_wall_seconds=round(ing["wall"], 3), loaded_in_bulk=ing["bulk"],
                         note="ingest_job runs' wall minus their check steps (Dagster overhead included) + indicators step"))

    def span(key):
        s = spans[key]
        return s["start"], s["end"], (s["duration_ms"] or 0) / 1000

    a, b, d = span("warehouse_dbt_models")
    stages.append(_stage("dbt models", d, sum(v or 0 for v in bronze.values()),
                         (marts["marts.actors"] or 0) + (marts["marts.actor_edges"] or 0), sampler.peak(a, b),
                         note="dbt build (models + dbt tests); out = actors + actor_edges"))
    a, b, d = span("graph__coordination_graph")
    gmd = mds.get("graph/coordination_graph", {})
    stages.append(_stage("graph export", d, marts["marts.actor_edges"] + (marts["marts.evidence_edges"] or 0), gmd.get("edges"), sampler.peak(a, b),
                         vertices=gmd.get("vertices"), note="in = actor_edges + evidence_edges; out = coordination graph edges"))
    a, b, d = span("network_marts")
    amd = mds.get("marts/actor_metrics", {})
    eng_s = float(amd.get("engine_seconds") or 0)
    stages.append(_stage("graph metrics", eng_s, gmd.get("edges"), marts["marts.actor_metrics"], sampler.peak(a, b),
                         engine=amd.get("engine", "local"), note="inside network_marts (engine_seconds)"))
    stages.append(_stage("detection", max(d - eng_s, 0.0), marts["marts.actor_metrics"],
                         (marts["marts.networks"] or 0) + (marts["marts.network_members"] or 0), sampler.peak(a, b),
                         note="network_marts minus graph metrics; out = networks + members"))
    for sk, sp in spans.items():
        if _is_check_step(sk):
            chk_by_step[sk] = chk_by_step.get(sk, 0.0) + (sp["duration_ms"] or 0) / 1000
            if sp["start"] and sp["end"]:
                chk["peak"] = max(chk["peak"], sampler.peak(sp["start"], sp["end"]))
    chk["evaluations"] += len(res.get_asset_check_evaluations())
    checked_rows = sum(v or 0 for v in bronze.values()) + sum(v or 0 for v in marts.values())
    stages.append(_stage("checks", sum(chk_by_step.values()), checked_rows, chk["evaluations"], chk["peak"],
                         seconds_by_step={k: round(v, 3) for k, v in sorted(chk_by_step.items(), key=lambda kv: -kv[1])},
                         note="GX + volume + window-gate check steps of both jobs and the verified-days marker (dbt tests are in dbt models); "
                              "in = rows of the checked tables, out = check evaluations"))
    a, b, d = span("serving__analytics_snapshot")
    pmd = mds["serving/analytics_snapshot"]
    pub_rows = sum(v for k, v in pmd.items() if k.startswith("rows_"))
    stages.append(_stage("publish", d, pub_rows, pub_rows, sampler.peak(a, b)))

    out["ingest_wall_seconds"] = round(ingest_wall, 3)
    out["duckdb_memory_limit"] = duckdb_memory_limit()  # THREATGRAPH_DUCKDB_MEMORY_LIMIT: it moves peaks and times
    out["analytics_wall_seconds"] = round(analytics_wall, 3)
    out["bronze_rows"] = bronze
    out["mart_rows"] = marts
    out["published_rows"] = {k[5:]: v for k, v in pmd.items() if k.startswith("rows_")}
    out["loaded_by_source"] = loaded_by_source
    out["failed_checks"] = warned + bad

    # ---- graph metrics per engine, on the exported graph (the function the asset calls)
    out["engines"] = metrics_per_engine(warehouse / "graph", engines, sampler, spark=spark, label=name)

    # ---- bare scan
    say(f"{name}: bare DuckDB scan of the landing files")
    scan = bare_scan(landing, root)
    scan["ingest_over_json_scan"] = round(ingest_wall / scan["json_seconds"], 1) if scan["json_seconds"] else None
    scan["ingest_over_load"] = round(ingest_wall / scan["load_seconds"], 1) if scan["load_seconds"] else None
    scan["ingest_over_partition_load"] = (round(ingest_wall / scan["load_per_partition_seconds"], 1)
                                          if scan["load_per_partition_seconds"] else None)
    scan["ingest_over_line_scan"] = round(ingest_wall / scan["lines_seconds"], 1) if scan["lines_seconds"] else None
    scan["ingest_steps_over_json_scan"] = round(ing["steps_s"] / scan["json_seconds"], 1) if scan["json_seconds"] else None
    out["bare_scan"] = scan
    say(f"{name}: scan {scan['records']:,} records json {scan['json_seconds']:.2f}s lines {scan['lines_seconds']:.2f}s; "
        f"ingest/json-scan = {scan['ingest_over_json_scan']}x")

    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    return out


def metrics_per_engine(gdir: Path, engines: list[str], sampler: RssSampler, spark=None, label: str = "") -> list[dict]:
    import polars as pl

    from graph_jobs.metrics import compute_metrics

    vertices = pl.read_parquet(gdir / "vertices.parquet")
    edges = pl.read_parquet(gdir / "edges.parquet")
    seeds = pl.read_parquet(gdir / "seeds.parquet")["id"].to_list()
    rows = []
    for engine in engines:
        say(f"{label}: graph metrics engine={engine} on {edges.height:,} edges")
        tw, t = time.time(), time.perf_counter()
        try:
            kw = {"spark": spark} if engine == "spark" and spark is not None else {}
            m = compute_metrics(vertices, edges, engine=engine, directed=False, seeds=seeds, **kw)
            rows.append({"engine": engine, "vertices": vertices.height, "edges": edges.height,
                         "seconds": round(time.perf_counter() - t, 3), "rows_out": m.height,
                         "peak_rss_mib": mib(sampler.peak(tw, time.time()))})
        except Exception as exc:  # report, do not hide: the engine failed on this graph
            rows.append({"engine": engine, "vertices": vertices.height, "edges": edges.height,
                         "error": f"{type(exc).__name__}: {exc}"[:500]})
    return rows
