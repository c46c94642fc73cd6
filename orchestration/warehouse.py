"""Warehouse folder layout and the bronze DDL.

<warehouse>/warehouse.duckdb              the writer's database (bronze, dbt models)
<warehouse>/restricted/identity.duckdb    actor_key -> account_id, username (0600)
<warehouse>/restricted/quarantine.duckdb  raw text of quarantined lines (0600)
<warehouse>/restricted/pseudonym.key      HMAC key when none is given by env (0600)
<warehouse>/serving/analytics.duckdb      the published read-only snapshot
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .settings import duckdb_memory_limit

BRONZE_DDL = {
    "accounts": """
        dt DATE NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT NOT NULL,
        actor_key VARCHAR NOT NULL, event_time TIMESTAMP NOT NULL, change_type VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, username_key VARCHAR, username_length INTEGER,
        username_digit_run INTEGER, username_shape VARCHAR, display_name_key VARCHAR, bio VARCHAR,
        email_domain VARCHAR, signup_country VARCHAR, language VARCHAR, is_verified BOOLEAN,
        signup_ip_key VARCHAR, signup_ip_prefix VARCHAR, signup_device_key VARCHAR, avatar_hash VARCHAR""",
    "events": """
        dt DATE NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT NOT NULL,
        event_id VARCHAR NOT NULL, event_time TIMESTAMP NOT NULL, actor_key VARCHAR NOT NULL,
        event_type VARCHAR NOT NULL, video_id VARCHAR, target_actor_key VARCHAR, text VARCHAR,
        hashtags VARCHAR[], mention_actor_keys VARCHAR[], urls VARCHAR[], sound_id VARCHAR,
        share_channel VARCHAR, session_id VARCHAR, region_code VARCHAR""",
    "sessions": """
        dt DATE NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT NOT NULL,
        session_id VARCHAR NOT NULL, event_time TIMESTAMP NOT NULL, actor_key VARCHAR NOT NULL,
        ip_key VARCHAR, ip_prefix VARCHAR, ip_version INTEGER, asn BIGINT, ip_country VARCHAR,
        device_key VARCHAR, user_agent VARCHAR, login_method VARCHAR, success BOOLEAN NOT NULL""",
    "enforcement": """
        dt DATE NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT NOT NULL,
        action_id VARCHAR NOT NULL, event_time TIMESTAMP NOT NULL, actor_key VARCHAR NOT NULL,
        action VARCHAR NOT NULL, policy VARCHAR NOT NULL, source VARCHAR, campaign_label VARCHAR""",
    # Days whose four sources all passed their blocking checks since their last rewrite. Ingest
    # deletes a day's row when it rewrites the day; bronze/verified_days writes it back only when
    # Dagster ran it, i.e. when no blocking check of that day failed. Publication requires it.
    "verified_days": "dt DATE PRIMARY KEY, verified_at TIMESTAMP NOT NULL",
    "indicators": """
        source_file VARCHAR NOT NULL, line_no BIGINT NOT NULL, indicator_type VARCHAR NOT NULL,
        value VARCHAR NOT NULL, threat_actor VARCHAR, source VARCHAR NOT NULL, confidence DOUBLE,
        first_seen TIMESTAMP""",
    "ingest_files": """
        dt DATE, source VARCHAR NOT NULL, source_file VARCHAR NOT NULL, lines_read BIGINT NOT NULL,
        loaded BIGINT NOT NULL, duplicates BIGINT NOT NULL, invalid BIGINT NOT NULL,
        file_status VARCHAR NOT NULL, ingested_at TIMESTAMP NOT NULL""",
    "quarantine": """
        dt DATE, source VARCHAR NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT,
        reason VARCHAR NOT NULL""",
}
QUARANTINE_LINES_DDL = """
    dt DATE, source VARCHAR NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT,
    reason VARCHAR NOT NULL, raw_text VARCHAR"""
IDENTITY_DDL = """
    actor_key VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, username VARCHAR,
    username_seen_at TIMESTAMP"""


@dataclass(frozen=True)
class WarehousePaths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def restricted(self) -> Path:
        return self.root / "restricted"

    @property
    def identity_db(self) -> Path:
        return self.restricted / "identity.duckdb"

    @property
    def quarantine_db(self) -> Path:
        return self.restricted / "quarantine.duckdb"

    @property
    def key_file(self) -> Path:
        return self.restricted / "pseudonym.key"

    @property
    def key_fingerprint_file(self) -> Path:
        return self.restricted / "pseudonym.key.fingerprint"

    @property
    def serving(self) -> Path:
        return self.root / "serving"

    @property
    def snapshot(self) -> Path:
        return self.serving / "analytics.duckdb"


def _restrict(path: Path) -> None:
    """Owner-only: the restricted store holds raw personal data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    if path.exists():
        os.chmod(path, 0o600)


def connect_warehouse(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The pipeline's connection to a warehouse file, held to THREATGRAPH_DUCKDB_MEMORY_LIMIT:
    beyond it DuckDB spills to disk instead of growing (a scale-L aggregation would take 10 GiB).
    SET, not connect(config=...): connections of one process to one file must share their
    config, and tests open their own."""
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        con.execute(f"SET memory_limit = '{duckdb_memory_limit().replace(chr(39), '')}'")
    except duckdb.Error:  # a bad setting: say so, leave no open connection (and file lock) behind
        con.close()
        raise
    return con


@contextmanager
def connect_restricted(path: Path):
    # Create the file with 0600 before DuckDB writes anything into it.
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    old_umask = os.umask(0o077)
    try:
        con = duckdb.connect(str(path))
    finally:
        os.umask(old_umask)
    try:
        yield con
    finally:
        con.close()
        _restrict(path)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            os.chmod(wal, 0o600)


def ensure_bronze(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS bronze")
    for table, cols in BRONZE_DDL.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS bronze.{table} ({cols})")


def ensure_restricted(identity: duckdb.DuckDBPyConnection | None, quarantine: duckdb.DuckDBPyConnection | None) -> None:
    if identity is not None:
        identity.execute(f"CREATE TABLE IF NOT EXISTS actor_identity ({IDENTITY_DDL})")
    if quarantine is not None:
        quarantine.execute(f"CREATE TABLE IF NOT EXISTS quarantine_lines ({QUARANTINE_LINES_DDL})")
