"""End to end with the real components: generator -> Dagster ingest -> dbt -> graph -> detection -> publish.

One generated dataset (3 days, with corrupt lines) is run once and shared by the
tests below; further runs only where a test needs its own.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from generator import synth
from orchestration.runner import run_pipeline

DAYS, ACCOUNTS, SEED = 3, 2500, 11


@pytest.fixture(scope="session")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("e2e") / "landing"
    synth.generate(root, days=DAYS, accounts=ACCOUNTS, seed=SEED, corrupt_rate=0.005)
    return root


@pytest.fixture(scope="session")
def published(landing, tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("e2e-wh") / "warehouse"
    assert run_pipeline(landing, warehouse, None, None, "local") == 0
    return warehouse


def read_json_lines(landing: Path):
    """Every parseable record of the landing (what a PII scan must look for)."""
    for path in sorted(landing.rglob("*.jsonl*")):
        if any(part.startswith("_") for part in path.relative_to(landing).parts):
            continue
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (EOFError, OSError):
                continue
        for line in data.split(b"\n"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                yield rec


def raw_personal_values(landing: Path) -> set[str]:
    values = set()
    for rec in read_json_lines(landing):
        for f in ("account_id", "target_account_id", "username", "display_name", "signup_ip", "ip",
                  "signup_device_id", "device_id"):
            v = rec.get(f)
            if isinstance(v, str) and len(v) >= 4:
                values.add(v)
        for m in rec.get("mention_account_ids") or []:
            if isinstance(m, str):
                values.add(m)
        if rec.get("indicator_type") == "account_id":
            values.add(rec["value"])
    return values


def all_strings(db: Path) -> dict[str, set[str]]:
    """Every string value and every word-like token of every table of a DuckDB file."""
    con = duckdb.connect(str(db), read_only=True)
    out = {}
    tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
    for schema, table in tables:
        cols = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                           [schema, table]).fetchall()
        seen = set()
        for col, typ in cols:
            if "VARCHAR" not in typ:
                continue
            expr = f'"{col}"' if typ == "VARCHAR" else f'array_to_string("{col}", \' \')'
            for (v,) in con.execute(f'SELECT DISTINCT {expr} FROM "{schema}"."{table}" WHERE "{col}" IS NOT NULL').fetchall():
                seen.add(v)
                seen.update(re.split(r"[\s@/,;:!?()\[\]\"']+", v))
        out[f"{schema}.{table}"] = seen
    con.close()
    return out


def test_ingest_assets_materialize_three_days_through_dagster(landing, tmp_path):
    """The ingest assets, materialized with dagster.materialize: every line accounted for."""
    from orchestration.assets.ingest import bronze_indicators, bronze_verified_days, ingest_assets
    from orchestration.resources import PlatformStorage

    storage = PlatformStorage(landing=str(landing), warehouse=str(tmp_path / "wh"))
    partitioned = [a for a in ingest_assets if a is not bronze_indicators]
    assert dg.materialize([bronze_indicators], resources={"storage": storage}).success
    for day in range(1, DAYS + 1):
        res = dg.materialize(partitioned, partition_key=date(2026, 11, day).isoformat(), resources={"storage": storage})
        assert res.success
        for mat in res.get_asset_materialization_events():
            md = mat.event_specific_data.materialization.metadata
            if mat.asset_key == bronze_verified_days.key:  # every check passed: the day is verified
                assert md["days"].value == [date(2026, 11, day).isoformat()]
            else:
                assert md["counts_reconcile"].value is True
    con = duckdb.connect(str(tmp_path / "wh" / "warehouse.duckdb"), read_only=True)
    files = con.execute("SELECT source_file, lines_read, loaded, duplicates, invalid, file_status FROM bronze.ingest_files").fetchall()
    for f, read, loaded, dup, inv, status in files:
        assert read == loaded + dup + inv, f
    # lines read = lines in the files (the truncated file's lost tail counts as one invalid line)
    for f, read, *_, status in files:
        data = (landing / f).read_bytes()
        if f.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except EOFError:
                continue
        assert read == data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1), f
    manifest = json.loads((landing / "_truth" / "manifest.json").read_text())
    reasons = dict(con.execute("SELECT split_part(reason, ':', 1), count(*) FROM bronze.quarantine GROUP BY 1").fetchall())
    for needed in ("not JSON", "not UTF-8", "missing required field", "wrong type", "unknown enum value",
                   "impossible time", "duplicate key with different content", "truncated gzip"):
        assert reasons.get(needed, 0) > 0, (needed, reasons)
    n_dup = con.execute("SELECT sum(duplicates) FROM bronze.ingest_files").fetchone()[0]
    assert n_dup > 0
    assert {s for *_, s in files} >= {"ok", "empty", "truncated_gzip"}
    # lines with unknown extra fields are valid and loaded
    assert manifest


def test_no_raw_personal_data_outside_the_restricted_store(landing, published):
    raw = raw_personal_values(landing)
    assert len(raw) > 1000
    found = {}
    for db in (published / "warehouse.duckdb", published / "serving" / "analytics.duckdb"):
        for table, strings in all_strings(db).items():
            leak = raw & strings
            if leak:
                found[f"{db.name}:{table}"] = sorted(leak)[:5]
    assert not found, found
    # and the restricted store does hold them: the identity map is real
    icon = duckdb.connect(str(published / "restricted" / "identity.duckdb"), read_only=True)
    n, with_username = icon.execute("SELECT count(*), count(username) FROM actor_identity").fetchone()
    assert n >= ACCOUNTS and with_username >= ACCOUNTS


def test_published_tables_are_consistent(published):
    con = duckdb.connect(str(published / "serving" / "analytics.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM networks WHERE risk_score < 0 OR risk_score > 1 OR risk_score IS NULL").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM network_members m ANTI JOIN networks n USING (network_id)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM network_members m ANTI JOIN actors a USING (actor_key)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM networks WHERE flagged AND len(signals) = 0").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM networks WHERE flagged").fetchone()[0] >= 1
    assert con.execute("SELECT count(*) - count(DISTINCT network_id) FROM networks").fetchone()[0] == 0
    n_actors = dict(con.execute("SELECT network_id, n_actors FROM networks").fetchall())
    members = dict(con.execute("SELECT network_id, count(*) FROM network_members GROUP BY 1").fetchall())
    assert n_actors == members
    roles = {r for (r,) in con.execute("SELECT DISTINCT role FROM network_members").fetchall()}
    assert roles <= {"seeder", "amplifier", "bridge", "infrastructure_hub"}
    # the pairs that formed each network are published: n_edges counts them, both ends are members
    n_edges = dict(con.execute("SELECT network_id, n_edges FROM networks").fetchall())
    pairs = dict(con.execute("SELECT network_id, count(*) FROM network_edges GROUP BY 1").fetchall())
    assert sum(n_edges.values()) > 0 and {k: v for k, v in n_edges.items() if v} == pairs
    for end in ("src_actor_key", "dst_actor_key"):
        assert con.execute(f"""SELECT count(*) FROM network_edges e ANTI JOIN network_members m
                               ON m.network_id = e.network_id AND m.actor_key = e.{end}""").fetchone()[0] == 0
    # and a pivot from one account to its network's pairs needs no cast: degrees are counts
    assert con.execute("SELECT DISTINCT typeof(degree) FROM network_members").fetchall() == [("BIGINT",)]


def test_every_published_table_and_column_says_what_it_means(published):
    """The data dictionary is in the snapshot (COMMENT ON), complete, and the graph tables' documented
    types are their real ones."""
    from orchestration.publish import PUBLISHED_TABLES
    from orchestration.table_docs import table_docs

    con = duckdb.connect(str(published / "serving" / "analytics.duckdb"), read_only=True)
    tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal").fetchall())
    assert set(tables) == set(PUBLISHED_TABLES)
    assert all(len(c or "") > 20 for c in tables.values()), tables
    columns = con.execute("""SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
                             WHERE schema_name = 'main' AND NOT internal ORDER BY table_name, column_index""").fetchall()
    assert [(t, c) for t, c, _, comment in columns if not comment] == []
    assert dict(((t, c), comment) for t, c, _, comment in columns)[("network_edges", "src_actor_key")] == \
        "The smaller actor key of the pair."
    docs = table_docs()
    for table in ("actor_metrics", "networks", "network_members", "network_edges"):
        assert [(c, typ) for t, c, typ, _ in columns if t == table] == \
            [(c, d.data_type) for c, d in docs[table].columns.items()], table
    con.close()


def test_detection_finds_planted_operations_and_spares_lookalikes(landing, published):
    from evaluation.quality import evaluate_run

    ours, baseline = evaluate_run(landing, published)
    assert ours.precision is not None and ours.precision >= 0.8, ours  # None: nothing flagged
    assert ours.recall >= 0.6, ours
    assert ours.lookalike_flagged_share <= 0.01, ours
    assert baseline.precision is not None and ours.precision > baseline.precision  # combined evidence beats co-sharing alone


def test_same_landing_twice_gives_identical_published_tables(landing, published):
    def dump(db):
        con = duckdb.connect(str(db), read_only=True)
        out = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
               for t in ("actors", "actor_edges", "evidence_edges", "networks", "network_members", "actor_metrics")}
        con.close()
        return out

    snapshot = published / "serving" / "analytics.duckdb"
    before = dump(snapshot)
    assert run_pipeline(landing, published, None, None, "local") == 0
    assert dump(snapshot) == before


def test_cli_sql_prints_and_csv(published):
    exe = Path(sys.executable).parent / "threatgraph"
    p = subprocess.run([str(exe), "sql", "SELECT count(*) AS n FROM networks WHERE flagged", "--warehouse", str(published), "--csv"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[0] == "n" and int(lines[1]) >= 1
    bad = subprocess.run([str(exe), "sql", "SELECT nope FROM networks", "--warehouse", str(published)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "error" in bad.stderr
    # the snapshot is read-only for analysts
    ro = subprocess.run([str(exe), "sql", "DELETE FROM networks", "--warehouse", str(published)], capture_output=True, text=True, timeout=120)
    assert ro.returncode != 0


def test_cli_sql_reads_the_snapshot_and_nothing_else(published, tmp_path):
    """Analysts' SQL cannot reach the restricted store next to the snapshot, write files or load extensions."""
    from orchestration.cli import SQL_CONFINEMENT_HINT
    from orchestration.publish import PUBLISHED_TABLES

    exe = Path(sys.executable).parent / "threatgraph"

    def sql(query: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(exe), "sql", query, "--warehouse", str(published), "--csv"],
                              capture_output=True, text=True, timeout=120)

    restricted = published / "restricted"
    con = duckdb.connect(str(restricted / "identity.duckdb"), read_only=True)
    account_ids = {r[0] for r in con.execute("SELECT account_id FROM actor_identity").fetchall()}
    con.close()
    assert account_ids
    key_file = restricted / "pseudonym.key"
    secret = key_file.read_text().strip() if key_file.exists() else None
    out_file = tmp_path / "dump.csv"
    refused = {
        "attach": f"ATTACH '{restricted / 'identity.duckdb'}' AS r (READ_ONLY); SELECT account_id FROM r.actor_identity",
        "read_text": f"SELECT content FROM read_text('{key_file}')",
        "read_csv": f"SELECT * FROM read_csv('{restricted / 'identity.duckdb'}')",
        "copy_to": f"COPY (SELECT * FROM actors) TO '{out_file}'",
        "unlock": f"SET enable_external_access = true; SELECT content FROM read_text('{key_file}')",
        "install": "INSTALL httpfs",
        "load": "LOAD httpfs",
    }
    for what, query in refused.items():
        p = sql(query)
        assert p.returncode == 2 and p.stdout == "", (what, p.stdout, p.stderr)
        assert SQL_CONFINEMENT_HINT in p.stderr or "configuration has been locked" in p.stderr, (what, p.stderr)
        assert not account_ids & set(re.findall(r"[\w.@-]+", p.stderr)), what
        assert secret is None or secret not in p.stderr, what
    assert not out_file.exists()

    # every published table still answers, with the rows the snapshot holds
    con = duckdb.connect(str(published / "serving" / "analytics.duckdb"), read_only=True)
    expected = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in PUBLISHED_TABLES}
    con.close()
    union = " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM {t}" for t in PUBLISHED_TABLES)
    p = sql(union)
    assert p.returncode == 0, p.stderr
    got = {t: int(n) for t, n in (line.split(",") for line in p.stdout.strip().splitlines()[1:])}
    assert got == expected and got["actors"] > 0


def test_volume_collapse_blocks_publication(landing, published, tmp_path, capsys):
    """A later day with a few percent of the usual events fails its blocking check; nothing is published."""
    collapsed = tmp_path / "landing"
    shutil.copytree(landing, collapsed)
    last = date(2026, 11, DAYS).isoformat()
    new_day = date(2026, 11, DAYS + 1).isoformat()
    for source in ("accounts", "sessions", "enforcement", "events"):
        src, dst = collapsed / source / f"dt={last}", collapsed / source / f"dt={new_day}"
        dst.mkdir(parents=True)
        for f in sorted(src.iterdir()):
            if source != "events" or not f.name.endswith(".jsonl") or f.name.startswith("_"):
                if source != "events":
                    shutil.copy(f, dst / f.name)
                continue
            lines = f.read_bytes().splitlines(keepends=True)
            (dst / f.name).write_bytes(b"".join(lines[: max(1, len(lines) // 40)]))  # ~2.5% of a normal day
    warehouse = tmp_path / "warehouse"
    shutil.copytree(published, warehouse)
    snapshot = warehouse / "serving" / "analytics.duckdb"
    before = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    capsys.readouterr()
    code = run_pipeline(collapsed, warehouse, None, None, "local")
    err = capsys.readouterr().err
    assert code != 0
    assert hashlib.sha256(snapshot.read_bytes()).hexdigest() == before
    assert "volume_vs_recent_partitions" in err and new_day in err, err

    # The collapsed day stays in bronze as written. A later run of the next day alone must not
    # publish it: the window gate names it.
    next_day = date(2026, 11, DAYS + 2).isoformat()
    for source in ("accounts", "sessions", "enforcement", "events"):  # a normal day (re-delivered lines, 48 h late)
        shutil.copytree(collapsed / source / f"dt={last}", collapsed / source / f"dt={next_day}")
    code = run_pipeline(collapsed, warehouse, date.fromisoformat(next_day), date.fromisoformat(next_day), "local")
    err = capsys.readouterr().err
    assert code != 0 and hashlib.sha256(snapshot.read_bytes()).hexdigest() == before
    assert "window_days_verified" in err and f"days not verified (their blocking checks failed, or they were rewritten since): {new_day}" in err, err
    # Repaired and run again alone, the day is verified and the window publishes; it still ends on the
    # newest day in bronze, not on the day just run.
    for source in ("accounts", "sessions", "enforcement", "events"):
        shutil.rmtree(collapsed / source / f"dt={new_day}")
        shutil.copytree(collapsed / source / f"dt={last}", collapsed / source / f"dt={new_day}")
    assert run_pipeline(collapsed, warehouse, date.fromisoformat(new_day), date.fromisoformat(new_day), "local") == 0
    con = duckdb.connect(str(snapshot), read_only=True)
    assert con.execute("SELECT max(window_end) FROM actor_edges").fetchone()[0].isoformat() == next_day
    con.close()


def test_graph_stage_through_dagster_with_spark_matches_local(published, tmp_path, spark):
    """The graph stage as Dagster assets on the Spark engine gives the local engine's networks."""
    from orchestration.assets.graph import coordination_graph, network_marts
    from orchestration.resources import PlatformStorage

    warehouse = tmp_path / "warehouse"
    shutil.copytree(published, warehouse)
    storage = PlatformStorage(landing=str(tmp_path), warehouse=str(warehouse))
    result = dg.materialize([coordination_graph, network_marts], resources={"storage": storage},
                            run_config={"ops": {"network_marts": {"config": {"graph_engine": "spark"}}}})
    assert result.success
    spark_db = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    local_db = duckdb.connect(str(published / "serving" / "analytics.duckdb"), read_only=True)
    q_net = "SELECT network_id, n_actors, n_edges, flagged, round(risk_score, 6) FROM {} ORDER BY ALL"
    assert spark_db.execute(q_net.format("marts.networks")).fetchall() == local_db.execute(q_net.format("networks")).fetchall()
    q_pr = "SELECT actor_key, pagerank, component FROM {} ORDER BY actor_key"
    s_rows, l_rows = spark_db.execute(q_pr.format("marts.actor_metrics")).fetchall(), local_db.execute(q_pr.format("actor_metrics")).fetchall()
    assert [r[0] for r in s_rows] == [r[0] for r in l_rows]
    assert max(abs(a[1] - b[1]) for a, b in zip(s_rows, l_rows)) < 1e-6
    assert [r[2] for r in s_rows] == [r[2] for r in l_rows]


def test_backfill_of_a_date_range_is_one_run(landing, tmp_path):
    from orchestration.definitions import build_definitions
    from orchestration.resources import PlatformStorage

    defs = build_definitions(PlatformStorage(landing=str(landing), warehouse=str(tmp_path / "wh")))
    job = defs.resolve_job_def("ingest_job")
    result = job.execute_in_process(tags={"dagster/asset_partition_range_start": "2026-11-01",
                                          "dagster/asset_partition_range_end": f"2026-11-0{DAYS}"})
    assert result.success
    con = duckdb.connect(str(tmp_path / "wh" / "warehouse.duckdb"), read_only=True)
    days = [d.isoformat() for (d,) in con.execute("SELECT DISTINCT dt FROM bronze.events ORDER BY 1").fetchall()]
    assert days == [f"2026-11-0{i}" for i in range(1, DAYS + 1)]
