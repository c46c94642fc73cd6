"""Loader for the LDBC Graphalytics validation graphs (shared/datasets/ldbc-graphalytics-validation).

Formats:
- ``<algo>/{dir,undir}-input``: adjacency lists, one line ``v n1 n2 ...``
  (undirected inputs may list an edge once or twice; edges are canonicalised).
- ``<algo>/{dir,undir}-output``: ``id value`` lines.
- ``example/example-{directed,undirected}.{v,e}`` (``.e``: ``src dst weight``)
  and outputs ``example-<kind>-{BFS,CDLP,LCC,PR,SSSP,WCC}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO_ROOT.parent / "shared" / "datasets" / "ldbc-graphalytics-validation"

BFS_UNREACHABLE = 9223372036854775807

# Parameters of the validation graphs (datasets README).
VALIDATION_PARAMS = {
    "bfs": {"source": "1"},
    "cdlp": {"iterations": 5},
    "pr": {"damping": 0.85, "iterations": {True: 14, False: 26}},
}
EXAMPLE_PARAMS = {
    True: {"source": "1", "cdlp_iterations": 2, "damping": 0.85, "pr_iterations": 2},
    False: {"source": "2", "cdlp_iterations": 2, "damping": 0.85, "pr_iterations": 2},
}


@dataclass
class LdbcGraph:
    name: str
    directed: bool
    vertices: pl.DataFrame  # id (str)
    edges: pl.DataFrame  # src, dst (str), weight (f64)
    params: dict = field(default_factory=dict)


def _edges_frame(rows: list[tuple[str, str, float]], directed: bool) -> pl.DataFrame:
    df = pl.DataFrame(rows, schema={"src": pl.String, "dst": pl.String, "weight": pl.Float64}, orient="row")
    if not directed and len(df):
        key = pl.col("src").cast(pl.Int64, strict=False)
        kd = pl.col("dst").cast(pl.Int64, strict=False)
        swap = pl.when(key.is_not_null() & kd.is_not_null()).then(key > kd).otherwise(pl.col("src") > pl.col("dst"))
        df = df.with_columns(
            pl.when(swap).then(pl.col("dst")).otherwise(pl.col("src")).alias("src"),
            pl.when(swap).then(pl.col("src")).otherwise(pl.col("dst")).alias("dst"),
        ).unique(subset=["src", "dst"], keep="first", maintain_order=True)
    return df


def read_adjacency(path: str | Path, directed: bool, name: str | None = None) -> LdbcGraph:
    vertices: list[str] = []
    seen: set[str] = set()
    rows: list[tuple[str, str, float]] = []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        v = parts[0]
        for x in [v, *parts[1:]]:
            if x not in seen:
                seen.add(x)
                vertices.append(x)
        rows.extend((v, u, 1.0) for u in parts[1:])
    return LdbcGraph(
        name=name or Path(path).name,
        directed=directed,
        vertices=pl.DataFrame({"id": vertices}, schema={"id": pl.String}),
        edges=_edges_frame(rows, directed),
    )


def read_output(path: str | Path) -> dict[str, str]:
    """``id -> value`` (value kept as text; parse as the algorithm needs)."""
    out: dict[str, str] = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0]] = parts[1]
    return out


def load_validation(algo: str, directed: bool, root: str | Path = DEFAULT_ROOT) -> tuple[LdbcGraph, dict[str, str]]:
    """Graph and reference output of ``<algo>/{dir,undir}-{input,output}``."""
    kind = "dir" if directed else "undir"
    folder = Path(root) / algo
    g = read_adjacency(folder / f"{kind}-input", directed, name=f"{algo}/{kind}")
    params = dict(VALIDATION_PARAMS.get(algo, {}))
    if algo == "pr":
        params["iterations"] = params["iterations"][directed]
    g.params = params
    return g, read_output(folder / f"{kind}-output")


def load_example(directed: bool, root: str | Path = DEFAULT_ROOT) -> tuple[LdbcGraph, dict[str, dict[str, str]]]:
    """The example graph (with weights) and its reference outputs by algorithm name."""
    kind = "directed" if directed else "undirected"
    folder = Path(root) / "example"
    vertices = [line.strip() for line in (folder / f"example-{kind}.v").read_text().splitlines() if line.strip()]
    rows = []
    for line in (folder / f"example-{kind}.e").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            rows.append((parts[0], parts[1], float(parts[2]) if len(parts) > 2 else 1.0))
    g = LdbcGraph(
        name=f"example-{kind}",
        directed=directed,
        vertices=pl.DataFrame({"id": vertices}, schema={"id": pl.String}),
        edges=_edges_frame(rows, directed),
        params=dict(EXAMPLE_PARAMS[directed]),
    )
    outputs = {
        algo: read_output(folder / f"example-{kind}-{algo}")
        for algo in ("BFS", "CDLP", "LCC", "PR", "SSSP", "WCC")
        if (folder / f"example-{kind}-{algo}").exists()
    }
    return g, outputs
