"""`threatgraph run` end to end as a user calls it (a subprocess, the venv not on PATH): what it
prints (partitions, the analysis window, rows of every published table, two-decimal risks, a
closing command that works), and that with DAGSTER_HOME set its runs are recorded in that instance."""
import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "threatgraph"
DAYS, FIRST = 2, date(2026, 11, 1)


def _env(**extra) -> dict:
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != EXE.parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THREATGRAPH_", "DAGSTER_"))}
    return env | {"PATH": path} | extra


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    from generator import synth

    root = tmp_path_factory.mktemp("cli_run")
    landing, warehouse, home = root / "landing", root / "warehouse", root / "dagster_home"
    synth.generate(landing, days=DAYS, accounts=1000, seed=3, start=FIRST)
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    p = subprocess.run([str(EXE), "run", "--landing", str(landing), "--warehouse", str(warehouse), "--graph-engine", "local"],
                       capture_output=True, text=True, cwd=REPO, env=_env(DAGSTER_HOME=str(home)), timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    return landing, warehouse, home, p.stdout


def test_run_prints_the_window_and_every_published_table(ran):
    _, _, _, out = ran
    last = FIRST + timedelta(days=DAYS - 1)
    assert f"partitions: {FIRST} .. {last} ({DAYS})" in out
    # dbt_project.yml window_days: 7, ending on the newest day in bronze
    assert f"window: {last - timedelta(days=6)} .. {last} (7 days)" in out
    rows = next(line for line in out.splitlines() if line.startswith("rows: "))
    for table in ("actors", "actor_edges", "evidence_edges", "networks", "network_members", "network_edges", "actor_metrics"):
        assert re.search(rf"\b{table} [\d,]+", rows), (table, rows)
    risks = re.findall(r"accounts  risk (\S+)  ", out)
    assert risks and all(re.fullmatch(r"\d\.\d\d", r) for r in risks), risks


def test_the_closing_command_works_as_printed(ran):
    _, _, _, out = ran
    line = out.strip().splitlines()[-1]
    # the venv is not on PATH here: the command names the venv's threatgraph, relative to here when it can
    exe = str(EXE.relative_to(REPO)) if EXE.is_relative_to(REPO) else str(EXE)
    assert line.startswith(f"query: {shlex.quote(exe)} sql "), line
    p = subprocess.run(shlex.split(line.removeprefix("query: ")), capture_output=True, text=True, cwd=REPO,
                       env=_env(), timeout=120)
    assert p.returncode == 0, p.stderr
    assert "network_id" in p.stdout


def test_sql_csv_of_a_real_snapshot_has_no_carriage_returns(ran):
    _, warehouse, _, _ = ran
    p = subprocess.run([str(EXE), "sql", "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal",
                        "--warehouse", str(warehouse), "--csv"], capture_output=True, cwd=REPO, env=_env(), timeout=120)
    assert p.returncode == 0, p.stderr
    assert b"\r" not in p.stdout and p.stdout.count(b"\n") > 50


def test_a_range_with_no_landed_day_is_named(ran, tmp_path):
    landing, _, _, _ = ran
    p = subprocess.run([str(EXE), "run", "--landing", str(landing), "--warehouse", str(tmp_path / "w"), "--start", "2026-12-01"],
                       capture_output=True, text=True, cwd=REPO, env=_env(), timeout=120)
    assert p.returncode == 2
    last = FIRST + timedelta(days=DAYS - 1)
    assert f"no landed day falls in 2026-12-01 .. ...: {landing} holds {DAYS} day(s), {FIRST} .. {last}" in p.stderr


def test_with_dagster_home_the_runs_are_recorded_in_that_instance(ran):
    import dagster as dg

    _, _, home, _ = ran
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        runs = instance.get_runs()
        jobs = sorted(r.job_name for r in runs)
        assert jobs == ["analytics_job"] + ["ingest_job"] * DAYS
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        assert instance.get_latest_materialization_event(dg.AssetKey(["serving", "analytics_snapshot"])) is not None
    finally:
        instance.dispose()


def _doc_blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", (REPO / "docs" / "analysts.md").read_text(), re.S)


def test_the_analysts_guide_queries_run_on_a_real_snapshot(ran, tmp_path):
    """Every SQL example of docs/analysts.md runs under `threatgraph sql`'s confinement, with the
    guide's example keys replaced by keys of this snapshot."""
    from orchestration.cli import connect_snapshot

    _, warehouse, _, _ = ran
    con = connect_snapshot(warehouse / "serving" / "analytics.duckdb", tmp_path)
    try:
        network, a, b = con.execute("""SELECT network_id, src_actor_key, dst_actor_key FROM network_edges
                                       JOIN networks USING (network_id) ORDER BY flagged DESC, 1, 2, 3 LIMIT 1""").fetchone()
        outsider = con.execute("""SELECT min(actor_key) FROM actors
                                  WHERE actor_key NOT IN (SELECT actor_key FROM actor_metrics)""").fetchone()[0]
        names = {"net_9ccb952086b15d0e": network, "a_0edd2475ba7112bdcf5b": a, "a_6fbbfc227473c23b65cb": b,
                 "a_ff8d90f5b73ce08aaec4": outsider}
        blocks = _doc_blocks("sql")
        assert len(blocks) >= 7
        results = []
        for sql in blocks:
            for old, new in names.items():
                sql = sql.replace(old, new)
            results.append(con.execute(sql).fetchall())
    finally:
        con.close()
    assert all(results), [sql for sql, rows in zip(blocks, results) if not rows]
    in_graph = next(rows for sql, rows in zip(blocks, results) if "AS in_graph" in sql)  # the LEFT JOIN example
    assert {row[0]: row[1] for row in in_graph} == {a: True, outsider: False}
    # the guide promises a description for every published table and column, in the snapshot itself
    con = connect_snapshot(warehouse / "serving" / "analytics.duckdb", tmp_path)
    try:
        missing = con.execute("""SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal AND comment IS NULL
                                 UNION ALL SELECT table_name, NULL FROM duckdb_tables() WHERE comment IS NULL""").fetchall()
    finally:
        con.close()
    assert missing == []
    # the shell commands use the same tables and columns
    for cmd in re.findall(r'threatgraph sql "([^"]+)"', "\n".join(_doc_blocks("bash"))):
        if "$" not in cmd and "..." not in cmd:
            con = connect_snapshot(warehouse / "serving" / "analytics.duckdb", tmp_path)
            try:
                con.execute(cmd).fetchall()
            finally:
                con.close()


def test_the_identity_recipe_maps_both_ways(ran):
    landing, warehouse, _, _ = ran
    import duckdb

    recipe = next(b for b in _doc_blocks("bash") if "actor_identity" in b)
    script = recipe.split("<<'EOF'\n", 1)[1].rsplit("EOF", 1)[0]
    con = duckdb.connect(str(warehouse / "restricted" / "identity.duckdb"), read_only=True)
    (key, account), = con.execute("SELECT actor_key, account_id FROM actor_identity ORDER BY actor_key LIMIT 1").fetchall()
    con.close()

    def run(*args):
        p = subprocess.run([sys.executable, "-", str(warehouse), *args], input=script, capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0, p.stderr
        return [line.split("\t") for line in p.stdout.splitlines()]

    rows = {r[0]: r for r in run("account_id", account, "no-such-id")}
    assert rows[account][1] == key and rows["no-such-id"] == ["no-such-id", "", "", ""]
    assert run("actor_key", key)[0][:2] == [key, account]
    assert run("actor_key", "a_nosuchkey") == [["a_nosuchkey", "", "", ""]]


def _start_run(landing, warehouse, home) -> subprocess.Popen:
    return subprocess.Popen([str(EXE), "run", "--landing", str(landing), "--warehouse", str(warehouse), "--graph-engine", "local"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env=_env(DAGSTER_HOME=str(home), PYTHONUNBUFFERED="1"))


def _wait_for_line(proc: subprocess.Popen, prefix: str) -> None:
    for line in proc.stdout:
        if line.startswith(prefix):
            return
    raise AssertionError(f"the run ended before printing {prefix!r}: {proc.stderr.read()}")


def test_ctrl_c_stops_the_run_and_nothing_is_published(ran):
    import hashlib
    import signal

    landing, warehouse, home, _ = ran
    snapshot = warehouse / "serving" / "analytics.duckdb"
    before = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    proc = _start_run(landing, warehouse, home)
    _wait_for_line(proc, "[2/2 analytics] window")  # dbt is starting: publish would come last
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, out + err
    assert "interrupted; not published" in err and "[2/2 analytics] ok" not in out
    assert hashlib.sha256(snapshot.read_bytes()).hexdigest() == before
    assert not list(snapshot.parent.glob(".analytics.*"))


def test_a_run_killed_mid_ingest_does_not_block_the_next_one(ran):
    import signal
    import time

    landing, warehouse, home, _ = ran
    proc = _start_run(landing, warehouse, home)
    _wait_for_line(proc, "threatgraph run:")
    time.sleep(3)  # inside the first day's ingest run, holding the one-writer pool's slot
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    again = subprocess.run([str(EXE), "run", "--landing", str(landing), "--warehouse", str(warehouse), "--graph-engine", "local"],
                           capture_output=True, text=True, cwd=REPO, env=_env(DAGSTER_HOME=str(home)), timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "released 1 run(s) left unfinished by a killed threatgraph run" in again.stdout
