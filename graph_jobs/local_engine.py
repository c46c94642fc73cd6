"""Single-machine graph metrics (igraph + numpy/scipy), the reference semantics.

Semantics shared with :mod:`graph_jobs.spark_engine` (see also the LDBC
Graphalytics rules these follow):

* Vertex order: when every id is an integer literal (``-?[0-9]{1,18}``, nothing
  else: no surrounding whitespace or line terminator) ids are
  ordered numerically (ties by the string), otherwise by their string value.
  "Smallest id" below always refers to this order.
* The vertex set is the given vertices plus every edge endpoint.
* Self-loops are dropped and parallel edges collapsed (their weights summed);
  in an undirected graph ``a->b`` and ``b->a`` are the same edge.
* ``component``: weakly connected component, labelled with its smallest id.
* ``community``: CDLP, synchronous, labels start as the vertex ids; a vertex
  counts the labels of its in- and out-neighbours (a reciprocal directed edge
  counts twice), the most frequent label wins, ties go to the smallest label,
  fixed number of iterations; a vertex without neighbours keeps its label.
* ``pagerank``: starts at 1/N, fixed iterations of
  ``(1-d)/N + d * (sum_in rank/outdeg + dangling_sum/N)`` (undirected: every
  edge in both directions).
* ``degree``: neighbours in the underlying undirected simple graph;
  ``in_degree``/``out_degree`` in the directed simple graph (equal to
  ``degree`` for undirected graphs); ``weighted_degree``: summed weight of the
  incident edges.
* ``triangles``/``core_number``: on the underlying undirected simple graph.
* ``clustering``: LDBC LCC.  Undirected: standard local clustering coefficient;
  directed: neighbours = in ∪ out, number of directed edges among them divided
  by d(d-1).  0 when d < 2.
* ``bad_actor_distance``: hop distance from the nearest seed (following edge
  direction in a directed graph); null when unreachable or without seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import igraph as ig
import numpy as np
import polars as pl
import scipy.sparse as sp

# \A and \z, not ^ and $: Java's $ (Spark's rlike) also matches before a final line terminator
# ("9\n", "9\u2028"), Rust's (polars) does not; \A and \z mean the ends of the text in both.
INT_ID_PATTERN = r"\A-?[0-9]{1,18}\z"

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String,
    "component": pl.String,
    "community": pl.String,
    "pagerank": pl.Float64,
    "degree": pl.Int64,
    "in_degree": pl.Int64,
    "out_degree": pl.Int64,
    "weighted_degree": pl.Float64,
    "triangles": pl.Int64,
    "clustering": pl.Float64,
    "core_number": pl.Int64,
    "bad_actor_distance": pl.Int64,
}


# --------------------------------------------------------------------------- #
# Graph preparation
# --------------------------------------------------------------------------- #
@dataclass
class LocalGraph:
    """A graph with vertices 0..n-1 in id order (see module docstring)."""

    ids: np.ndarray  # object array of str, index -> id
    directed: bool
    src: np.ndarray  # directed simple edges (undirected graph: canonical a<b)
    dst: np.ndarray
    pa: np.ndarray  # undirected simple pairs a<b
    pb: np.ndarray
    pmult: np.ndarray  # directed: 1 or 2 (reciprocal); undirected: 2
    pweight: np.ndarray  # summed weight of the pair

    @property
    def n(self) -> int:
        return len(self.ids)

    # -- matrices ----------------------------------------------------------
    def adjacency(self) -> sp.csr_matrix:
        """0/1 adjacency: A[i, j] = 1 for an edge i -> j (symmetric if undirected)."""
        if self.directed:
            rows, cols = self.src, self.dst
        else:
            rows = np.concatenate([self.pa, self.pb])
            cols = np.concatenate([self.pb, self.pa])
        data = np.ones(len(rows), dtype=np.float64)
        return sp.csr_matrix((data, (rows, cols)), shape=(self.n, self.n))

    def undirected_igraph(self) -> ig.Graph:
        return ig.Graph(n=self.n, edges=np.column_stack([self.pa, self.pb]).tolist(), directed=False)

    def igraph(self) -> ig.Graph:
        if not self.directed:
            return self.undirected_igraph()
        return ig.Graph(n=self.n, edges=np.column_stack([self.src, self.dst]).tolist(), directed=True)


def order_ids(ids: pl.Series) -> pl.Series:
    """Distinct non-null ids (as str) in the canonical vertex order."""
    s = ids.cast(pl.String).drop_nulls().unique()
    df = pl.DataFrame({"id": s})
    if len(df) and bool(df["id"].str.contains(INT_ID_PATTERN).all()):
        df = df.with_columns(pl.col("id").cast(pl.Int64).alias("_k")).sort(["_k", "id"])
    else:
        df = df.sort("id")
    return df["id"]


def _edge_frame(edges: pl.DataFrame) -> pl.DataFrame:
    cols = [pl.col("src").cast(pl.String), pl.col("dst").cast(pl.String)]
    if "weight" in edges.columns:
        cols.append(pl.col("weight").cast(pl.Float64).fill_null(1.0).alias("weight"))
    else:
        cols.append(pl.lit(1.0, dtype=pl.Float64).alias("weight"))
    return edges.select(cols).drop_nulls(["src", "dst"])


def prepare(vertices: pl.DataFrame | None, edges: pl.DataFrame, directed: bool) -> LocalGraph:
    e = _edge_frame(edges)
    parts = [e["src"], e["dst"]]
    if vertices is not None:
        if "id" not in vertices.columns:
            raise ValueError(f"vertices: need a column 'id'; found {vertices.columns}")
        parts.insert(0, vertices["id"].cast(pl.String))
    ids = order_ids(pl.concat(parts) if parts else pl.Series("id", [], pl.String))
    index = pl.DataFrame({"id": ids, "idx": np.arange(len(ids), dtype=np.int64)})
    e = (
        e.join(index.rename({"id": "src", "idx": "s"}), on="src")
        .join(index.rename({"id": "dst", "idx": "d"}), on="dst")
        .filter(pl.col("s") != pl.col("d"))
    )
    if directed:
        de = e.group_by(["s", "d"]).agg(pl.col("weight").sum()).sort(["s", "d"])
        pairs = (
            de.with_columns(
                pl.min_horizontal("s", "d").alias("a"), pl.max_horizontal("s", "d").alias("b")
            )
            .group_by(["a", "b"])
            .agg(pl.len().cast(pl.Int64).alias("m"), pl.col("weight").sum())
            .sort(["a", "b"])
        )
        src, dst = de["s"].to_numpy(), de["d"].to_numpy()
    else:
        pairs = (
            e.with_columns(
                pl.min_horizontal("s", "d").alias("a"), pl.max_horizontal("s", "d").alias("b")
            )
            .group_by(["a", "b"])
            .agg(pl.col("weight").sum())
            .with_columns(pl.lit(2, dtype=pl.Int64).alias("m"))
            .sort(["a", "b"])
        )
        src, dst = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    return LocalGraph(
        ids=np.asarray(ids.to_list(), dtype=object),
        directed=directed,
        src=np.asarray(src, dtype=np.int64),
        dst=np.asarray(dst, dtype=np.int64),
        pa=pairs["a"].to_numpy().astype(np.int64),
        pb=pairs["b"].to_numpy().astype(np.int64),
        pmult=pairs["m"].to_numpy().astype(np.int64),
        pweight=pairs["weight"].to_numpy().astype(np.float64),
    )


# --------------------------------------------------------------------------- #
# Algorithms (return arrays indexed by vertex index)
# --------------------------------------------------------------------------- #
def components(g: LocalGraph) -> np.ndarray:
    """Index of the smallest vertex of each vertex's weakly connected component."""
    memb = np.asarray(g.undirected_igraph().connected_components(mode="weak").membership, dtype=np.int64)
    smallest = np.full(memb.max() + 1 if len(memb) else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, memb, np.arange(g.n, dtype=np.int64))
    return smallest[memb]


def cdlp(g: LocalGraph, iterations: int) -> np.ndarray:
    """LDBC community detection by label propagation; labels are vertex indices."""
    n = g.n
    labels = np.arange(n, dtype=np.int64)
    if n == 0:
        return labels
    a = g.adjacency()
    w = (a + a.T).tocoo() if g.directed else a.tocoo()  # reciprocal edges count twice
    rows, cols, vals = w.row.astype(np.int64), w.col.astype(np.int64), w.data
    if len(rows) == 0:
        return labels
    has_nbr = np.zeros(n, dtype=bool)
    has_nbr[rows] = True
    for _ in range(iterations):
        counts = sp.csr_matrix((vals, (rows, labels[cols])), shape=(n, n))
        counts.sum_duplicates()  # also sorts the column (label) indices per row
        counts.sort_indices()
        indptr, lab, cnt = counts.indptr, counts.indices, counts.data
        nonempty = np.diff(indptr) > 0
        starts = indptr[:-1][nonempty]
        row_of = np.repeat(np.arange(n), np.diff(indptr))
        row_max = np.zeros(n)
        row_max[nonempty] = np.maximum.reduceat(cnt, starts)
        is_max = cnt == row_max[row_of]
        # first (= smallest label) maximal entry of every row
        pos = np.flatnonzero(is_max)
        first = np.full(n, -1, dtype=np.int64)
        rr = row_of[pos]
        keep = np.r_[True, rr[1:] != rr[:-1]]
        first[rr[keep]] = pos[keep]
        new = labels.copy()
        sel = has_nbr & (first >= 0)
        new[sel] = lab[first[sel]]
        labels = new
    return labels


def pagerank(g: LocalGraph, iterations: int, damping: float = 0.85) -> np.ndarray:
    """LDBC PageRank: fixed iterations, dangling mass spread evenly over all vertices."""
    n = g.n
    if n == 0:
        return np.zeros(0)
    a = g.adjacency()
    outdeg = np.asarray(a.sum(axis=1)).ravel()
    dangling = outdeg == 0
    inv = np.zeros(n)
    inv[~dangling] = 1.0 / outdeg[~dangling]
    at = a.T.tocsr()
    r = np.full(n, 1.0 / n)
    for _ in range(iterations):
        dsum = r[dangling].sum()
        r = (1.0 - damping) / n + damping * (at @ (r * inv) + dsum / n)
    return r


def triangles_and_clustering(g: LocalGraph) -> tuple[np.ndarray, np.ndarray]:
    """Triangles per vertex (undirected) and the LDBC local clustering coefficient."""
    n = g.n
    tri = np.zeros(n, dtype=np.int64)
    num = np.zeros(n, dtype=np.float64)
    deg = np.bincount(np.concatenate([g.pa, g.pb]), minlength=n).astype(np.int64)
    if len(g.pa):
        t = np.asarray(g.undirected_igraph().list_triangles(), dtype=np.int64).reshape(-1, 3)
        if len(t):
            keys = g.pa * n + g.pb  # sorted because pairs are sorted by (a, b)

            def mult(x: np.ndarray, y: np.ndarray) -> np.ndarray:
                k = np.minimum(x, y) * n + np.maximum(x, y)
                return g.pmult[np.searchsorted(keys, k)]

            a, b, c = t[:, 0], t[:, 1], t[:, 2]
            for v, opposite in ((a, mult(b, c)), (b, mult(a, c)), (c, mult(a, b))):
                tri += np.bincount(v, minlength=n)
                num += np.bincount(v, weights=opposite, minlength=n)
    denom = deg * (deg - 1)
    lcc = np.zeros(n)
    ok = denom > 0
    lcc[ok] = num[ok] / denom[ok]
    return tri, lcc


def core_numbers(g: LocalGraph) -> np.ndarray:
    return np.asarray(g.undirected_igraph().coreness(mode="all"), dtype=np.int64)


def bfs_distance(g: LocalGraph, seed_idx: Iterable[int]) -> np.ndarray:
    """Hop distance from the nearest seed; -1 when unreachable (or no seeds)."""
    seeds = sorted(set(int(s) for s in seed_idx))
    out = np.full(g.n, -1, dtype=np.int64)
    if not seeds:
        return out
    h = g.igraph().copy()
    super_source = h.vcount()
    h.add_vertices(1)
    h.add_edges([(super_source, s) for s in seeds])
    d = np.asarray(h.distances(source=[super_source], mode="out")[0][:-1], dtype=np.float64)
    reach = np.isfinite(d)
    out[reach] = d[reach].astype(np.int64) - 1
    return out


def degrees(g: LocalGraph) -> dict[str, np.ndarray]:
    n = g.n
    deg = np.bincount(np.concatenate([g.pa, g.pb]), minlength=n).astype(np.int64)
    wdeg = np.bincount(np.concatenate([g.pa, g.pb]), weights=np.concatenate([g.pweight, g.pweight]), minlength=n)
    if g.directed:
        ind = np.bincount(g.dst, minlength=n).astype(np.int64)
        outd = np.bincount(g.src, minlength=n).astype(np.int64)
    else:
        ind = outd = deg
    return {"degree": deg, "in_degree": ind, "out_degree": outd, "weighted_degree": wdeg.astype(np.float64)}


def seed_indices(g: LocalGraph, seeds: Iterable) -> list[int]:
    pos = {v: i for i, v in enumerate(g.ids)}
    return [pos[str(s)] for s in seeds if s is not None and str(s) in pos]


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #
def compute_metrics(
    vertices: pl.DataFrame | None,
    edges: pl.DataFrame,
    directed: bool = False,
    seeds: Iterable = (),
    pagerank_iterations: int = 20,
    damping: float = 0.85,
    cdlp_iterations: int = 10,
) -> pl.DataFrame:
    """All metrics, one row per vertex, in vertex order (see module docstring)."""
    g = prepare(vertices, edges, directed)
    ids = g.ids
    comp = components(g)
    comm = cdlp(g, cdlp_iterations)
    pr = pagerank(g, pagerank_iterations, damping)
    tri, lcc = triangles_and_clustering(g)
    core = core_numbers(g)
    dist = bfs_distance(g, seed_indices(g, seeds))
    deg = degrees(g)
    df = pl.DataFrame(
        {
            "id": pl.Series(ids.tolist(), dtype=pl.String),
            "component": pl.Series(ids[comp].tolist() if g.n else [], dtype=pl.String),
            "community": pl.Series(ids[comm].tolist() if g.n else [], dtype=pl.String),
            "pagerank": pr,
            **deg,
            "triangles": tri,
            "clustering": lcc,
            "core_number": core,
            "bad_actor_distance": pl.Series(dist).replace(-1, None) if g.n else pl.Series([], dtype=pl.Int64),
        }
    )
    return df.select([pl.col(c).cast(t) for c, t in OUTPUT_SCHEMA.items()])
