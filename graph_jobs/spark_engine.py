"""Graph metrics on Spark, with the semantics of :mod:`graph_jobs.local_engine`.

GraphFrames is used when its JARs are on the session (see
:func:`graph_jobs.spark_session.graphframes_available`):

* ``connectedComponents`` for ``component`` (relabelled to the smallest id),
* ``k_core`` for ``core_number``,
* ``triangleCount`` for ``triangles`` (undirected semantics);

``pageRank`` (GraphX: no redistribution of dangling mass), ``labelPropagation``
(arbitrary tie-breaking, no double count of reciprocal edges) and
``shortestPaths`` (distances *to* landmarks, one map entry per seed) do not
follow the LDBC rules used here, so they are used only when the caller asks
for them with ``ldbc_exact=False``.  Any GraphFrames failure falls back to the
DataFrame implementation below, which needs nothing but PySpark:

* components: min-label propagation with pointer jumping, until stable;
* CDLP: synchronous label counting, ties to the smallest label;
* PageRank: iterative joins with the dangling mass spread evenly;
* triangles / LCC: one triangle listing over the canonical undirected pairs;
* k-core: iterated neighbourhood h-index (Montresor et al.), until stable;
* BFS: multi-source frontier expansion.

Vertices are numbered 0..n-1 in the canonical id order (numeric when every id
is an integer literal, else by string) so "smallest id" agrees with the local
engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

import polars as pl

from graph_jobs.local_engine import INT_ID_PATTERN, OUTPUT_SCHEMA

log = logging.getLogger(__name__)

MAX_LOOP = 10_000


def _cut(df: DataFrame) -> DataFrame:
    """Materialise ``df`` and truncate its lineage (checkpoint dir if set, else local)."""
    sc = df.sparkSession.sparkContext
    if sc.getCheckpointDir():
        return df.checkpoint(eager=True)
    return df.localCheckpoint(eager=True)


def _keep(df: DataFrame) -> DataFrame:
    """Lazily persist ``df`` (materialised by the first action that needs it)."""
    return df.persist(StorageLevel.MEMORY_AND_DISK)


@dataclass
class SparkGraph:
    vertices: DataFrame  # v (long), id (string)
    dedges: DataFrame  # src, dst (long): directed simple edges; undirected: both directions
    pairs: DataFrame  # a < b (long), m (int: 1/2 directed, 2 undirected), weight (double)
    nbr: DataFrame  # v, u, weight: both directions of every pair
    directed: bool
    n: int

    def unpersist(self) -> None:
        for df in (self.vertices, self.dedges, self.pairs, self.nbr):
            df.unpersist()


def _edge_df(edges: DataFrame) -> DataFrame:
    w = F.coalesce(F.col("weight").cast("double"), F.lit(1.0)) if "weight" in edges.columns else F.lit(1.0)
    return edges.select(
        F.col("src").cast("string").alias("src"), F.col("dst").cast("string").alias("dst"), w.alias("weight")
    ).where(F.col("src").isNotNull() & F.col("dst").isNotNull())


def prepare(spark: SparkSession, vertices: DataFrame | None, edges: DataFrame, directed: bool) -> SparkGraph:
    e = _edge_df(edges)
    ids = e.select(F.col("src").alias("id")).union(e.select(F.col("dst").alias("id")))
    if vertices is not None:
        ids = vertices.select(F.col("id").cast("string").alias("id")).union(ids)
    ids = _keep(ids.where(F.col("id").isNotNull()).distinct())
    n, non_numeric = ids.agg(
        F.count(F.lit(1)), F.sum(F.when(F.col("id").rlike(INT_ID_PATTERN), 0).otherwise(1))
    ).collect()[0]
    numeric = not non_numeric
    # try_cast: never an error under ANSI mode (the pattern already admits only long literals)
    order = [F.col("id").try_cast("long"), F.col("id")] if numeric else [F.col("id")]
    ordered = ids.orderBy(*order)
    schema = T.StructType([T.StructField("id", T.StringType()), T.StructField("v", T.LongType())])
    indexed = ordered.rdd.zipWithIndex().map(lambda r: (r[0][0], r[1])).toDF(schema)
    verts = _cut(indexed.select("v", "id"))
    ids.unpersist()

    vs = verts.select(F.col("id").alias("src"), F.col("v").alias("s"))
    vd = verts.select(F.col("id").alias("dst"), F.col("v").alias("d"))
    ie = e.join(vs, "src").join(vd, "dst").where(F.col("s") != F.col("d"))
    a = F.least("s", "d").alias("a")
    b = F.greatest("s", "d").alias("b")
    if directed:
        de = _keep(ie.groupBy("s", "d").agg(F.sum("weight").alias("weight")))
        pairs = de.groupBy(a, b).agg(F.count(F.lit(1)).cast("int").alias("m"), F.sum("weight").alias("weight"))
        dedges = de.select(F.col("s").alias("src"), F.col("d").alias("dst"))
    else:
        pairs = ie.groupBy(a, b).agg(F.sum("weight").alias("weight")).withColumn("m", F.lit(2))
    pairs = _keep(pairs.select("a", "b", "m", "weight"))
    if not directed:
        dedges = pairs.select(F.col("a").alias("src"), F.col("b").alias("dst")).union(
            pairs.select(F.col("b").alias("src"), F.col("a").alias("dst"))
        )
    dedges = _keep(dedges)
    nbr = _keep(
        pairs.select(F.col("a").alias("v"), F.col("b").alias("u"), "weight").union(
            pairs.select(F.col("b").alias("v"), F.col("a").alias("u"), "weight")
        )
    )
    return SparkGraph(verts, dedges, pairs, nbr, directed, n)


# --------------------------------------------------------------------------- #
# GraphFrames helpers
# --------------------------------------------------------------------------- #
def _graphframe(g: SparkGraph, undirected: bool = False):
    from graphframes import GraphFrame

    v = g.vertices.select(F.col("v").alias("id"))
    if undirected:
        e = g.pairs.select(F.col("a").alias("src"), F.col("b").alias("dst"))
    else:
        e = g.dedges
    return GraphFrame(v, e)


def _local_ckpt(g: SparkGraph) -> bool:
    return not g.vertices.sparkSession.sparkContext.getCheckpointDir()


# --------------------------------------------------------------------------- #
# Algorithms: each returns a DataFrame keyed by ``v``
# --------------------------------------------------------------------------- #
class _Chain:
    """Results of an iterative loop: every step is materialised with its lineage cut
    (a step's plan refers to the previous step more than once, so an uncut chain
    would grow exponentially); the previous step is released afterwards."""

    def __init__(self, first: DataFrame):
        self.current = _cut(first)

    def push(self, df: DataFrame) -> DataFrame:
        new = _cut(df)
        self.current.unpersist()
        self.current = new
        return new

    def finish(self) -> DataFrame:
        return self.current


def components_df(g: SparkGraph) -> DataFrame:
    """v, component (index of the smallest vertex of the weak component)."""
    chain = _Chain(g.vertices.select("v", F.col("v").alias("label")))
    nb = g.nbr.select("v", "u")
    for _ in range(MAX_LOOP):
        labels = chain.current
        m = nb.join(labels.select(F.col("v").alias("u"), F.col("label").alias("nl")), "u").groupBy("v").agg(
            F.min("nl").alias("nl")
        )
        step = labels.join(m, "v", "left").select(
            "v", F.col("label").alias("old"), F.least("label", F.coalesce("nl", "label")).alias("label")
        )
        # pointer jumping: label(label(v)); labels only ever point to smaller vertices
        jump = step.alias("x").join(step.alias("y"), F.col("x.label") == F.col("y.v")).select(
            F.col("x.v").alias("v"), F.col("y.label").alias("label"), F.col("x.old").alias("old")
        )
        new = chain.push(jump)
        if new.where(F.col("label") != F.col("old")).limit(1).count() == 0:
            break
    return chain.finish().select("v", F.col("label").alias("component"))


def components_graphframes(g: SparkGraph) -> DataFrame:
    cc = _graphframe(g, undirected=True).connectedComponents(
        use_local_checkpoints=_local_ckpt(g), broadcastThreshold=-1
    )
    cc = cc.select(F.col("id").alias("v"), "component")
    smallest = cc.groupBy("component").agg(F.min("v").alias("label"))
    return cc.join(smallest, "component").select("v", F.col("label").alias("component"))


CHAIN_EVERY = 5  # fixed-iteration loops: iterations per Spark job (lineage cut in between)


def _iterate(first: DataFrame, step, iterations: int) -> DataFrame:
    """Apply ``step`` ``iterations`` times; ``step`` must refer to its input once, so the
    lazily chained plan grows linearly; it is cut every ``CHAIN_EVERY`` iterations."""
    state = _cut(first)
    pending = 0
    for _ in range(iterations):
        state = step(state)
        pending += 1
        if pending == CHAIN_EVERY:
            state, pending = _cut(state), 0
    return _cut(state) if pending else state


def cdlp_df(g: SparkGraph, iterations: int) -> DataFrame:
    """v, community (label vertex index) by the LDBC CDLP rules."""
    if g.directed:  # in- and out-neighbours; a reciprocal edge counts twice
        msgs = (
            g.dedges.select(F.col("dst").alias("v"), F.col("src").alias("u"))
            .union(g.dedges.select(F.col("src").alias("v"), F.col("dst").alias("u")))
            .groupBy("v", "u")
            .agg(F.count(F.lit(1)).alias("w"))
        )
    else:
        msgs = g.nbr.select("v", "u", F.lit(1).cast("long").alias("w"))
    # a zero-weight message to itself keeps every vertex (and an isolated vertex's label)
    msgs = _cut(msgs.union(g.vertices.select("v", F.col("v").alias("u"), F.lit(0).cast("long").alias("w"))))

    def step(labels: DataFrame) -> DataFrame:
        counts = (
            msgs.join(labels.select(F.col("v").alias("u"), F.col("label").alias("l")), "u")
            .groupBy("v", "l")
            .agg(F.sum("w").alias("c"))
        )
        # most frequent label, ties to the smallest label
        best = counts.groupBy("v").agg(F.max(F.struct(F.col("c"), (-F.col("l")).alias("neg"))).alias("s"))
        return best.select("v", (-F.col("s.neg")).alias("label"))

    out = _iterate(g.vertices.select("v", F.col("v").alias("label")), step, iterations)
    msgs.unpersist()
    return out.withColumnRenamed("label", "community")


def cdlp_graphframes(g: SparkGraph, iterations: int) -> DataFrame:
    lp = _graphframe(g).labelPropagation(maxIter=iterations, use_local_checkpoints=_local_ckpt(g))
    return lp.select(F.col("id").alias("v"), F.col("label").cast("long").alias("community"))


def pagerank_df(g: SparkGraph, iterations: int, damping: float = 0.85) -> DataFrame:
    """v, pagerank by the LDBC rules (dangling mass spread evenly).

    The dangling mass travels through a virtual vertex -1 so that an iteration is a
    single linear step ``x' = base + d * M^T x`` (one reference to the previous state):
    -1 holds D_t = sum of the dangling ranks; it sends D_t/N to every vertex and
    receives what will be the dangling vertices' next ranks (their in-contributions,
    D_t * n_dangling / N, and base * n_dangling)."""
    n = g.n
    outdeg = g.dedges.groupBy("src").agg(F.count(F.lit(1)).alias("od"))
    dangling = g.vertices.select("v").join(outdeg.withColumnRenamed("src", "v"), "v", "left_anti")
    dangling = _cut(dangling.select("v", F.lit(True).alias("dang")))
    n_dang = dangling.count()
    ew = g.dedges.join(outdeg, "src").select("src", "dst", (F.lit(1.0) / F.col("od")).alias("coef"))
    into_dangling = ew.join(dangling.withColumnRenamed("v", "dst"), "dst").select(
        "src", F.lit(-1).cast("long").alias("dst"), "coef"
    )
    virtual = g.vertices.select(F.lit(-1).cast("long").alias("src"), F.col("v").alias("dst"), F.lit(1.0 / n).alias("coef"))
    self_loop = g.vertices.sparkSession.createDataFrame([(-1, -1, n_dang / n)], "src long, dst long, coef double")
    ext = ew.union(into_dangling).union(virtual).union(self_loop)
    ext = _cut(ext.groupBy("src", "dst").agg(F.sum("coef").alias("coef")))
    base = (1.0 - damping) / n
    first = g.vertices.select("v", F.lit(1.0 / n).alias("r")).union(
        g.vertices.sparkSession.createDataFrame([(-1, n_dang / n)], "v long, r double")
    )

    def step(ranks: DataFrame) -> DataFrame:
        agg = (
            ext.join(ranks.withColumnRenamed("v", "src"), "src")
            .groupBy("dst")
            .agg(F.sum(F.col("r") * F.col("coef")).alias("c"))
        )
        b = F.when(F.col("dst") == -1, F.lit(base * n_dang)).otherwise(F.lit(base))
        return agg.select(F.col("dst").alias("v"), (b + F.lit(damping) * F.col("c")).alias("r"))

    ranks = _iterate(first, step, iterations)
    out = _cut(ranks.where(F.col("v") >= 0).withColumnRenamed("r", "pagerank"))
    for df in (ranks, ext, dangling):
        df.unpersist()
    return out


def pagerank_graphframes(g: SparkGraph, iterations: int, damping: float = 0.85) -> DataFrame:
    pr = _graphframe(g).pageRank(resetProbability=1.0 - damping, maxIter=iterations)
    ranks = pr.vertices.select(F.col("id").alias("v"), F.col("pagerank"))
    total = ranks.agg(F.sum("pagerank")).collect()[0][0] or 1.0
    return ranks.select("v", (F.col("pagerank") / F.lit(total)).alias("pagerank"))


def triangles_df(g: SparkGraph) -> DataFrame:
    """v, triangles, lcc_num (sum over triangles of the directed edges opposite v)."""
    p = g.pairs.select("a", "b", "m")
    t = (
        p.select(F.col("a"), F.col("b"), F.col("m").alias("m_ab"))
        .join(p.select(F.col("a").alias("b"), F.col("b").alias("c"), F.col("m").alias("m_bc")), "b")
        .join(p.select(F.col("a"), F.col("b").alias("c"), F.col("m").alias("m_ac")), ["a", "c"])
    )
    per_v = (
        t.select(F.col("a").alias("v"), F.col("m_bc").alias("num"))
        .union(t.select(F.col("b").alias("v"), F.col("m_ac").alias("num")))
        .union(t.select(F.col("c").alias("v"), F.col("m_ab").alias("num")))
    )
    return per_v.groupBy("v").agg(F.count(F.lit(1)).alias("triangles"), F.sum("num").cast("double").alias("lcc_num"))


def triangles_graphframes(g: SparkGraph) -> DataFrame:
    tc = _graphframe(g, undirected=True).triangleCount(storage_level=StorageLevel.MEMORY_AND_DISK)
    return tc.select(F.col("id").alias("v"), F.col("count").cast("long").alias("triangles"))


def degrees_df(g: SparkGraph) -> DataFrame:
    """v, degree, in_degree, out_degree, weighted_degree (every vertex)."""
    d = g.nbr.groupBy("v").agg(F.count(F.lit(1)).alias("degree"), F.sum("weight").alias("weighted_degree"))
    out = g.vertices.select("v").join(d, "v", "left")
    if g.directed:
        ind = g.dedges.groupBy(F.col("dst").alias("v")).agg(F.count(F.lit(1)).alias("in_degree"))
        outd = g.dedges.groupBy(F.col("src").alias("v")).agg(F.count(F.lit(1)).alias("out_degree"))
        out = out.join(ind, "v", "left").join(outd, "v", "left")
    else:
        out = out.withColumn("in_degree", F.col("degree")).withColumn("out_degree", F.col("degree"))
    return out.select(
        "v",
        F.coalesce("degree", F.lit(0)).cast("long").alias("degree"),
        F.coalesce("in_degree", F.lit(0)).cast("long").alias("in_degree"),
        F.coalesce("out_degree", F.lit(0)).cast("long").alias("out_degree"),
        F.coalesce("weighted_degree", F.lit(0.0)).cast("double").alias("weighted_degree"),
    )


def core_df(g: SparkGraph, check_every: int = 2) -> DataFrame:
    """v, core_number on the undirected simple graph (iterated h-index, until stable).

    est(v) starts at the degree; a step sets est(v) = min(est(v), h) where h is the
    largest k such that k neighbours have est >= k.  A step refers to the previous
    estimate once (the vertex's own row travels with its neighbours' rows), so
    ``check_every`` steps run in one Spark job between convergence checks."""
    deg = g.nbr.groupBy("v").agg(F.count(F.lit(1)).alias("k"))
    first = g.vertices.select("v").join(deg, "v", "left").select(
        "v", F.coalesce("k", F.lit(0)).cast("long").alias("k"), F.lit(-1).cast("long").alias("old")
    )
    edges = g.nbr.select("u", "v", F.lit(False).alias("own"))
    selves = g.vertices.select(F.col("v").alias("u"), "v", F.lit(True).alias("own"))
    msgs = _cut(edges.union(selves))
    w = Window.partitionBy("v").orderBy(F.col("own").asc(), F.col("e").desc())

    def step(est: DataFrame) -> DataFrame:
        x = msgs.join(est.select(F.col("v").alias("u"), F.col("k").alias("e")), "u")
        x = x.withColumn("r", F.row_number().over(w))
        agg = x.groupBy("v").agg(
            F.max(F.when(~F.col("own") & (F.col("e") >= F.col("r")), F.col("r"))).alias("h"),
            F.max(F.when(F.col("own"), F.col("e"))).alias("old"),
        )
        return agg.select("v", F.least("old", F.coalesce("h", F.lit(0)).cast("long")).alias("k"), "old")

    est = _cut(first)
    for _ in range(MAX_LOOP):
        new = est
        for _ in range(check_every):
            new = step(new)
        new = _cut(new)
        est.unpersist()
        est = new
        if est.where(F.col("k") != F.col("old")).limit(1).count() == 0:
            break
    msgs.unpersist()
    return est.select("v", F.col("k").alias("core_number"))


def core_graphframes(g: SparkGraph) -> DataFrame:
    kc = _graphframe(g, undirected=True).k_core(use_local_checkpoints=_local_ckpt(g))
    return kc.select(F.col("id").alias("v"), F.col("kcore").cast("long").alias("core_number"))


def bfs_df(g: SparkGraph, seed_v: DataFrame) -> DataFrame:
    """v, dist for every vertex reachable from the seeds (``seed_v``: column v)."""
    adj = g.dedges if g.directed else g.nbr.select(F.col("v").alias("src"), F.col("u").alias("dst"))
    chain = _Chain(seed_v.select("v").distinct().select("v", F.lit(0).cast("long").alias("dist")))
    for k in range(1, MAX_LOOP):
        dist = chain.current
        frontier = dist.where(F.col("dist") == k - 1).select(F.col("v").alias("src"))
        nxt = frontier.join(adj, "src").select(F.col("dst").alias("v")).distinct().join(dist, "v", "left_anti")
        new = chain.push(dist.union(nxt.select("v", F.lit(k).cast("long").alias("dist"))))
        if new.where(F.col("dist") == k).limit(1).count() == 0:
            break
    return chain.finish()


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #
class SparkEngine:
    def __init__(self, spark: SparkSession, use_graphframes: bool | None = None, ldbc_exact: bool = True):
        self.spark = spark
        if use_graphframes is None:
            from graph_jobs.spark_session import graphframes_available

            use_graphframes = graphframes_available(spark)
        self.use_graphframes = bool(use_graphframes)
        self.ldbc_exact = ldbc_exact

    # -- inputs ---------------------------------------------------------------
    def to_spark(self, frame) -> DataFrame | None:
        """polars DataFrame, Parquet path or Spark DataFrame -> Spark DataFrame."""
        if frame is None or isinstance(frame, DataFrame):
            return frame
        if isinstance(frame, pl.DataFrame):
            return self.spark.createDataFrame(frame.to_arrow())
        return self.spark.read.parquet(str(frame))

    def prepare(self, vertices, edges, directed: bool) -> SparkGraph:
        return prepare(self.spark, self.to_spark(vertices), self.to_spark(edges), directed)

    def _try(self, name: str, gf_fn, df_fn, enabled: bool):
        if self.use_graphframes and enabled:
            try:
                return _cut(gf_fn())
            except Exception as exc:  # pragma: no cover - needs the GraphFrames JARs
                log.warning("GraphFrames %s failed (%s); using the DataFrame implementation", name, exc)
        return df_fn()

    # -- single algorithms (return Spark DataFrames keyed by v) ---------------
    def components(self, g: SparkGraph) -> DataFrame:
        return self._try("connectedComponents", lambda: components_graphframes(g), lambda: components_df(g), True)

    def cdlp(self, g: SparkGraph, iterations: int) -> DataFrame:
        return self._try(
            "labelPropagation", lambda: cdlp_graphframes(g, iterations), lambda: cdlp_df(g, iterations), not self.ldbc_exact
        )

    def pagerank(self, g: SparkGraph, iterations: int, damping: float = 0.85) -> DataFrame:
        return self._try(
            "pageRank",
            lambda: pagerank_graphframes(g, iterations, damping),
            lambda: pagerank_df(g, iterations, damping),
            not self.ldbc_exact,
        )

    def triangles(self, g: SparkGraph) -> DataFrame:
        """v, triangles, clustering for every vertex."""
        listing = triangles_df(g)
        if self.use_graphframes and not g.directed:
            tri = self._try("triangleCount", lambda: triangles_graphframes(g), lambda: listing.select("v", "triangles"), True)
            tri = tri.join(listing.select("v", "lcc_num"), "v", "full")
        else:
            tri = listing
        deg = g.nbr.groupBy("v").agg(F.count(F.lit(1)).alias("d"))
        out = g.vertices.select("v").join(tri, "v", "left").join(deg, "v", "left")
        d = F.coalesce("d", F.lit(0)).cast("double")
        num = F.coalesce("lcc_num", F.lit(0.0))
        return out.select(
            "v",
            F.coalesce("triangles", F.lit(0)).cast("long").alias("triangles"),
            F.when(d >= 2, num / (d * (d - 1))).otherwise(F.lit(0.0)).alias("clustering"),
        )

    def core(self, g: SparkGraph) -> DataFrame:
        return self._try("k_core", lambda: core_graphframes(g), lambda: core_df(g), True)

    def bfs(self, g: SparkGraph, seeds: Iterable) -> DataFrame:
        """v, bad_actor_distance (only reachable vertices)."""
        seeds = [str(s) for s in seeds if s is not None]
        seed_ids = self.spark.createDataFrame([(s,) for s in seeds], "id string")
        seed_v = g.vertices.join(seed_ids, "id").select("v")
        return bfs_df(g, seed_v).withColumnRenamed("dist", "bad_actor_distance")

    # -- all metrics -------------------------------------------------------------
    def compute(
        self,
        vertices,
        edges,
        directed: bool = False,
        seeds: Iterable = (),
        pagerank_iterations: int = 20,
        damping: float = 0.85,
        cdlp_iterations: int = 10,
    ) -> DataFrame:
        """Spark DataFrame with the columns of ``OUTPUT_SCHEMA``, ordered by vertex order."""
        g = self.prepare(vertices, edges, directed)
        if g.n == 0:
            schema = ", ".join(
                f"{c} {'string' if t == pl.String else 'double' if t == pl.Float64 else 'long'}"
                for c, t in OUTPUT_SCHEMA.items()
            )
            return self.spark.createDataFrame([], schema)
        comp = self.components(g)
        comm = self.cdlp(g, cdlp_iterations)
        pr = self.pagerank(g, pagerank_iterations, damping)
        deg = degrees_df(g)
        tri = self.triangles(g)
        core = self.core(g)
        dist = self.bfs(g, seeds)
        names = g.vertices.select(F.col("v").alias("_k"), F.col("id").alias("_name"))
        out = (
            g.vertices.join(comp, "v", "left")
            .join(comm, "v", "left")
            .join(pr, "v", "left")
            .join(deg, "v", "left")
            .join(tri, "v", "left")
            .join(core, "v", "left")
            .join(dist, "v", "left")
        )
        out = out.join(names.withColumnRenamed("_name", "component_id"), out["component"] == names["_k"], "left").drop("_k")
        out = out.join(names.withColumnRenamed("_name", "community_id"), out["community"] == names["_k"], "left").drop("_k")
        out = out.select(
            "v",
            "id",
            F.col("component_id").alias("component"),
            F.col("community_id").alias("community"),
            "pagerank",
            "degree",
            "in_degree",
            "out_degree",
            "weighted_degree",
            "triangles",
            "clustering",
            F.coalesce("core_number", F.lit(0)).cast("long").alias("core_number"),
            F.col("bad_actor_distance").cast("long").alias("bad_actor_distance"),
        )
        result = _cut(out.orderBy("v")).drop("v")
        g.unpersist()
        return result

    def compute_polars(self, *args, **kwargs) -> pl.DataFrame:
        sdf = self.compute(*args, **kwargs)
        df = pl.from_arrow(sdf.toArrow())
        return df.select([pl.col(c).cast(t) for c, t in OUTPUT_SCHEMA.items()])
