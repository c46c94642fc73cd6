"""SparkSession factory for the graph jobs.

Configuration comes from the arguments or, when an argument is None, from the
environment:

- ``THREATGRAPH_SPARK_MASTER``          default ``local[*]``
- ``THREATGRAPH_SPARK_MEMORY``          default ``2g`` (driver and executor memory)
- ``THREATGRAPH_SPARK_CHECKPOINT_DIR``  default unset (local checkpoints are used)
- ``THREATGRAPH_SPARK_SHUFFLE_PARTITIONS`` default unset (Spark's default)
- ``THREATGRAPH_JARS_DIR``              default ``<repo>/.jars``

Every ``*.jar`` in the jars folder is put on ``spark.jars``; this is how the
GraphFrames JVM package (``io.graphframes:graphframes-spark4_2.13`` and
``graphframes-graphx-spark4_2.13``) is made available.  When it is absent the
Spark engine falls back to its own DataFrame implementations.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Mapping

REPO_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_MASTER = "local[*]"
DEFAULT_MEMORY = "2g"
GRAPHFRAMES_CLASS = "org.graphframes.GraphFrame"


def default_jars_dir() -> Path:
    return Path(os.environ.get("THREATGRAPH_JARS_DIR") or (REPO_ROOT / ".jars"))


def list_jars(jars_dir: str | os.PathLike | None = None) -> list[str]:
    """Absolute paths of the ``*.jar`` files in ``jars_dir`` (sorted), [] if none."""
    folder = Path(jars_dir) if jars_dir is not None else default_jars_dir()
    if not folder.is_dir():
        return []
    return sorted(str(p.resolve()) for p in folder.glob("*.jar") if p.is_file())


def spark_conf(
    app_name: str = "threatgraph",
    master: str | None = None,
    memory: str | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
    jars_dir: str | os.PathLike | None = None,
    extra: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The Spark configuration as a plain dict (pure apart from listing the jars folder).

    ``env`` defaults to ``os.environ``; it is a parameter so the function can be
    tested without touching the process environment.  The checkpoint folder is
    returned under the pseudo key ``threatgraph.checkpointDir`` (Spark has no
    configuration key for it; :func:`get_spark` applies it to the context).
    """
    env = os.environ if env is None else env
    master = master or env.get("THREATGRAPH_SPARK_MASTER") or DEFAULT_MASTER
    memory = memory or env.get("THREATGRAPH_SPARK_MEMORY") or DEFAULT_MEMORY
    if checkpoint_dir is None:
        checkpoint_dir = env.get("THREATGRAPH_SPARK_CHECKPOINT_DIR") or None
    if jars_dir is None:
        jars_dir = env.get("THREATGRAPH_JARS_DIR") or (REPO_ROOT / ".jars")

    conf: dict[str, str] = {
        "spark.app.name": app_name,
        "spark.master": master,
        "spark.driver.memory": memory,
        "spark.executor.memory": memory,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Iterative jobs: keep adaptive execution but avoid noisy progress bars.
        "spark.ui.showConsoleProgress": "false",
    }
    shuffle = env.get("THREATGRAPH_SPARK_SHUFFLE_PARTITIONS")
    if shuffle:
        conf["spark.sql.shuffle.partitions"] = str(int(shuffle))
    elif master.startswith("local"):
        # Spark's default of 200 shuffle tasks per stage dominates iterative jobs on one machine.
        conf["spark.sql.shuffle.partitions"] = "8"
    jars = list_jars(jars_dir)
    if jars:
        conf["spark.jars"] = ",".join(jars)
    if checkpoint_dir:
        conf["threatgraph.checkpointDir"] = str(checkpoint_dir)
    for key, value in (extra or {}).items():
        conf[str(key)] = str(value)
    return conf


def get_spark(
    app_name: str = "threatgraph",
    master: str | None = None,
    memory: str | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
    jars_dir: str | os.PathLike | None = None,
    extra_conf: Mapping[str, Any] | None = None,
    log_level: str = "ERROR",
):
    """Create (or reuse) the SparkSession configured by :func:`spark_conf`."""
    from pyspark.sql import SparkSession

    conf = spark_conf(app_name, master, memory, checkpoint_dir, jars_dir, extra_conf)
    ckpt = conf.pop("threatgraph.checkpointDir", None)
    # Python workers must run this interpreter (the project's venv), not whatever python3 is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(log_level)
    if ckpt:
        Path(ckpt).mkdir(parents=True, exist_ok=True)
        spark.sparkContext.setCheckpointDir(str(ckpt))
    return spark


def graphframes_available(spark) -> bool:
    """True when both the Python package and the GraphFrames JVM classes are usable."""
    try:
        import graphframes  # noqa: F401
    except Exception:
        return False
    jars = spark.sparkContext.getConf().get("spark.jars", "") or ""
    packages = spark.sparkContext.getConf().get("spark.jars.packages", "") or ""
    if "graphframes" not in jars.lower() and "graphframes" not in packages.lower():
        return False
    try:
        jvm = spark.sparkContext._jvm
        loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
        jvm.java.lang.Class.forName(GRAPHFRAMES_CLASS, True, loader)
        return True
    except Exception:
        return False
