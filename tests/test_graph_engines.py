"""Graph engines: configuration, engine choice, local engine vs networkx, local vs Spark."""

from __future__ import annotations

import math
import random

import networkx as nx
import numpy as np
import polars as pl
import pytest

from graph_jobs import local_engine, metrics
from graph_jobs.metrics import OUTPUT_COLUMNS, choose_engine, compute_metrics
from graph_jobs.spark_session import spark_conf


# --------------------------------------------------------------------------- #
# pure functions
# --------------------------------------------------------------------------- #
def test_spark_conf_defaults_and_env(tmp_path):
    empty = tmp_path / "nojars"
    conf = spark_conf(env={}, jars_dir=empty)
    assert conf["spark.master"] == "local[*]"
    assert conf["spark.driver.memory"] == "2g"
    assert "spark.jars" not in conf and "threatgraph.checkpointDir" not in conf

    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "graphframes-spark4_2.13-0.12.3.jar").write_bytes(b"")
    (jars / "graphframes-graphx-spark4_2.13-0.12.3.jar").write_bytes(b"")
    (jars / "README.txt").write_text("not a jar")
    env = {
        "THREATGRAPH_SPARK_MASTER": "spark://cluster:7077",
        "THREATGRAPH_SPARK_MEMORY": "8g",
        "THREATGRAPH_SPARK_CHECKPOINT_DIR": str(tmp_path / "ckpt"),
        "THREATGRAPH_JARS_DIR": str(jars),
        "THREATGRAPH_SPARK_SHUFFLE_PARTITIONS": "16",
    }
    conf = spark_conf("job", env=env)
    assert conf["spark.app.name"] == "job"
    assert conf["spark.master"] == "spark://cluster:7077"
    assert conf["spark.driver.memory"] == conf["spark.executor.memory"] == "8g"
    assert conf["threatgraph.checkpointDir"] == str(tmp_path / "ckpt")
    assert conf["spark.sql.shuffle.partitions"] == "16"
    listed = conf["spark.jars"].split(",")
    assert len(listed) == 2 and all(p.endswith(".jar") for p in listed)
    # explicit arguments win over the environment
    conf = spark_conf(master="local[2]", memory="1g", jars_dir=empty, extra={"spark.ui.enabled": False}, env=env)
    assert conf["spark.master"] == "local[2]" and conf["spark.driver.memory"] == "1g"
    assert "spark.jars" not in conf and conf["spark.ui.enabled"] == "False"


def test_choose_engine():
    assert choose_engine("local", 10**9, 100) == "local"
    assert choose_engine("spark", 1, 100) == "spark"
    assert choose_engine("auto", 100, 100) == "local"
    assert choose_engine("auto", 101, 100) == "spark"
    assert choose_engine("AUTO", 0, 0) == "local"
    assert choose_engine(None, 5, 10) == "local"
    with pytest.raises(ValueError):
        choose_engine("graphx", 1, 1)


# --------------------------------------------------------------------------- #
# random graphs
# --------------------------------------------------------------------------- #
def _undirected_graph() -> nx.Graph:
    """~260 vertices: a clustered power-law part, a sparse random part, isolated vertices."""
    parts = [
        nx.powerlaw_cluster_graph(180, 3, 0.4, seed=11),
        nx.gnm_random_graph(70, 85, seed=12),
        nx.empty_graph(8),
    ]
    g = nx.disjoint_union_all(parts)
    rng = random.Random(13)
    names = [f"acct-{rng.randrange(16**8):08x}" for _ in range(g.number_of_nodes())]
    assert len(set(names)) == len(names)
    g = nx.relabel_nodes(g, dict(enumerate(names)))
    for u, v in g.edges():
        g[u][v]["weight"] = round(rng.uniform(0.1, 3.0), 3)
    return g


def _directed_graph() -> nx.DiGraph:
    return nx.gnp_random_graph(160, 0.025, seed=21, directed=True)


def _frames(g: nx.Graph) -> tuple[pl.DataFrame, pl.DataFrame]:
    vertices = pl.DataFrame({"id": [str(v) for v in g.nodes()]})
    edges = pl.DataFrame(
        {
            "src": [str(u) for u, _ in g.edges()],
            "dst": [str(v) for _, v in g.edges()],
            "weight": [float(d.get("weight", 1.0)) for _, _, d in g.edges(data=True)],
        },
        schema={"src": pl.String, "dst": pl.String, "weight": pl.Float64},
    )
    return vertices, edges


def _partition(ids, labels) -> set[frozenset]:
    groups: dict = {}
    for v, c in zip(ids, labels):
        groups.setdefault(c, set()).add(v)
    return {frozenset(s) for s in groups.values()}


def adjusted_rand_index(a, b) -> float:
    _, ia = np.unique(np.asarray(a, dtype=object).astype(str), return_inverse=True)
    _, ib = np.unique(np.asarray(b, dtype=object).astype(str), return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1), dtype=np.int64)
    np.add.at(table, (ia, ib), 1)
    comb = lambda x: x * (x - 1) / 2.0  # noqa: E731
    n = len(ia)
    sum_ij = comb(table).sum()
    sum_a = comb(table.sum(axis=1)).sum()
    sum_b = comb(table.sum(axis=0)).sum()
    expected = sum_a * sum_b / comb(n)
    maximum = (sum_a + sum_b) / 2.0
    return 1.0 if maximum == expected else float((sum_ij - expected) / (maximum - expected))


SEEDS = 3
PR_ITERATIONS = 12  # LDBC-style fixed iterations (kept small: each is a Spark shuffle)


def _hops(g, seeds) -> dict:
    """Unweighted hop distance from the nearest seed (follows edge direction)."""
    best: dict = {}
    for s in seeds:
        for v, d in nx.single_source_shortest_path_length(g, s).items():
            best[v] = min(d, best.get(v, d))
    return best


@pytest.fixture(scope="module")
def undirected():
    g = _undirected_graph()
    v, e = _frames(g)
    seeds = sorted(g.nodes())[:SEEDS] + [sorted(g.nodes())[-1]]  # the last one is isolated or sparse
    m = local_engine.compute_metrics(v, e, directed=False, seeds=seeds, pagerank_iterations=PR_ITERATIONS, cdlp_iterations=5)
    return g, v, e, seeds, m


@pytest.fixture(scope="module")
def directed():
    g = _directed_graph()
    v, e = _frames(g)
    seeds = ["0", "1"]
    m = local_engine.compute_metrics(v, e, directed=True, seeds=seeds, pagerank_iterations=PR_ITERATIONS, cdlp_iterations=5)
    return g, v, e, seeds, m


# --------------------------------------------------------------------------- #
# local engine vs networkx
# --------------------------------------------------------------------------- #
def test_local_matches_networkx_undirected(undirected):
    g, _, _, seeds, m = undirected
    assert m.columns == list(OUTPUT_COLUMNS)
    assert m.height == g.number_of_nodes()
    row = {r["id"]: r for r in m.iter_rows(named=True)}

    assert _partition(m["id"], m["component"]) == {frozenset(c) for c in nx.connected_components(g)}
    for comp in nx.connected_components(g):  # labelled with the smallest (string) id
        assert {row[v]["component"] for v in comp} == {min(comp)}

    tri = nx.triangles(g)
    core = nx.core_number(g)
    clus = nx.clustering(g)
    dist = _hops(g, seeds)
    for v in g.nodes():
        r = row[v]
        assert r["triangles"] == tri[v], v
        assert r["core_number"] == core[v], v
        assert math.isclose(r["clustering"], clus[v], abs_tol=1e-9), v
        assert r["bad_actor_distance"] == dist.get(v), v
        assert r["degree"] == g.degree(v) == r["in_degree"] == r["out_degree"]
        assert math.isclose(r["weighted_degree"], g.degree(v, weight="weight"), abs_tol=1e-9)
    assert sum(tri.values()) > 100  # the graph really has triangles


def test_local_matches_networkx_directed(directed):
    g, _, _, seeds, m = directed
    row = {r["id"]: r for r in m.iter_rows(named=True)}
    assert _partition(m["id"], m["component"]) == {
        frozenset(str(x) for x in c) for c in nx.weakly_connected_components(g)
    }
    ug = g.to_undirected()
    tri, core = nx.triangles(ug), nx.core_number(ug)
    dist = _hops(g, [int(s) for s in seeds])
    for v in g.nodes():
        r = row[str(v)]
        assert r["triangles"] == tri[v] and r["core_number"] == core[v], v
        assert r["bad_actor_distance"] == dist.get(v), v
        assert (r["in_degree"], r["out_degree"], r["degree"]) == (g.in_degree(v), g.out_degree(v), ug.degree(v))
    assert any(row[str(v)]["bad_actor_distance"] is None for v in g.nodes())


def test_local_pagerank_converges_to_networkx():
    """LDBC PageRank with many iterations is the stationary PageRank networkx computes."""
    g = _directed_graph()
    v, e = _frames(g)
    lg = local_engine.prepare(v, e, directed=True)
    pr = local_engine.pagerank(lg, iterations=200, damping=0.85)
    ref = nx.pagerank(g, alpha=0.85, tol=1e-14, max_iter=1000)
    assert max(abs(pr[i] - ref[int(lg.ids[i])]) for i in range(lg.n)) < 1e-9
    assert abs(pr.sum() - 1.0) < 1e-12


def test_local_graph_preparation_rules():
    """Self-loops dropped, parallel edges merged (weights summed), endpoints become vertices,
    numeric ids ordered numerically."""
    vertices = pl.DataFrame({"id": ["10", "9", "2"]})
    edges = pl.DataFrame(
        {
            "src": ["10", "10", "9", "2", "2", "11"],
            "dst": ["9", "9", "10", "2", "9", "12"],
            "weight": [1.0, 2.0, None, 5.0, 1.5, 1.0],
        }
    )
    und = compute_metrics(vertices, edges, engine="local", seeds=["12", "nobody"])
    assert und["id"].to_list() == ["2", "9", "10", "11", "12"]
    r = {x["id"]: x for x in und.iter_rows(named=True)}
    assert r["10"]["component"] == "2" and r["12"]["component"] == "11"
    assert r["10"]["degree"] == 1 and r["10"]["weighted_degree"] == pytest.approx(4.0)
    assert r["2"]["degree"] == 1 and r["2"]["weighted_degree"] == pytest.approx(1.5)
    assert r["11"]["bad_actor_distance"] == 1 and r["2"]["bad_actor_distance"] is None
    d = compute_metrics(vertices, edges, engine="local", directed=True)
    r = {x["id"]: x for x in d.iter_rows(named=True)}
    assert (r["10"]["out_degree"], r["10"]["in_degree"], r["10"]["degree"]) == (1, 1, 1)
    assert r["9"]["in_degree"] == 2
    assert abs(d["pagerank"].sum() - 1.0) < 1e-12
    assert d["bad_actor_distance"].null_count() == d.height


def test_cli_local(tmp_path, undirected):
    _, v, e, seeds, m = undirected
    v.write_parquet(tmp_path / "v.parquet")
    e.write_parquet(tmp_path / "e.parquet")
    pl.DataFrame({"id": seeds}).write_parquet(tmp_path / "s.parquet")
    out = tmp_path / "out" / "metrics.parquet"
    rc = metrics.main(
        [
            "--vertices", str(tmp_path / "v.parquet"),
            "--edges", str(tmp_path / "e.parquet"),
            "--out", str(out),
            "--seeds", str(tmp_path / "s.parquet"),
            "--pagerank-iterations", str(PR_ITERATIONS),
            "--cdlp-iterations", "5",
        ]
    )  # fmt: skip
    assert rc == 0
    got = pl.read_parquet(out)
    assert got.columns == list(OUTPUT_COLUMNS)
    assert got.equals(m)


# --------------------------------------------------------------------------- #
# local vs Spark
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def spark_engine(spark):
    from graph_jobs.spark_engine import SparkEngine

    return SparkEngine(spark)


def _compare(local: pl.DataFrame, spark: pl.DataFrame, columns) -> None:
    assert spark["id"].to_list() == local["id"].to_list()
    if "component" in columns:
        assert _partition(spark["id"], spark["component"]) == _partition(local["id"], local["component"])
        assert spark["component"].to_list() == local["component"].to_list()
    if "community" in columns:
        same = spark["community"].to_list() == local["community"].to_list()
        ari = adjusted_rand_index(local["community"].to_list(), spark["community"].to_list())
        assert same, f"CDLP differs between engines (adjusted Rand index {ari:.4f})"
    if "pagerank" in columns:
        diff = (spark["pagerank"] - local["pagerank"]).abs().max()
        assert diff < 1e-6, f"PageRank max abs difference {diff}"
    for col in ("degree", "in_degree", "out_degree", "triangles", "core_number", "bad_actor_distance"):
        if col in columns:
            assert spark[col].to_list() == local[col].to_list(), col
    for col in ("weighted_degree", "clustering"):
        if col in columns:
            assert (spark[col] - local[col]).abs().max() < 1e-9, col


def test_spark_matches_local_undirected_all_metrics(spark_engine, undirected):
    _, v, e, seeds, local = undirected
    got = compute_metrics(
        v, e, engine="spark", seeds=seeds, pagerank_iterations=PR_ITERATIONS, cdlp_iterations=5, spark=spark_engine.spark
    )
    assert got.columns == list(OUTPUT_COLUMNS)
    _compare(local, got, OUTPUT_COLUMNS)


def test_spark_matches_local_directed(spark_engine, directed):
    """Components, CDLP (reciprocal edges count twice) and PageRank (with dangling vertices)."""
    from pyspark.sql import functions as F

    _, v, e, _, local = directed
    sg = spark_engine.prepare(v, e, directed=True)
    res = (
        sg.vertices.join(spark_engine.components(sg), "v")
        .join(spark_engine.cdlp(sg, 5), "v")
        .join(spark_engine.pagerank(sg, PR_ITERATIONS), "v")
    )
    names = sg.vertices.select(F.col("v").alias("k"), F.col("id").alias("name"))
    res = res.join(names.withColumnRenamed("name", "component_id"), res["component"] == names["k"]).drop("k")
    res = res.join(names.withColumnRenamed("name", "community_id"), res["community"] == names["k"]).drop("k")
    got = pl.from_arrow(
        res.orderBy("v").select("id", F.col("component_id").alias("component"), F.col("community_id").alias("community"), "pagerank").toArrow()
    )
    _compare(local, got, ("component", "community", "pagerank"))
    assert got["community"].n_unique() > 1


def test_local_degenerate_graphs():
    no_edges = pl.DataFrame({"src": [], "dst": []}, schema={"src": pl.String, "dst": pl.String})
    empty = compute_metrics(None, no_edges, engine="local")
    assert empty.height == 0 and empty.columns == list(OUTPUT_COLUMNS)
    lonely = compute_metrics(pl.DataFrame({"id": ["b", "a"]}), no_edges, engine="local", seeds=["a"])
    assert lonely["id"].to_list() == ["a", "b"]
    assert lonely["component"].to_list() == ["a", "b"] and lonely["community"].to_list() == ["a", "b"]
    assert lonely["pagerank"].to_list() == pytest.approx([0.5, 0.5])
    assert lonely["bad_actor_distance"].to_list() == [0, None]
    assert lonely["clustering"].to_list() == [0.0, 0.0] and lonely["core_number"].to_list() == [0, 0]
