"""threatgraph's Dagster code location and command-line interface."""
