"""The command line's own behaviour: help texts, messages, CSV output, the run summary, the demo's
landing, and the instance settings of `make dagster-dev`. No pipeline run here (tests/test_cli_run.py)."""
import argparse
import functools
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]


def _snapshot(warehouse: Path, risk: float = 0.997) -> Path:
    """A tiny published snapshot with the tables the summary reads."""
    (warehouse / "serving").mkdir(parents=True)
    path = warehouse / "serving" / "analytics.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE actors AS SELECT 'a_' || i AS actor_key, DATE '2026-10-28' AS window_start, "
                "DATE '2026-11-03' AS window_end FROM range(3) t(i)")
    for t in ("actor_edges", "evidence_edges", "network_edges", "actor_metrics", "network_members"):
        con.execute(f"CREATE TABLE {t} AS SELECT 1 AS x FROM range(2)")
    con.execute(f"""CREATE TABLE networks AS SELECT 'net_1' AS network_id, 3 AS n_actors, {risk} AS risk_score,
                    true AS flagged, ['follow_ring', 'creation_burst'] AS signals""")
    con.close()
    return path


# --- sql -------------------------------------------------------------------------------------

def test_sql_csv_has_unix_line_ends(tmp_path, capsys):
    from orchestration.cli import main

    _snapshot(tmp_path)
    assert main(["sql", "SELECT actor_key, window_end FROM actors ORDER BY 1", "--warehouse", str(tmp_path), "--csv"]) == 0
    out = capsys.readouterr().out
    assert "\r" not in out
    assert out.split("\n") == ["actor_key,window_end", "a_0,2026-11-03", "a_1,2026-11-03", "a_2,2026-11-03", ""]


def test_sql_csv_bytes_pivot_in_a_shell(tmp_path):
    """What a shell pivot sees: `A=$(threatgraph sql ... --csv | tail -1)` holds no trailing \\r."""
    _snapshot(tmp_path)
    p = subprocess.run([sys.executable, "-m", "orchestration.cli", "sql", "SELECT max(actor_key) AS k FROM actors",
                        "--warehouse", str(tmp_path), "--csv"], capture_output=True, timeout=120, cwd=REPO)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"k\na_2\n"


def test_sql_exit_codes(tmp_path, capsys):
    from orchestration.cli import main

    assert main(["sql", "SELECT 1", "--warehouse", str(tmp_path)]) == 2  # no snapshot
    assert "no published snapshot" in capsys.readouterr().err
    _snapshot(tmp_path)
    assert main(["sql", "SELECT nope FROM actors", "--warehouse", str(tmp_path)]) == 2
    assert main(["sql", "SELECT 1", "--warehouse", str(tmp_path)]) == 0


# --- help and README agree ------------------------------------------------------------------------

def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_has_help_and_no_missing_doc_is_cited():
    from orchestration.cli import build_parser

    parser = build_parser()
    assert "architecture.md" not in parser.format_help()
    for name, sub in _subparsers(parser).items():
        for action in sub._actions:
            if action.dest != "help":
                assert action.help, f"threatgraph {name}: {action.option_strings or action.dest} has no help"
        for doc in re.findall(r"[\w/.-]+\.md", parser.format_help() + sub.format_help()):
            assert (REPO / doc).exists(), f"threatgraph {name} --help cites {doc}, which is not in the repository"


def test_generate_help_shows_defaults_and_the_minimum():
    from orchestration.cli import build_parser

    text = " ".join(_subparsers(build_parser())["generate"].format_help().split())
    assert "at least 200" in text
    for default in ("(default: 3)", "(default: 5000)", "(default: 0)", "(default: 2026-11-01)"):
        assert default in text, default


def test_run_and_sql_help_give_exit_codes():
    from orchestration.cli import build_parser

    subs = _subparsers(build_parser())
    run = subs["run"].format_help()
    assert "0  published" in run and "1  not published" in run and "2  usage or configuration error" in run
    assert "2  it did not" in subs["sql"].format_help()


def _readme_synopsis() -> dict[str, str]:
    text = (REPO / "README.md").read_text()
    block = text.split("## Command line", 1)[1].split("```", 2)[1]
    lines = {}
    for line in block.splitlines():
        m = re.match(r"\s*threatgraph (\w+)\b(.*)", line)
        if m:
            lines[m.group(1)] = lines.get(m.group(1), "") + m.group(2)
    return lines


def test_readme_synopsis_names_every_option_of_every_command():
    from orchestration.cli import build_parser

    synopsis = _readme_synopsis()
    for name, sub in _subparsers(build_parser()).items():
        assert name in synopsis, f"README's synopsis lacks `threatgraph {name}`"
        for action in sub._actions:
            for opt in action.option_strings:
                if opt.startswith("--") and opt != "--help":
                    assert opt in synopsis[name], f"README's synopsis of `threatgraph {name}` lacks {opt}"


# --- run: messages and summary ---------------------------------------------------------------------

def test_run_outside_the_landed_days_names_the_landed_range(tmp_path, capsys):
    from orchestration.cli import main

    landing = tmp_path / "landing"
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        (landing / "events" / f"dt={day}").mkdir(parents=True)
    assert main(["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w"), "--start", "2026-12-01"]) == 2
    err = capsys.readouterr().err
    assert "no landed day falls in 2026-12-01 .. ..." in err and "3 day(s), 2026-11-01 .. 2026-11-03" in err
    assert "no partitions found" not in err
    assert main(["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w"), "--end", "2026-10-01"]) == 2
    assert "no landed day falls in ... .. 2026-10-01" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["run", "--landing", str(empty), "--warehouse", str(tmp_path / "w")]) == 2
    assert "no partitions found under" in capsys.readouterr().err
    assert not (tmp_path / "w").exists()


def test_summary_prints_the_window_every_table_and_two_decimals(tmp_path, capsys):
    from orchestration import runner

    _snapshot(tmp_path, risk=0.997)
    runner._summary(tmp_path, ["2026-11-01", "2026-11-02", "2026-11-03"], 12.0)
    out = capsys.readouterr().out
    assert "partitions: 2026-11-01 .. 2026-11-03 (3)" in out
    assert "window: 2026-10-28 .. 2026-11-03 (7 days" in out
    rows = next(line for line in out.splitlines() if line.startswith("rows: "))
    for t in runner.SUMMARY_TABLES:
        assert f"{t} " in rows, t
    assert "evidence_edges 2" in rows and "network_edges 2" in rows
    assert "risk 1.00 " in out and "risk 1.0 " not in out
    assert f"--warehouse {tmp_path}" in out


def test_window_line_without_actors():
    from orchestration.runner import window_line

    assert window_line(date(2026, 10, 28), date(2026, 11, 3)).startswith("window: 2026-10-28 .. 2026-11-03 (7 days")
    assert "none" in window_line(None, None)


def test_the_closing_hint_is_a_command_that_works_from_here(tmp_path, monkeypatch):
    from orchestration.runner import cli_command

    exe = Path(sys.executable).parent / "threatgraph"
    assert exe.exists()
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # a venv that is not activated
    monkeypatch.chdir(exe.parent.parent)
    assert cli_command() == str(Path(exe.parent.name) / "threatgraph")  # bin/threatgraph, from inside the venv
    monkeypatch.chdir(tmp_path)
    assert cli_command() == str(exe)
    monkeypatch.setenv("PATH", f"{exe.parent}:/usr/bin:/bin")  # activated
    assert cli_command() == "threatgraph"


# --- demo ------------------------------------------------------------------------------------------

def _demo_args(root: Path, **kw) -> SimpleNamespace:
    base = dict(dir=root, accounts=200, days=1, seed=1, start=None, end=None, graph_engine="local")
    return SimpleNamespace(**(base | kw))


def test_demo_reuses_its_landing_only_for_the_same_options(tmp_path, monkeypatch, capsys):
    from generator import synth
    from orchestration import runner

    runs, generated = [], []
    monkeypatch.setattr(runner, "run_pipeline", lambda landing, warehouse, *a: runs.append((landing, warehouse)) or 0)
    real_generate = synth.generate

    @functools.wraps(real_generate)
    def counting_generate(*a, **kw):
        generated.append(kw)
        return real_generate(*a, **kw)

    monkeypatch.setattr(synth, "generate", counting_generate)
    root = tmp_path / "demo"

    assert runner.run_demo(_demo_args(root)) == 0
    assert len(generated) == 1 and "[demo] generating 200 accounts" in capsys.readouterr().out

    assert runner.run_demo(_demo_args(root)) == 0  # same options: the landing is reused
    out = capsys.readouterr().out
    assert len(generated) == 1
    assert f"reusing the existing landing at {root / 'landing'} (generated with accounts=200, days=1, seed=1" in out

    (root / "warehouse").mkdir()
    (root / "warehouse" / "warehouse.duckdb").write_text("old dataset")
    assert runner.run_demo(_demo_args(root, seed=2, accounts=250)) == 0  # other options: generated again
    out = capsys.readouterr().out
    assert len(generated) == 2 and generated[-1]["seed"] == 2 and generated[-1]["accounts"] == 250
    assert "was generated with accounts=200, days=1, seed=1" in out and "again with accounts=250, days=1, seed=2" in out
    assert not (root / "warehouse").exists()  # the old dataset's warehouse would mix both
    assert runner.landing_options(root / "landing")["seed"] == 2
    assert len(runs) == 3


def test_demo_refuses_bad_options_and_a_landing_it_did_not_make(tmp_path, capsys):
    from orchestration import runner

    assert runner.run_demo(_demo_args(tmp_path, accounts=100)) == 2
    assert "--accounts >= 200" in capsys.readouterr().err
    (tmp_path / "landing" / "events").mkdir(parents=True)
    assert runner.run_demo(_demo_args(tmp_path)) == 2
    assert "did not generate" in capsys.readouterr().err
    assert (tmp_path / "landing" / "events").is_dir()


# --- Dagster instance settings and the UI's folders -----------------------------------------------

def test_deploy_instance_yaml_loads_and_retries_no_failed_step(tmp_path):
    import dagster as dg

    shutil.copy(REPO / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(tmp_path))  # validates against Dagster's instance schema
    try:
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 1
        # a run stopped by a failed step or blocking check is not started again
        assert instance.run_retries_retry_on_asset_or_op_failure is False
    finally:
        instance.dispose()


def test_dagster_dev_defaults_to_the_demo_folders():
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREATGRAPH_")}

    def dry_run(*args, **extra):
        p = subprocess.run(["make", "-n", "dagster-dev", *args], capture_output=True, text=True, cwd=REPO,
                           env=env | extra, timeout=60)
        assert p.returncode == 0, p.stderr
        return p.stdout

    out = dry_run()
    assert f'THREATGRAPH_LANDING="{REPO}/data/demo/landing"' in out
    assert f'THREATGRAPH_WAREHOUSE="{REPO}/data/demo/warehouse"' in out
    assert f"DAGSTER_HOME={REPO}/.dagster_home" in out
    assert 'THREATGRAPH_WAREHOUSE="/srv/wh"' in dry_run(THREATGRAPH_WAREHOUSE="/srv/wh")
    assert 'THREATGRAPH_LANDING="/srv/in"' in dry_run("THREATGRAPH_LANDING=/srv/in")
