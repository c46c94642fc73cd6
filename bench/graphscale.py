"""Graph metrics, local engine vs Spark engine, on synthetic graphs of growing edge counts:
the data behind the `auto` threshold (graph_jobs.metrics.choose_engine)."""
from __future__ import annotations

import time

import numpy as np
import polars as pl

from .sampler import RssSampler, mib


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def synth_graph(n_edges: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Undirected graph with a skewed degree distribution (~4 edges per vertex), unique pairs, no loops."""
    rng = np.random.default_rng(seed)
    n_v = max(n_edges // 4, 10)
    w = 1.0 / np.arange(1, n_v + 1) ** 0.6
    p = w / w.sum()
    need = n_edges
    seen = pl.DataFrame({"src": pl.Series([], dtype=pl.Int64), "dst": pl.Series([], dtype=pl.Int64)})
    for _ in range(10):
        m = int(need * 1.3) + 10
        a, b = rng.choice(n_v, size=m, p=p), rng.integers(0, n_v, size=m)
        df = pl.DataFrame({"src": np.minimum(a, b), "dst": np.maximum(a, b)}).filter(pl.col("src") != pl.col("dst"))
        seen = pl.concat([seen, df]).unique(maintain_order=True)
        if seen.height >= n_edges:
            break
        need = n_edges - seen.height
    seen = seen.head(n_edges).sort(["src", "dst"])
    fmt = lambda c: pl.format("v{}", pl.col(c).cast(pl.Utf8).str.zfill(8))
    edges = seen.select(fmt("src").alias("src"), fmt("dst").alias("dst"), pl.lit(1.0).alias("weight"))
    vertices = pl.concat([edges.select(pl.col("src").alias("id")), edges.select(pl.col("dst").alias("id"))]).unique().sort("id")
    return vertices, edges


def engine_scaling(sizes: list[int], engines: list[str], sampler: RssSampler, spark=None, seed: int = 0,
                   max_spark_edges: int | None = None) -> list[dict]:
    from graph_jobs.metrics import compute_metrics

    rows = []
    for n in sizes:
        vertices, edges = synth_graph(n, seed)
        seeds = vertices["id"].head(max(vertices.height // 1000, 1)).to_list()
        for engine in engines:
            row = {"edges": edges.height, "vertices": vertices.height, "engine": engine}
            if engine == "spark" and max_spark_edges and n > max_spark_edges:
                row["skipped"] = f"above --max-spark-edges {max_spark_edges}"
                rows.append(row)
                continue
            say(f"graph scaling: {engine} on {edges.height:,} edges / {vertices.height:,} vertices")
            tw, t = time.time(), time.perf_counter()
            try:
                kw = {"spark": spark} if engine == "spark" and spark is not None else {}
                m = compute_metrics(vertices, edges, engine=engine, directed=False, seeds=seeds, **kw)
                row.update(seconds=round(time.perf_counter() - t, 3), rows_out=m.height,
                           edges_per_s=round(edges.height / max(time.perf_counter() - t, 1e-9), 1),
                           peak_rss_mib=mib(sampler.peak(tw, time.time())))
                say(f"graph scaling: {engine} {row['seconds']:.1f}s")
            except Exception as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"[:500]
                say(f"graph scaling: {engine} FAILED {row['error'][:200]}")
            rows.append(row)
    return rows


def recommend_threshold(rows: list[dict]) -> dict:
    """Smallest measured edge count from which Spark was faster than local; none if never."""
    by_n: dict[int, dict[str, float]] = {}
    for r in rows:
        if "seconds" in r:
            by_n.setdefault(r["edges"], {})[r["engine"]] = r["seconds"]
    both = sorted((n, t) for n, t in by_n.items() if "local" in t and "spark" in t)
    if not both:
        return {"crossing_edges": None, "recommendation": "no size was measured with both engines (run with --engines local,spark)"}
    crossing = next((n for n, t in both if t["spark"] < t["local"]), None)
    largest = both[-1][0] if both else None
    if crossing is not None:
        return {"crossing_edges": crossing, "recommendation": f"auto -> spark above ~{crossing:,} edges on this machine"}
    return {"crossing_edges": None, "largest_measured": largest,
            "recommendation": (f"local was faster at every measured size (up to {largest:,} edges): keep the auto threshold "
                               f"above {largest:,}; Spark pays off only when the graph no longer fits one process "
                               "or on a cluster") if largest else "no data"}
