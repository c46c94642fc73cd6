"""Shared fixtures: one Spark session for the whole test session (a JVM start costs seconds)."""
import pytest


@pytest.fixture(scope="session")
def spark():
    from graph_jobs.spark_session import get_spark

    session = get_spark(
        "threatgraph-tests",
        master="local[2]",
        extra_conf={"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false"},
    )
    yield session
    session.stop()
