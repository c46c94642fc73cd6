"""`threatgraph run` and `demo`: the same Dagster assets the schedule runs, driven in-process.

No second code path: every step is a Dagster materialization of the assets in
orchestration/definitions.py, with the same resources, checks and pools.
"""
from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg

from .ingest import landed_partitions
from .partitions import select_partition_keys


def _storage(landing: Path, warehouse: Path):
    from .resources import PlatformStorage

    return PlatformStorage(landing=str(Path(landing).resolve()), warehouse=str(Path(warehouse).resolve()))


def _instance() -> dg.DagsterInstance:
    # A persistent instance when the operator set DAGSTER_HOME (runs show in the UI), else ephemeral.
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _say(msg: str) -> None:
    print(msg, flush=True)


def materialize_ingest(landing: Path, warehouse: Path, partition_keys: list[str], instance=None) -> list[dg.ExecuteInJobResult]:
    """Ingest the indicators and every partition of the four partitioned sources through Dagster."""
    from .assets.ingest import bronze_indicators, ingest_assets

    storage = _storage(landing, warehouse)
    instance = instance or _instance()
    results = []
    t0 = time.monotonic()
    results.append(dg.materialize([bronze_indicators], resources={"storage": storage}, instance=instance, raise_on_error=False))
    partitioned = [a for a in ingest_assets if a is not bronze_indicators]
    for i, key in enumerate(partition_keys, start=1):
        _say(f"[ingest] partition {key} ({i}/{len(partition_keys)}) ...")
        results.append(dg.materialize(partitioned, partition_key=key, resources={"storage": storage}, instance=instance, raise_on_error=False))
    _say(f"[ingest] {len(partition_keys)} partitions in {time.monotonic() - t0:.1f}s")
    return results


def run_pipeline(landing: Path, warehouse: Path, start: date | None, end: date | None, graph_engine: str = "auto") -> int:
    landing, warehouse = Path(landing), Path(warehouse)
    if not landing.is_dir():
        print(f"error: landing folder {landing} does not exist", file=sys.stderr)
        return 2
    keys = select_partition_keys(landed_partitions(landing), start, end)
    if not keys:
        print(f"error: no partitions found under {landing}", file=sys.stderr)
        return 2
    results = materialize_ingest(landing, warehouse, keys)
    failed = [r for r in results if not r.success]
    if failed:
        print(f"error: {len(failed)} ingest run(s) failed", file=sys.stderr)
        return 1
    # Later stages (dbt models, graph metrics, checks, publish) are not built yet:
    # without a published snapshot, `run` must not claim success.
    print(f"ingested {len(keys)} partitions into {warehouse / 'warehouse.duckdb'}; nothing published yet "
          "(the model, graph and publish stages are not implemented)", file=sys.stderr)
    return 1


def run_demo(args) -> int:
    from generator import synth

    root = Path(args.dir)
    landing, warehouse = root / "landing", root / "warehouse"
    if not landing.is_dir():
        _say(f"[demo] generating {args.accounts} accounts over {args.days} days into {landing}")
        synth.generate(landing, days=args.days, accounts=args.accounts, seed=args.seed)
    return run_pipeline(landing, warehouse, args.start, args.end, args.graph_engine)
