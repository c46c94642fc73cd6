"""Graph jobs: per-vertex graph metrics on a local (igraph/scipy) or Spark engine.

Entry point: :func:`graph_jobs.metrics.compute_metrics` and
``python -m graph_jobs.metrics``.
"""
