"""`python -m bench`: see bench/__init__.py and docs/benchmarks.md."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from . import machine
from .sampler import RssSampler, mib

# accounts:days. The generator makes ~20.7 events per account over 7 days (measured: 10,000
# accounts -> 206,924 events), so these give ~200k / ~2M / ~10M events.
DEFAULT_SIZES = {"S": (9_700, 7), "M": (97_000, 7), "L": (485_000, 7)}
RUSSIAN = Path("/work/shared/datasets/coortweet/russian_coord_tweets.csv")


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_sizes(text: str | None) -> dict[str, tuple[int, int]]:
    sizes = dict(DEFAULT_SIZES)
    for part in filter(None, (text or "").split(",")):
        name, _, spec = part.partition("=")
        acc, _, days = spec.partition(":")
        sizes[name.strip()] = (int(acc), int(days or 7))
    return sizes


def _ints(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description="threatgraph benchmarks: per-stage throughput "
                                "and memory, head-to-head with coordination-network-toolkit, graph engines.")
    p.add_argument("--scales", default="S,M,L", help="comma list of scale names to run (default S,M,L; '' for none)")
    p.add_argument("--sizes", default=None, help="override/add scales: NAME=accounts:days,... "
                   f"(defaults {', '.join(f'{k}={a}:{d}' for k, (a, d) in DEFAULT_SIZES.items())})")
    p.add_argument("--out", default="bench-results", type=Path, help="folder for the JSON results")
    p.add_argument("--engines", default="local,spark", help="graph engines to time on each exported graph")
    p.add_argument("--repeat", type=int, default=1, help="runs per scale (tables show the median)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", type=Path, default=None, help="scratch folder (default OUT/_work)")
    p.add_argument("--keep", action="store_true", help="keep the generated landings and warehouses")
    p.add_argument("--head-to-head", dest="h2h", default="russian,synthetic",
                   help="datasets for the coordination head-to-head: russian, synthetic, a CSV path; '' for none")
    p.add_argument("--h2h-shares", type=int, default=1_000_000, help="rows of the synthetic share export")
    p.add_argument("--h2h-window", type=int, default=60, help="time window (s) of the head-to-head")
    p.add_argument("--graph-sizes", default="10000,100000,1000000",
                   help="edge counts for local vs spark graph metrics ('' for none)")
    p.add_argument("--max-spark-edges", type=int, default=None, help="skip spark above this many edges")
    p.add_argument("--docs", type=Path, default=Path("docs/benchmarks.md"),
                   help="markdown file whose generated section is rewritten ('' to skip)")
    return p


def _median_run(runs: list[dict]) -> dict:
    """First run with each stage's seconds replaced by the median over the runs (peaks: the max)."""
    if len(runs) == 1:
        return runs[0]
    base = json.loads(json.dumps(runs[0]))
    for i, st in enumerate(base["stages"]):
        secs = [r["stages"][i]["seconds"] for r in runs]
        st["seconds"] = round(statistics.median(secs), 3)
        st["seconds_all"] = secs
        st["peak_rss_mib"] = max(r["stages"][i]["peak_rss_mib"] for r in runs)
        if "seconds_by_step" in st:  # per step, the median over the runs too (a step missing from a run took 0 s)
            steps = dict.fromkeys(k for r in runs for k in r["stages"][i].get("seconds_by_step", {}))
            st["seconds_by_step"] = {k: round(statistics.median(r["stages"][i]["seconds_by_step"].get(k, 0.0) for r in runs), 3)
                                     for k in steps}
        rows = st["rows_in"] or st["rows_out"]
        st["rows_per_s"] = round(rows / st["seconds"], 1) if rows and st["seconds"] else None
    return base


def merge(results: list[dict]) -> dict:
    """Several result files as one (later files win per scale / dataset; graph rows are concatenated)."""
    out = json.loads(json.dumps(results[0]))
    for r in results[1:]:
        out["scales"].update(r.get("scales", {}))
        seen = {h.get("dataset") for h in r.get("head_to_head", [])}
        out["head_to_head"] = [h for h in out["head_to_head"] if h.get("dataset") not in seen] + r.get("head_to_head", [])
        if r.get("graph_engines"):
            from .graphscale import recommend_threshold

            newer = {(g["edges"], g["engine"]) for g in r["graph_engines"]}
            rows = [g for g in out.get("graph_engines", []) if (g["edges"], g["engine"]) not in newer] + r["graph_engines"]
            out["graph_engines"] = sorted(rows, key=lambda g: (g["edges"], g["engine"]))
            out["graph_engine_recommendation"] = recommend_threshold(out["graph_engines"])
        if r.get("spark_startup_seconds") is not None:
            out["spark_startup_seconds"] = r["spark_startup_seconds"]
        out["notes"] = out.get("notes", []) + r.get("notes", [])
        out.setdefault("merged_from", []).append(r.get("machine", {}).get("when"))
    return out


def report_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench report",
                                description="rewrite the generated section of the docs from result files")
    p.add_argument("files", nargs="+", type=Path, help="bench-results/*.json, merged in order")
    p.add_argument("--docs", type=Path, default=Path("docs/benchmarks.md"))
    a = p.parse_args(argv)
    from .report import write_docs

    results = merge([json.loads(f.read_text()) for f in a.files])
    write_docs(results, a.docs, Path(", ".join(map(str, a.files))) if len(a.files) > 1 else a.files[0])
    say(f"tables: {a.docs}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(os.sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["report"]:
        return report_main(argv[1:])
    a = build_parser().parse_args(argv)
    # One pseudonym key for every run (unless one is set): over-full co-action buckets keep a sample
    # chosen by hash(actor_key), so with a fresh random key per run the repeats would not compute
    # the same pairs (S: 2,300 to 2,317 coordination-graph edges over three runs).
    from orchestration.pseudonymize import KEY_ENV

    os.environ.setdefault(KEY_ENV, "threatgraph-bench")
    sizes = parse_sizes(a.sizes)
    scales = [s.strip() for s in a.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in sizes]
    if unknown:
        raise SystemExit(f"unknown scale(s) {unknown}; known: {sorted(sizes)}")
    engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    out_dir = a.out
    out_dir.mkdir(parents=True, exist_ok=True)
    work = (a.workdir or out_dir / "_work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    graph_sizes = _ints(a.graph_sizes) if a.graph_sizes else []
    h2h = [x.strip() for x in a.h2h.split(",") if x.strip()]

    started = time.time()
    results: dict = {"machine": machine.describe(), "argv": argv,
                     "sizes": {k: list(v) for k, v in sizes.items()}, "scales": {}, "head_to_head": [],
                     "graph_engines": [], "notes": []}
    say("machine: " + machine.one_line(results["machine"]))
    stamp = time.strftime("%Y%m%dT%H%M%S")
    json_path = out_dir / f"bench-{stamp}.json"

    def save() -> None:
        results["total_seconds"] = round(time.time() - started, 1)
        json_path.write_text(json.dumps(results, indent=2, default=str))

    with RssSampler() as sampler:
        results["baseline_rss_mib"] = mib(sampler.sample()[1])
        spark = None
        if "spark" in engines and (scales or graph_sizes):
            say("starting the Spark session (timed separately: paid once per process)")
            t = time.perf_counter()
            try:
                from graph_jobs.spark_session import get_spark

                spark = get_spark("threatgraph-bench")
                spark.range(1).count()
                results["spark_startup_seconds"] = round(time.perf_counter() - t, 2)
            except Exception as exc:
                results["notes"].append(f"spark session failed: {type(exc).__name__}: {exc}"[:500])
                engines = [e for e in engines if e != "spark"]
        for name in scales:
            acc, days = sizes[name]
            runs = []
            for r in range(a.repeat):
                say(f"scale {name} run {r + 1}/{a.repeat}")
                try:
                    runs.append(_run_scale(name, acc, days, work, engines, sampler, a.seed, a.keep, spark))
                except Exception as exc:  # recorded, and the other parts still run
                    say(f"scale {name} FAILED: {exc}")
                    results["notes"].append(f"scale {name} run {r + 1} failed: {type(exc).__name__}: {exc}"[:1000])
            if runs:
                results["scales"][name] = {"median": _median_run(runs), "runs": runs}
            save()
        for ds in h2h:
            results["head_to_head"].append(_h2h(ds, work, a, sampler))
            save()
        if not a.keep:
            import shutil

            for p in list(work.glob("h2h-*")) + list(work.glob("synthetic_shares_*.csv")):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        if graph_sizes:
            from .graphscale import engine_scaling, recommend_threshold

            rows = engine_scaling(graph_sizes, engines, sampler, spark=spark, seed=a.seed,
                                  max_spark_edges=a.max_spark_edges)
            results["graph_engines"] = rows
            results["graph_engine_recommendation"] = recommend_threshold(rows)
            save()
        if spark is not None:
            spark.stop()
    save()
    say(f"results: {json_path}")
    if str(a.docs) not in ("", "."):
        from .report import write_docs

        write_docs(results, a.docs, json_path)
        say(f"tables: {a.docs}")
    return 0


def _run_scale(name, acc, days, work, engines, sampler, seed, keep, spark) -> dict:
    from .pipeline import run_scale

    return run_scale(name, acc, days, work, engines, sampler, seed=seed, keep=keep, spark=spark)


def _h2h(ds: str, work: Path, a, sampler: RssSampler) -> dict:
    from .headtohead import compare, synth_shares

    n_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        if ds == "russian":
            return compare("russian_coord_tweets", RUSSIAN, work / "h2h-russian", a.h2h_window, sampler, n_cpus)
        if ds == "synthetic":
            path = work / f"synthetic_shares_{a.h2h_shares}.csv"
            say(f"head-to-head: writing a synthetic share export of {a.h2h_shares:,} rows")
            info = synth_shares(path, a.h2h_shares, seed=a.seed)
            res = compare(f"synthetic {info['shares']:,} shares", path, work / "h2h-synthetic", a.h2h_window, sampler, n_cpus)
            res["synthetic"] = info
            return res
        p = Path(ds)
        return compare(p.name, p, work / f"h2h-{p.stem}", a.h2h_window, sampler, n_cpus)
    except Exception as exc:
        say(f"head-to-head {ds} FAILED: {exc}")
        return {"dataset": ds, "error": f"{type(exc).__name__}: {exc}"[:1000]}
