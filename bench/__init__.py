"""Benchmark harness for threatgraph: per-stage throughput and memory, and head-to-head runs.

`python -m bench --help`; results go to bench-results/*.json and docs/benchmarks.md.
"""
