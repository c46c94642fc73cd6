"""Ingest assets: one per landing source, daily-partitioned (indicators: not partitioned).

Each materialization replaces its partition in bronze (see orchestration/ingest.py).
"""

import warnings
from datetime import date

import dagster as dg

from ..contract import PARTITIONED_SOURCES
from ..ingest import PartitionResult, ingest_partition, mark_days_verified
from ..partitions import daily_partitions
from ..resources import PlatformStorage

# Single-run backfill policies are "beta" in Dagster 1.13 but stable in use; say it once, here.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

DUCKDB_WRITER_POOL = "duckdb_writer"
# Transient failures (a lock held a moment too long, a full disk being cleaned) deserve a second try;
# the rest fail at once, with their reason (as_failure).
TRANSIENT_RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL)
INGEST_GROUP = "ingest"
TRANSIENT_ERRORS = ("could not set lock", "database is locked", "no space left on device",
                    "resource temporarily unavailable", "connection reset", "timed out")


def is_transient(message: str) -> bool:
    """Whether a failure may pass on a second try (pure): lock contention, a full disk, the network."""
    text = message.lower()
    return any(t in text for t in TRANSIENT_ERRORS)


def as_failure(exc: BaseException) -> dg.Failure:
    """The exception as a step failure that says why, retried only when it may be transient."""
    message = f"{type(exc).__name__}: {exc}"
    return dg.Failure(description=message[:4000], allow_retries=is_transient(message))


def bronze_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["bronze", source])


def ingest_metadata(result: PartitionResult) -> dict:
    totals = result.totals()
    rows = ["| file | status | read | loaded | duplicates | invalid |", "|---|---|---:|---:|---:|---:|"]
    rows += [f"| {f.source_file} | {f.file_status} | {f.lines_read} | {f.loaded} | {f.duplicates} | {f.invalid} |" for f in result.files]
    return {
        "files": totals["files"],
        "lines_read": totals["lines_read"],
        "loaded": totals["loaded"],
        "duplicates": totals["duplicates"],
        "invalid": totals["invalid"],
        # loaded in bulk by the vectorised lane; the rest went line by line (docs/bronze.md)
        "loaded_in_bulk": result.fast_loaded,
        "dagster/row_count": totals["loaded"],
        "invalid_by_reason": dg.MetadataValue.json(result.invalid_by_reason()),
        "files_detail": dg.MetadataValue.md("\n".join(rows)),
        "counts_reconcile": all(f.reconciles() for f in result.files),
        # files in the partition folders that are not .jsonl/.jsonl.gz: not read (shared/contract)
        "skipped_files": dg.MetadataValue.json(result.skipped()),
    }


def merge_results(results: list[PartitionResult]) -> PartitionResult:
    """One result for a range of partitions (the metadata of a single-run backfill)."""
    if len(results) == 1:
        return results[0]
    merged = PartitionResult(results[0].source, None)
    for r in results:
        merged.files += r.files
        merged.quarantine += r.quarantine
        merged.fast_loaded += r.fast_loaded
    return merged


def _ingest_day(context: dg.AssetExecutionContext, storage: PlatformStorage, source: str, key: str,
                pseudonymizer) -> PartitionResult:
    result = ingest_partition(source, storage.landing_path, date.fromisoformat(key), storage.paths, pseudonymizer)
    context.log.info(f"{source} {key}: {result.totals()}")
    if result.skipped():
        context.log.warning(f"{source} {key}: not read, the contract's data files end .jsonl or .jsonl.gz: "
                            + ", ".join(result.skipped()))
    return result


def _make_ingest_asset(source: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=bronze_key(source),
        group_name=INGEST_GROUP,
        partitions_def=daily_partitions,
        pool=DUCKDB_WRITER_POOL,
        kinds={"duckdb", "python"},
        description=(
            f"Raw `{source}` logs of one landing day, validated against the contract, deduplicated "
            f"and pseudonymised, in `bronze.{source}`. Invalid lines go to `bronze.quarantine` with their reason."
        ),
        retry_policy=TRANSIENT_RETRY,
        # A backfill over a date range is one run that lands each day in turn.
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def _ingest(context: dg.AssetExecutionContext, storage: PlatformStorage) -> dg.MaterializeResult:
        try:
            pseudonymizer = storage.pseudonymizer()  # one per run: its cache serves every day of a backfill
            results = [_ingest_day(context, storage, source, key, pseudonymizer) for key in context.partition_keys]
        except Exception as exc:  # a foreign pseudonym key, a bad setting, a lock: say why, retry only the last
            raise as_failure(exc) from exc
        return dg.MaterializeResult(metadata=ingest_metadata(merge_results(results)))

    return _ingest


ingest_assets = [_make_ingest_asset(s) for s in PARTITIONED_SOURCES]


@dg.asset(
    key=bronze_key("verified_days"),
    deps=[bronze_key(s) for s in PARTITIONED_SOURCES],
    group_name=INGEST_GROUP,
    partitions_def=daily_partitions,
    pool=DUCKDB_WRITER_POOL,
    kinds={"duckdb"},
    description=(
        "The day's four bronze partitions passed every blocking check: a row in `bronze.verified_days`. "
        "Dagster runs it only when none of their blocking checks failed; ingest deletes the row whenever "
        "it rewrites the day. Publication refuses a window with an ingested day not verified."
    ),
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def bronze_verified_days(context: dg.AssetExecutionContext, storage: PlatformStorage) -> dg.MaterializeResult:
    days = [date.fromisoformat(k) for k in context.partition_keys]
    mark_days_verified(storage.paths, days)
    return dg.MaterializeResult(metadata={"days": dg.MetadataValue.json([d.isoformat() for d in days])})


ingest_assets.append(bronze_verified_days)

# Written by the four ingest assets as they land each file (not an asset of its own), read by dbt
# (a source: the window ends on the newest day landed). Declared so lineage shows who writes it.
bronze_ingest_files = dg.AssetSpec(
    key=bronze_key("ingest_files"),
    deps=[bronze_key(s) for s in PARTITIONED_SOURCES],
    group_name=INGEST_GROUP,
    kinds={"duckdb"},
    description=("One row per landing file read (day, source, file, lines read, loaded, duplicates, invalid, file status), "
                 "written by the ingest assets of each day in `bronze.ingest_files`: every input line is accounted "
                 "for. dbt reads it to end the analysis window on the newest day landed."),
)
ingest_assets.append(bronze_ingest_files)


@dg.asset(
    key=bronze_key("indicators"),
    group_name=INGEST_GROUP,
    pool=DUCKDB_WRITER_POOL,
    kinds={"duckdb", "python"},
    description="External threat indicators (reference/indicators.jsonl), validated, in `bronze.indicators`.",
)
def bronze_indicators(context: dg.AssetExecutionContext, storage: PlatformStorage) -> dg.MaterializeResult:
    result = ingest_partition("indicators", storage.landing_path, None, storage.paths, storage.pseudonymizer())
    return dg.MaterializeResult(metadata=ingest_metadata(result))


ingest_assets.append(bronze_indicators)
