"""Inputs of the graph engines: the vertex id column, ids both engines must order alike, and the
graph stage's engine choice (config, environment, the engine it reports)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from graph_jobs import local_engine, metrics
from graph_jobs.local_engine import INT_ID_PATTERN
from graph_jobs.metrics import OUTPUT_COLUMNS, compute_metrics

REPO = Path(__file__).resolve().parents[1]
EDGES = pl.DataFrame({"src": ["1", "2", "3"], "dst": ["2", "3", "1"]})


@pytest.fixture(scope="module")
def spark_engine(spark):
    from graph_jobs.spark_engine import SparkEngine

    return SparkEngine(spark)


# --------------------------------------------------------------------------- #
# the vertex id column
# --------------------------------------------------------------------------- #
def test_vertices_without_id_are_an_error_in_both_engines(spark):
    no_id = pl.DataFrame({"name": ["7", "8"]})
    for engine in ("local", "spark"):
        with pytest.raises(ValueError, match=r"vertices: need a column 'id' \(or 'actor_key'\); found \['name'\]"):
            compute_metrics(no_id, EDGES, engine=engine, spark=spark)
    with pytest.raises(ValueError, match="found"):  # the local engine no longer drops them silently
        local_engine.compute_metrics(no_id, EDGES)


def test_edges_without_src_dst_are_an_error(spark):
    for engine in ("local", "spark"):
        with pytest.raises(ValueError, match=r"edges: missing column\(s\) \['src', 'dst'\].*found \['from', 'to'\]"):
            compute_metrics(None, pl.DataFrame({"from": ["1"], "to": ["2"]}), engine=engine, spark=spark)


def test_actor_key_is_the_vertex_id_in_both_engines(spark, tmp_path):
    ids = pl.DataFrame({"id": ["1", "2", "3", "7", "8"]})
    expected = compute_metrics(ids, EDGES, engine="local")
    assert expected["id"].to_list() == ["1", "2", "3", "7", "8"]  # 7 and 8 are isolated vertices
    keyed = ids.rename({"id": "actor_key"})
    keyed.write_parquet(tmp_path / "v.parquet")
    for vertices in (keyed, str(tmp_path / "v.parquet")):
        for engine in ("local", "spark"):
            got = compute_metrics(vertices, EDGES, engine=engine, spark=spark)
            assert got.columns == list(OUTPUT_COLUMNS)
            assert got.drop("pagerank").equals(expected.drop("pagerank")), engine
            assert (got["pagerank"] - expected["pagerank"]).abs().max() < 1e-9
    # a Spark DataFrame with actor_key
    got = compute_metrics(spark.createDataFrame(keyed.to_arrow()), EDGES, engine="spark", spark=spark)
    assert got["id"].to_list() == expected["id"].to_list()


# --------------------------------------------------------------------------- #
# integer ids: polars (Rust regex) and Spark (Java regex) must agree
# --------------------------------------------------------------------------- #
TRICKY = ["10", "9", "-0", "007", "1" * 18, "1" * 19, "-", "", " 9", "9 ", "+9", "9\n", "9\r\n", "9\r",
          "9\u0085", "9\u2028", "9\u2029", "\n9", "9\n\n", "\u0663", "9a"]  # fmt: skip


def test_int_id_pattern_reads_the_same_in_polars_and_spark(spark):
    from pyspark.sql import functions as F

    local = pl.Series(TRICKY).str.contains(INT_ID_PATTERN).to_list()
    sdf = spark.createDataFrame([(i, s) for i, s in enumerate(TRICKY)], "i int, id string")
    rows = sdf.select("i", F.col("id").rlike(INT_ID_PATTERN).alias("m")).orderBy("i").collect()
    assert [r["m"] for r in rows] == local
    assert [s for s, m in zip(TRICKY, local) if m] == ["10", "9", "-0", "007", "1" * 18]


@pytest.mark.parametrize(
    "edges",
    [
        {"src": ["10", "9\n", "2"], "dst": ["9\n", "2", "10"]},  # one component: its label is the smallest id
        {"src": ["10", "9\n", "2", "9\u2028"], "dst": ["9\n", "2", "9\u2028", "10"]},
        {"src": ["10", "2", "9\u2028", "9\n"], "dst": ["2", "10", "9\n", "9\u2028"]},  # two components
    ],
    ids=["newline", "newline-and-u2028", "two-components"],
)
def test_both_engines_label_line_terminated_ids_alike(spark_engine, edges):
    e = pl.DataFrame(edges)
    local = compute_metrics(None, e, engine="local", seeds=["2"], pagerank_iterations=5, cdlp_iterations=3)
    got = compute_metrics(None, e, engine="spark", seeds=["2"], pagerank_iterations=5, cdlp_iterations=3,
                          spark=spark_engine.spark)  # fmt: skip
    assert got["id"].to_list() == local["id"].to_list()  # string order: "10" < "2" < "9\n" < "9\u2028"
    assert got["component"].to_list() == local["component"].to_list()
    assert got["community"].to_list() == local["community"].to_list()
    assert got["bad_actor_distance"].to_list() == local["bad_actor_distance"].to_list()
    assert local["id"].to_list()[0] == "10" and local["component"][0] == "10"


def test_spark_numeric_order_survives_ansi_mode(spark_engine, monkeypatch):
    """The numeric order casts with try_cast: even an id the pattern wrongly admitted cannot fail the job."""
    from graph_jobs import spark_engine as module

    spark = spark_engine.spark
    before = spark.conf.get("spark.sql.ansi.enabled")
    spark.conf.set("spark.sql.ansi.enabled", "true")
    try:
        e = pl.DataFrame({"src": ["10", "9", "-3"], "dst": ["9", "-3", "100"]})
        got = compute_metrics(None, e, engine="spark", spark=spark, pagerank_iterations=2, cdlp_iterations=2)
        assert got["id"].to_list() == ["-3", "9", "10", "100"] and set(got["component"]) == {"-3"}
        monkeypatch.setattr(module, "INT_ID_PATTERN", r"^-?[0-9]{1,18}$")  # Java's $ admits "9\u2028"
        g = spark_engine.prepare(None, pl.DataFrame({"src": ["10", "9\u2028"], "dst": ["2", "10"]}), directed=False)
        assert sorted(r["id"] for r in g.vertices.collect()) == ["10", "2", "9\u2028"]
        g.unpersist()
    finally:
        spark.conf.set("spark.sql.ansi.enabled", before)


# --------------------------------------------------------------------------- #
# the graph stage: engine choice, threshold, config validation
# --------------------------------------------------------------------------- #
def test_threshold_variable_is_read_lazily_and_named_when_bad(monkeypatch):
    env = dict(os.environ, THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES="2M")
    r = subprocess.run([sys.executable, "-c", "import graph_jobs.metrics, orchestration.assets.graph"],
                       cwd=REPO, env=env, capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    monkeypatch.setenv("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", "2M")
    with pytest.raises(ValueError, match="THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES='2M'"):
        metrics.auto_threshold_edges()
    assert metrics.resolve_engine("local", EDGES) == "local"  # not read for an explicit engine
    for value, expected in (("", metrics.DEFAULT_AUTO_THRESHOLD_EDGES), (" 12 ", 12), ("0", 0)):
        monkeypatch.setenv("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", value)
        assert metrics.auto_threshold_edges() == expected
    monkeypatch.setenv("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", "-5")
    with pytest.raises(ValueError, match="THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES"):
        metrics.auto_threshold_edges()


def test_graph_stage_threshold_config_then_environment_then_2m(monkeypatch):
    from orchestration.assets.graph import GraphStageConfig, graph_engine_for

    monkeypatch.delenv("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", raising=False)
    assert metrics.PIPELINE_AUTO_THRESHOLD_EDGES == 2_000_000
    at_2m = pl.DataFrame({"src": pl.int_range(2_000_000, eager=True)})
    above = pl.DataFrame({"src": pl.int_range(2_000_001, eager=True)})
    assert graph_engine_for(GraphStageConfig(), at_2m) == "local"
    assert graph_engine_for(GraphStageConfig(), above) == "spark"
    monkeypatch.setenv("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", "2")
    assert graph_engine_for(GraphStageConfig(), EDGES) == "spark"
    assert graph_engine_for(GraphStageConfig(auto_threshold_edges=3), EDGES) == "local"  # config wins
    assert graph_engine_for(GraphStageConfig(graph_engine="local"), above) == "local"
    monkeypatch.setenv("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", "many")
    with pytest.raises(ValueError, match="THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES"):
        graph_engine_for(GraphStageConfig(), EDGES)


def test_graph_engine_config_is_validated_before_the_run():
    from orchestration.cli import build_parser
    from orchestration.definitions import defs
    from orchestration.defs.automation import analytics_run_config

    job = defs.resolve_job_def("analytics_job")
    with pytest.raises(dg.DagsterInvalidConfigError, match="graph_engine"):
        dg.validate_run_config(job, analytics_run_config(None, "graphx"))
    run = next(a for a in build_parser()._subparsers._group_actions[0].choices["run"]._actions
               if a.dest == "graph_engine")  # fmt: skip
    assert set(run.choices) == set(metrics.ENGINES)
    for engine in run.choices:
        cfg = dg.validate_run_config(job, analytics_run_config("2026-11-03", engine))
        assert cfg["ops"]["network_marts"]["config"]["graph_engine"] == engine
    assert dg.validate_run_config(job, analytics_run_config(None))["ops"]["network_marts"]["config"]["graph_engine"] == "auto"


def _graph_files(root: Path) -> None:
    g = root / "graph"
    g.mkdir(parents=True)
    pairs = pl.DataFrame({"src": ["a", "a", "b", "d"], "dst": ["b", "c", "c", "e"], "weight": [2.0, 1.0, 3.0, 1.0],
                          "edge_types": [["url"]] * 4, "coaction_evidence": [1, 1, 2, 0]})  # fmt: skip
    pairs.write_parquet(g / "pairs.parquet")
    pairs.select("src", "dst", "weight").write_parquet(g / "edges.parquet")
    pl.DataFrame({"id": list("abcde")}).write_parquet(g / "vertices.parquet")
    pl.DataFrame({"id": ["a"]}).write_parquet(g / "seeds.parquet")
    pl.DataFrame({"window_start": [None], "window_end": [None]}, schema={"window_start": pl.Date, "window_end": pl.Date}
                 ).write_parquet(g / "window.parquet")  # fmt: skip


@pytest.mark.parametrize(
    "config,env,expected",
    [({}, None, "local"), ({}, "1", "spark"), ({"auto_threshold_edges": 0}, None, "spark"), ({"graph_engine": "local"}, "1", "local")],
    ids=["auto-small", "auto-env", "auto-config", "explicit"],
)
def test_network_marts_reports_the_engine_it_ran(spark, tmp_path, monkeypatch, config, env, expected):
    import orchestration.assets.graph as graph_asset
    from graph_jobs.networks import DetectionResult, _empty_members, _empty_networks
    from orchestration.resources import PlatformStorage

    if env is None:
        monkeypatch.delenv("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", raising=False)
    else:
        monkeypatch.setenv("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", env)
    ran = []
    real = graph_asset.compute_metrics

    def spy(*args, **kwargs):
        ran.append(kwargs["engine"])
        return real(*args, spark=spark if kwargs["engine"] == "spark" else None, **kwargs)

    monkeypatch.setattr(graph_asset, "compute_metrics", spy)
    # detection needs the warehouse's marts; the engine choice does not
    monkeypatch.setattr(graph_asset, "detect_networks", lambda *a, **k: DetectionResult(_empty_networks(), _empty_members()))
    _graph_files(tmp_path)
    storage = PlatformStorage(landing=str(tmp_path), warehouse=str(tmp_path))
    result = dg.materialize([graph_asset.network_marts], resources={"storage": storage},
                            run_config={"ops": {"network_marts": {"config": config}}})  # fmt: skip
    assert result.success
    assert ran == [expected]
    meta = next(m.metadata for m in result.asset_materializations_for_node("network_marts")
                if m.asset_key == dg.AssetKey(["marts", "actor_metrics"]))  # fmt: skip
    assert meta["engine"].value == expected
    assert meta["engine_configured"].value == config.get("graph_engine", "auto")
