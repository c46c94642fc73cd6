"""Per-vertex graph metrics with a choice of engine (local igraph/scipy or Spark).

Input: vertices (column ``id``, or ``actor_key``) and edges (``src``, ``dst``,
optional ``weight``) as Parquet paths or polars DataFrames (the Spark engine
also takes Spark DataFrames).  A path may be a file, a folder of ``*.parquet``
files (as Spark writes them) or a glob; with the Spark engine a URI such as
``hdfs://...`` or ``s3a://...`` goes to Spark untouched.  Output: one row per
vertex with the columns of ``OUTPUT_COLUMNS``; the semantics are documented in
:mod:`graph_jobs.local_engine` and are the same for both engines.

Command line::

    python -m graph_jobs.metrics --vertices V.parquet --edges E.parquet --out OUT.parquet \
        [--engine auto|spark|local] [--seeds S.parquet] [--directed] \
        [--pagerank-iterations N] [--damping D] [--cdlp-iterations N] [--auto-threshold-edges N]

Bad input (a missing or unreadable file, missing columns, an out-of-range
parameter) ends the command with one line ``error: ...`` on stderr and exit
status 2.  Parameters: ``0 < damping < 1``; iteration counts ``>= 0`` (0 leaves
the initial values: PageRank 1/N, every vertex its own community).

``auto`` picks Spark above a number of edges: ``--auto-threshold-edges``, else
the environment variable ``THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES``, else
``DEFAULT_AUTO_THRESHOLD_EDGES`` (the graph asset of the pipeline has its own
default, ``PIPELINE_AUTO_THRESHOLD_EDGES``; the variable overrides both).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import sys
import time
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import polars as pl

from graph_jobs.local_engine import OUTPUT_SCHEMA

OUTPUT_COLUMNS: tuple[str, ...] = tuple(OUTPUT_SCHEMA)
ENGINES = ("auto", "spark", "local")
AUTO_THRESHOLD_ENV = "THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES"
# Two defaults on purpose (docs/benchmarks.md, "Graph engines"): on the measured machines the local
# engine beat Spark at every size one process holds, so the library and this command keep it up to
# 5M edges; the pipeline, whose process also holds DuckDB and the detection stage, switches at 2M.
DEFAULT_AUTO_THRESHOLD_EDGES = 5_000_000
PIPELINE_AUTO_THRESHOLD_EDGES = 2_000_000
DEFAULT_PAGERANK_ITERATIONS = 20
DEFAULT_CDLP_ITERATIONS = 10
DEFAULT_DAMPING = 0.85
VERTEX_ID_COLUMNS = ("id", "actor_key")  # the first present is the vertex id (actor_key is renamed to id)
EDGE_COLUMNS = ("src", "dst")

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
_GLOB_CHARS = re.compile(r"[*?\[]")


class GraphInputError(ValueError):
    """Input the metrics cannot be computed from (missing file, not Parquet, missing columns, bad parameter)."""


# --------------------------------------------------------------------------- #
# Engine choice
# --------------------------------------------------------------------------- #
def auto_threshold_edges(
    value: int | None = None, default: int = DEFAULT_AUTO_THRESHOLD_EDGES, env: Mapping[str, str] | None = None
) -> int:
    """The ``auto`` threshold: ``value`` if given, else ``$THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES``, else ``default``.

    Read when needed, not at import: a bad value is a clear error naming the variable."""
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise GraphInputError(f"auto threshold must be a whole number of edges >= 0, got {value!r}")
        return value
    raw = (os.environ if env is None else env).get(AUTO_THRESHOLD_ENV, "").strip()
    if not raw:
        return default
    try:
        parsed = int(raw)
    except ValueError:
        parsed = -1
    if parsed < 0:
        raise GraphInputError(f"{AUTO_THRESHOLD_ENV}={raw!r} is not a whole number of edges >= 0")
    return parsed


def _engine_name(engine: str | None) -> str:
    name = (engine or "auto").lower()
    if name not in ENGINES:
        raise GraphInputError(f"unknown graph engine {engine!r}; expected one of {ENGINES}")
    return name


def choose_engine(engine: str, n_edges: int, threshold: int | None = None) -> str:
    """``local`` or ``spark``: an explicit choice wins; ``auto`` picks Spark above ``threshold`` edges
    (None: see :func:`auto_threshold_edges`)."""
    engine = _engine_name(engine)
    if engine != "auto":
        return engine
    return "spark" if n_edges > auto_threshold_edges(threshold) else "local"


def resolve_engine(
    engine: str | None, edges, threshold: int | None = None, default_threshold: int = DEFAULT_AUTO_THRESHOLD_EDGES
) -> str:
    """The engine :func:`compute_metrics` runs: edges are counted (and the threshold read) only for ``auto``."""
    engine = _engine_name(engine)
    if engine != "auto":
        return engine
    limit = auto_threshold_edges(threshold, default_threshold)
    return "spark" if count_edges(edges) > limit else "local"


# --------------------------------------------------------------------------- #
# Paths
# --------------------------------------------------------------------------- #
def _is_path(x) -> bool:
    return isinstance(x, (str, os.PathLike))


def _is_uri(path) -> bool:
    """``scheme://...`` (hdfs, s3a, ...): not checked here, read by whichever engine reads it."""
    return bool(_URI.match(os.fspath(path)))


def _parquet_files(path, label: str = "input") -> list[str]:
    """The Parquet files a local path stands for: the file, a folder's ``*.parquet`` (Spark's
    ``_SUCCESS`` and ``.crc`` files left out) or a glob's matches; GraphInputError when none."""
    p = os.fspath(path)
    if _GLOB_CHARS.search(p) and not os.path.exists(p):
        files = sorted(f for f in glob.glob(p) if os.path.isfile(f))
        if not files:
            raise GraphInputError(f"{label} {p}: no file matches")
        return files
    if os.path.isdir(p):
        files = sorted(str(f) for f in Path(p).glob("*.parquet") if f.is_file() and not f.name.startswith((".", "_")))
        if not files:
            raise GraphInputError(f"{label} {p}: folder without *.parquet files")
        return files
    if not os.path.exists(p):
        raise GraphInputError(f"{label} {p}: no such file or folder")
    return [p]


def _polars_source(path, label: str = "input") -> str | list[str]:
    """What polars reads for ``path`` (a URI as it is)."""
    if _is_uri(path):
        return os.fspath(path)
    files = _parquet_files(path, label)
    return files[0] if len(files) == 1 else files


def parquet_columns(path, label: str = "input") -> list[str]:
    """Column names of a local Parquet path (its first file), from the footer only."""
    files = _parquet_files(path, label)
    try:
        return list(pl.read_parquet_schema(files[0]))
    except Exception as exc:  # zero bytes, not Parquet, unreadable
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise GraphInputError(f"{label} {files[0]}: not a readable Parquet file ({reason})") from None


def count_edges(edges) -> int:
    if _is_path(edges):
        return int(pl.scan_parquet(_polars_source(edges, "edges")).select(pl.len()).collect().item())
    if isinstance(edges, pl.DataFrame):
        return edges.height
    return int(edges.count())  # Spark DataFrame


def _to_polars(frame, label: str = "input") -> pl.DataFrame | None:
    if frame is None or isinstance(frame, pl.DataFrame):
        return frame
    if _is_path(frame):
        return pl.read_parquet(_polars_source(frame, label))
    return pl.from_arrow(frame.toArrow())  # Spark DataFrame


# --------------------------------------------------------------------------- #
# Validation
# --------------------------------------------------------------------------- #
def _columns(frame, label: str) -> list[str] | None:
    """Columns of a frame or local path; None when unknown before an engine reads it (a URI)."""
    if frame is None:
        return None
    if _is_path(frame):
        return None if _is_uri(frame) else parquet_columns(frame, label)
    return list(frame.columns)


def _where(label: str, frame) -> str:
    return f"{label} {os.fspath(frame)}" if _is_path(frame) else label


def vertex_id_column(columns: Sequence[str], where: str = "vertices") -> str:
    """``id``, else ``actor_key``; GraphInputError naming the columns found."""
    for c in VERTEX_ID_COLUMNS:
        if c in columns:
            return c
    raise GraphInputError(f"{where}: need a column 'id' (or 'actor_key'); found {list(columns)}")


def check_edge_columns(columns: Sequence[str], where: str = "edges") -> None:
    missing = [c for c in EDGE_COLUMNS if c not in columns]
    if missing:
        raise GraphInputError(
            f"{where}: missing column(s) {missing} (need 'src', 'dst', optional 'weight'); found {list(columns)}"
        )


def check_parameters(pagerank_iterations, damping, cdlp_iterations) -> None:
    for name, n in (("pagerank_iterations", pagerank_iterations), ("cdlp_iterations", cdlp_iterations)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise GraphInputError(f"{name} must be a whole number >= 0, got {n!r}")
    if isinstance(damping, bool) or not isinstance(damping, (int, float)) or not 0.0 < damping < 1.0:
        raise GraphInputError(f"damping must be between 0 and 1 (exclusive), got {damping!r}")


def check_inputs(vertices, edges, seeds=None) -> None:
    """Check local paths (exist, Parquet, columns) and frames' columns before any computing."""
    vcols = _columns(vertices, "vertices")
    if vcols is not None:
        vertex_id_column(vcols, _where("vertices", vertices))
    ecols = _columns(edges, "edges")
    if ecols is not None:
        check_edge_columns(ecols, _where("edges", edges))
    if _is_path(seeds) and not _is_uri(seeds):
        parquet_columns(seeds, "seeds")


def _vertex_frame(vertices, where: str = "vertices"):
    """``vertices`` (polars or Spark DataFrame) with its id column named ``id``."""
    if vertices is None:
        return None
    col = vertex_id_column(vertices.columns, where)
    if col == "id":
        return vertices
    if isinstance(vertices, pl.DataFrame):
        return vertices.rename({col: "id"})
    return vertices.withColumnRenamed(col, "id")


def read_seeds(seeds) -> list[str]:
    """Seeds as ids: an iterable of ids, a polars DataFrame or a Parquet path (column ``id``
    or ``actor_key``, else the first column)."""
    if seeds is None:
        return []
    if _is_path(seeds):
        seeds = pl.read_parquet(_polars_source(seeds, "seeds"))
    if isinstance(seeds, pl.DataFrame):
        col = next((c for c in VERTEX_ID_COLUMNS if c in seeds.columns), seeds.columns[0] if seeds.columns else None)
        return [] if col is None else [str(x) for x in seeds[col].drop_nulls().to_list()]
    return [str(s) for s in seeds if s is not None]


# --------------------------------------------------------------------------- #
# Entry points
# --------------------------------------------------------------------------- #
def compute_metrics(
    vertices,
    edges,
    engine: str = "auto",
    directed: bool = False,
    seeds: Iterable | pl.DataFrame | str | os.PathLike = (),
    auto_threshold_edges: int | None = None,
    pagerank_iterations: int = DEFAULT_PAGERANK_ITERATIONS,
    damping: float = DEFAULT_DAMPING,
    cdlp_iterations: int = DEFAULT_CDLP_ITERATIONS,
    spark=None,
) -> pl.DataFrame:
    """One row per vertex with ``OUTPUT_COLUMNS``, in vertex order.

    GraphInputError (a ValueError) for bad parameters, unreadable paths or missing columns,
    raised before anything is computed.  ``auto_threshold_edges``: None reads
    ``$THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES``, else ``DEFAULT_AUTO_THRESHOLD_EDGES``
    (:func:`resolve_engine` gives the engine this call runs).
    ``spark``: an existing SparkSession for the Spark engine (default: :func:`get_spark`).
    """
    check_parameters(pagerank_iterations, damping, cdlp_iterations)
    check_inputs(vertices, edges, seeds)
    chosen = resolve_engine(engine, edges, auto_threshold_edges)
    params = dict(
        directed=directed,
        pagerank_iterations=pagerank_iterations,
        damping=damping,
        cdlp_iterations=cdlp_iterations,
    )
    if chosen == "local":
        from graph_jobs import local_engine

        v = _vertex_frame(_to_polars(vertices, "vertices"), _where("vertices", vertices))
        e = _to_polars(edges, "edges")
        check_edge_columns(e.columns, _where("edges", edges))
        return local_engine.compute_metrics(v, e, seeds=read_seeds(seeds), **params)
    from graph_jobs.spark_engine import SparkEngine
    from graph_jobs.spark_session import get_spark

    spark_engine = SparkEngine(spark or get_spark("threatgraph-graph-metrics"))
    v = _vertex_frame(spark_engine.to_spark(vertices), _where("vertices", vertices))
    e = spark_engine.to_spark(edges)
    check_edge_columns(e.columns, _where("edges", edges))
    if _is_path(seeds) and _is_uri(seeds):
        seeds = _to_polars(spark_engine.to_spark(seeds))
    return spark_engine.compute_polars(v, e, seeds=read_seeds(seeds), **params)


def write_metrics(df: pl.DataFrame, out: str | os.PathLike) -> Path:
    """Write ``df`` to ``out`` through a temporary file (removed again on failure)."""
    out = Path(out)
    if out.is_dir():
        raise GraphInputError(f"--out {out}: is a folder; give the path of a Parquet file")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    try:
        df.write_parquet(tmp)
        tmp.replace(out)
    except BaseException:
        if tmp.is_file():
            tmp.unlink()
        raise
    return out


def _check_out(out: str) -> None:
    p = Path(out)
    if p.is_dir():
        raise GraphInputError(f"--out {out}: is a folder; give the path of a Parquet file")
    for parent in p.parents:
        if parent.exists():
            if not parent.is_dir():
                raise GraphInputError(f"--out {out}: {parent} is not a folder")
            break


def _whole_number(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def _damping(text: str) -> float:
    try:
        d = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < d < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {text}")
    return d


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's status for usage errors)
        self.exit(2, f"error: {message} (see --help)\n")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _spark_errors() -> tuple[type[BaseException], ...]:
    """PySpark's and Py4J's exception types, when PySpark is loaded (errors from reading input)."""
    errors: list[type[BaseException]] = []
    if "pyspark" in sys.modules:
        from pyspark.errors import PySparkException

        errors.append(PySparkException)
    if "py4j" in sys.modules:
        from py4j.protocol import Py4JError

        errors.append(Py4JError)
    return tuple(errors)


def main(argv: Sequence[str] | None = None) -> int:
    p = _Parser(prog="python -m graph_jobs.metrics", description=__doc__.split("\n\n")[0])
    p.add_argument("--vertices", required=True, help="Parquet with column id (or actor_key)")
    p.add_argument("--edges", required=True, help="Parquet with columns src, dst[, weight]")
    p.add_argument("--out", required=True, help="output Parquet file")
    p.add_argument("--engine", default="auto", choices=ENGINES)
    p.add_argument("--seeds", default=None, help="Parquet of known bad actors (column id)")
    p.add_argument("--directed", action="store_true")
    p.add_argument("--pagerank-iterations", type=_whole_number, default=DEFAULT_PAGERANK_ITERATIONS, help=">= 0")
    p.add_argument("--damping", type=_damping, default=DEFAULT_DAMPING, help="0 < D < 1")
    p.add_argument("--cdlp-iterations", type=_whole_number, default=DEFAULT_CDLP_ITERATIONS, help=">= 0")
    p.add_argument(
        "--auto-threshold-edges", type=_whole_number, default=None,
        help=f"auto picks Spark above N edges (default: ${AUTO_THRESHOLD_ENV}, else {DEFAULT_AUTO_THRESHOLD_EDGES:,})",
    )  # fmt: skip
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    try:
        _check_out(a.out)
        check_inputs(a.vertices, a.edges, a.seeds)  # before a Spark session is started
        engine = resolve_engine(a.engine, a.edges, a.auto_threshold_edges)
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
    except (GraphInputError, OSError, pl.exceptions.PolarsError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        if not isinstance(exc, _spark_errors()):
            raise
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    print(
        f"graph metrics: engine={engine} vertices={df.height} out={a.out} "
        f"seconds={time.perf_counter() - t0:.1f}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
