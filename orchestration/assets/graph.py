"""Graph stage: export the coordination graph, compute metrics, detect networks.

marts/actor_edges + marts/evidence_edges ─► graph/coordination_graph (Parquet) ─► marts/actor_metrics,
marts/networks, marts/network_members, marts/network_edges (written back to the warehouse).
"""
import time
from typing import Literal, Optional

import dagster as dg
import polars as pl

from graph_jobs.metrics import PIPELINE_AUTO_THRESHOLD_EDGES, compute_metrics, resolve_engine
from graph_jobs.networks import DetectionParams, coordination_pairs_sql, detect_networks, edges_relation, network_edges

from ..resources import PlatformStorage
from ..table_docs import table_docs
from ..warehouse import connect_warehouse
from .ingest import DUCKDB_WRITER_POOL, TRANSIENT_RETRY

GRAPH_GROUP = "graph"
# The tables network_marts writes; what each table and column means is in graph_jobs/schema.yml.
GRAPH_MARTS = ("actor_metrics", "networks", "network_members", "network_edges")


def graph_mart_spec(name: str) -> dg.AssetSpec:
    """The asset of one graph table, with its description and column schema from the data dictionary."""
    doc = table_docs()[name]
    schema = dg.TableSchema(columns=[dg.TableColumn(col, c.data_type or "unknown", description=c.description)
                                     for col, c in doc.columns.items()])
    return dg.AssetSpec(["marts", name], deps=[dg.AssetKey(["graph", "coordination_graph"])], group_name=GRAPH_GROUP,
                        kinds={"python", "duckdb"}, description=doc.description,
                        metadata={"dagster/column_schema": schema})


class GraphStageConfig(dg.Config):
    # A Literal: Dagster rejects any other value when the run's config is checked, before dbt runs.
    graph_engine: Literal["auto", "spark", "local"] = "auto"
    # None: $THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES, else PIPELINE_AUTO_THRESHOLD_EDGES (2,000,000)
    auto_threshold_edges: Optional[int] = None
    min_network_size: int = 3


def graph_engine_for(config: GraphStageConfig, edges) -> str:
    """The engine the graph stage runs ("local" or "spark"): the configured one, or for "auto" the
    choice by edge count against the configured threshold, the environment's, or the pipeline's default."""
    return resolve_engine(config.graph_engine, edges, config.auto_threshold_edges,
                          default_threshold=PIPELINE_AUTO_THRESHOLD_EDGES)


def _graph_dir(storage: PlatformStorage):
    d = storage.paths.root / "graph"
    d.mkdir(parents=True, exist_ok=True)
    return d


@dg.asset(
    key=["graph", "coordination_graph"],
    deps=[dg.AssetKey(["marts", "actor_edges"]), dg.AssetKey(["marts", "evidence_edges"]), dg.AssetKey(["marts", "actors"])],
    group_name=GRAPH_GROUP,
    pool=DUCKDB_WRITER_POOL,
    retry_policy=TRANSIENT_RETRY,
    kinds={"parquet", "duckdb"},
    description="Pairs of accounts with repeated or combined coordination evidence (vertices, edges, known-bad seeds) as Parquet for the graph jobs.",
)
def coordination_graph(context: dg.AssetExecutionContext, storage: PlatformStorage) -> dg.MaterializeResult:
    out = _graph_dir(storage)
    con = connect_warehouse(storage.paths.db, read_only=True)
    try:
        # sorted: the engines sum floats in input order, and published numbers must repeat exactly
        pairs = con.sql(coordination_pairs_sql(DetectionParams(), edges_relation(con))).pl().sort(["src", "dst"])
        seeds = con.sql("""
            SELECT actor_key AS id FROM marts.actors
            WHERE coalesce(n_cib_enforcement_actions, 0) > 0 OR coalesce(is_indicator_account, false)""").pl().sort("id")
        window = con.execute("SELECT min(window_start), max(window_end) FROM marts.actor_edges").fetchone()
        pair_counts = con.execute("SELECT edge_type, n_edges, n_capped_objects FROM marts.edge_pair_counts ORDER BY n_edges DESC").fetchall()
    finally:
        con.close()
    vertices = pl.concat([pairs.select(pl.col("src").alias("id")), pairs.select(pl.col("dst").alias("id"))]).unique().sort("id")
    pairs.write_parquet(out / "pairs.parquet")
    pairs.select("src", "dst", "weight").write_parquet(out / "edges.parquet")
    vertices.write_parquet(out / "vertices.parquet")
    seeds.write_parquet(out / "seeds.parquet")
    pl.DataFrame({"window_start": [window[0]], "window_end": [window[1]]}).write_parquet(out / "window.parquet")
    return dg.MaterializeResult(metadata={
        "vertices": vertices.height, "edges": pairs.height, "known_bad_seeds": seeds.height,
        "pairs_by_edge_type": dg.MetadataValue.md("\n".join(
            ["| edge type | pairs | capped objects |", "|---|---:|---:|"] + [f"| {t} | {n:,} | {c:,} |" for t, n, c in pair_counts])),
        "path": dg.MetadataValue.path(str(out)),
    })


@dg.multi_asset(
    specs=[graph_mart_spec(name) for name in GRAPH_MARTS],
    pool=DUCKDB_WRITER_POOL,
    retry_policy=TRANSIENT_RETRY,
    description="Graph metrics per actor (components, communities, PageRank, triangles, k-core, distance to known bad actors) and the candidate networks with risk, signals and roles.",
)
def network_marts(context: dg.AssetExecutionContext, storage: PlatformStorage, config: GraphStageConfig):
    gdir = _graph_dir(storage)
    vertices = pl.read_parquet(gdir / "vertices.parquet")
    edges = pl.read_parquet(gdir / "edges.parquet")
    pairs = pl.read_parquet(gdir / "pairs.parquet")
    seeds = pl.read_parquet(gdir / "seeds.parquet")["id"].to_list()
    window = pl.read_parquet(gdir / "window.parquet").row(0)
    t0 = time.monotonic()
    engine = graph_engine_for(config, edges)
    metrics = compute_metrics(vertices, edges, engine=engine, directed=False, seeds=seeds)
    t_metrics = time.monotonic() - t0
    con = connect_warehouse(storage.paths.db)
    try:
        result = detect_networks(con, metrics, pairs, window[0], window[1], DetectionParams(min_network_size=config.min_network_size))
        membership = result.members.select("actor_key", "network_id")
        actor_metrics = metrics.rename({"id": "actor_key"}).join(membership, on="actor_key", how="left")
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        inside = network_edges(pairs, result.members, window[0], window[1])
        for name, frame in (("actor_metrics", actor_metrics), ("networks", result.networks), ("network_members", result.members),
                            ("network_edges", inside)):
            con.register("tg_frame", frame.to_arrow())
            con.execute(f"CREATE OR REPLACE TABLE marts.{name} AS SELECT * FROM tg_frame")
            con.unregister("tg_frame")
    finally:
        con.close()
    top = result.networks.sort("risk_score", descending=True).head(10)
    table = ["| network | actors | risk | flagged | signals |", "|---|---:|---:|---|---|"] + [
        f"| {r['network_id']} | {r['n_actors']} | {r['risk_score']:.2f} | {r['flagged']} | {', '.join(r['signals'])} |"
        for r in top.iter_rows(named=True)]
    yield dg.MaterializeResult(asset_key=["marts", "actor_metrics"], metadata={
        "dagster/row_count": actor_metrics.height, "engine_seconds": round(t_metrics, 2),
        "engine": engine, "engine_configured": config.graph_engine})
    yield dg.MaterializeResult(asset_key=["marts", "networks"], metadata={
        "dagster/row_count": result.networks.height, "flagged": result.stats.get("flagged_networks", 0),
        "top_networks": dg.MetadataValue.md("\n".join(table))})
    yield dg.MaterializeResult(asset_key=["marts", "network_members"], metadata={"dagster/row_count": result.members.height})
    yield dg.MaterializeResult(asset_key=["marts", "network_edges"], metadata={"dagster/row_count": inside.height})
