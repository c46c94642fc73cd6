"""Per-vertex graph metrics with a choice of engine (local igraph/scipy or Spark).

Input: vertices (column ``id``) and edges (``src``, ``dst``, optional ``weight``)
as Parquet paths or polars DataFrames (the Spark engine also takes Spark
DataFrames).  Output: one row per vertex with the columns of
``OUTPUT_COLUMNS``; the semantics are documented in
:mod:`graph_jobs.local_engine` and are the same for both engines.

Command line::

    python -m graph_jobs.metrics --vertices V.parquet --edges E.parquet --out OUT.parquet \
        [--engine auto|spark|local] [--seeds S.parquet] [--directed] \
        [--pagerank-iterations N] [--damping D] [--cdlp-iterations N] [--auto-threshold-edges N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Iterable, Sequence

import polars as pl

from graph_jobs.local_engine import OUTPUT_SCHEMA

OUTPUT_COLUMNS: tuple[str, ...] = tuple(OUTPUT_SCHEMA)
ENGINES = ("auto", "spark", "local")
DEFAULT_AUTO_THRESHOLD_EDGES = int(os.environ.get("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", "5000000"))
DEFAULT_PAGERANK_ITERATIONS = 20
DEFAULT_CDLP_ITERATIONS = 10


def choose_engine(engine: str, n_edges: int, threshold: int = DEFAULT_AUTO_THRESHOLD_EDGES) -> str:
    """``local`` or ``spark``: an explicit choice wins; ``auto`` picks Spark above ``threshold`` edges."""
    engine = (engine or "auto").lower()
    if engine not in ENGINES:
        raise ValueError(f"unknown graph engine {engine!r}; expected one of {ENGINES}")
    if engine != "auto":
        return engine
    return "spark" if n_edges > threshold else "local"


def _is_path(x) -> bool:
    return isinstance(x, (str, os.PathLike))


def count_edges(edges) -> int:
    if _is_path(edges):
        return int(pl.scan_parquet(str(edges)).select(pl.len()).collect().item())
    if isinstance(edges, pl.DataFrame):
        return edges.height
    return int(edges.count())  # Spark DataFrame


def _to_polars(frame) -> pl.DataFrame | None:
    if frame is None or isinstance(frame, pl.DataFrame):
        return frame
    if _is_path(frame):
        return pl.read_parquet(str(frame))
    return pl.from_arrow(frame.toArrow())  # Spark DataFrame


def read_seeds(seeds) -> list[str]:
    """Seeds as ids: an iterable of ids, a polars DataFrame or a Parquet path (column ``id``
    or ``actor_key``, else the first column)."""
    if seeds is None:
        return []
    if _is_path(seeds):
        seeds = pl.read_parquet(str(seeds))
    if isinstance(seeds, pl.DataFrame):
        col = next((c for c in ("id", "actor_key") if c in seeds.columns), seeds.columns[0] if seeds.columns else None)
        return [] if col is None else [str(x) for x in seeds[col].drop_nulls().to_list()]
    return [str(s) for s in seeds if s is not None]


def compute_metrics(
    vertices,
    edges,
    engine: str = "auto",
    directed: bool = False,
    seeds: Iterable | pl.DataFrame | str | os.PathLike = (),
    auto_threshold_edges: int = DEFAULT_AUTO_THRESHOLD_EDGES,
    pagerank_iterations: int = DEFAULT_PAGERANK_ITERATIONS,
    damping: float = 0.85,
    cdlp_iterations: int = DEFAULT_CDLP_ITERATIONS,
    spark=None,
) -> pl.DataFrame:
    """One row per vertex with ``OUTPUT_COLUMNS``, in vertex order.

    ``spark``: an existing SparkSession for the Spark engine (default: :func:`get_spark`).
    """
    chosen = choose_engine(engine, count_edges(edges), auto_threshold_edges)
    seed_ids = read_seeds(seeds)
    params = dict(
        directed=directed,
        seeds=seed_ids,
        pagerank_iterations=pagerank_iterations,
        damping=damping,
        cdlp_iterations=cdlp_iterations,
    )
    if chosen == "local":
        from graph_jobs import local_engine

        return local_engine.compute_metrics(_to_polars(vertices), _to_polars(edges), **params)
    from graph_jobs.spark_engine import SparkEngine
    from graph_jobs.spark_session import get_spark

    spark = spark or get_spark("threatgraph-graph-metrics")
    return SparkEngine(spark).compute_polars(vertices, edges, **params)


def write_metrics(df: pl.DataFrame, out: str | os.PathLike) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    df.write_parquet(tmp)
    tmp.replace(out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m graph_jobs.metrics", description=__doc__.split("\n\n")[0])
    p.add_argument("--vertices", required=True, help="Parquet with column id")
    p.add_argument("--edges", required=True, help="Parquet with columns src, dst[, weight]")
    p.add_argument("--out", required=True, help="output Parquet file")
    p.add_argument("--engine", default="auto", choices=ENGINES)
    p.add_argument("--seeds", default=None, help="Parquet of known bad actors (column id)")
    p.add_argument("--directed", action="store_true")
    p.add_argument("--pagerank-iterations", type=int, default=DEFAULT_PAGERANK_ITERATIONS)
    p.add_argument("--damping", type=float, default=0.85)
    p.add_argument("--cdlp-iterations", type=int, default=DEFAULT_CDLP_ITERATIONS)
    p.add_argument("--auto-threshold-edges", type=int, default=DEFAULT_AUTO_THRESHOLD_EDGES)
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    engine = choose_engine(a.engine, count_edges(a.edges), a.auto_threshold_edges)
    df = compute_metrics(
        a.vertices,
        a.edges,
        engine=engine,
        directed=a.directed,
        seeds=a.seeds,
        pagerank_iterations=a.pagerank_iterations,
        damping=a.damping,
        cdlp_iterations=a.cdlp_iterations,
    )
    write_metrics(df, a.out)
    print(
        f"graph metrics: engine={engine} vertices={df.height} out={a.out} "
        f"seconds={time.perf_counter() - t0:.1f}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
