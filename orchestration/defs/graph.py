"""Graph stage: coordination graph, metrics and network detection."""
import dagster as dg

from ..assets.graph import coordination_graph, network_marts

defs = dg.Definitions(assets=[coordination_graph, network_marts])
