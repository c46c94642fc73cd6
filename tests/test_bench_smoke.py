"""Smoke run of the benchmark harness (python -m bench): tiny scale, no timing assertions.

Checks that the harness runs the real pipeline end to end, that its row counts agree
between stages, and that the coordination head-to-head finds the same pair sets as
coordination-network-toolkit on a small input.
"""
import json
import shutil

from bench.cli import main


def test_bench_smoke(tmp_path, capsys):
    # psutil and coordination-network-toolkit are pinned dependencies: the head-to-head always runs
    h2h = "synthetic"
    docs = tmp_path / "benchmarks.md"
    rc = main(["--scales", "T", "--sizes", "T=300:1", "--engines", "local", "--out", str(tmp_path / "res"),
               "--head-to-head", h2h, "--h2h-shares", "4000", "--h2h-window", "60",
               "--graph-sizes", "3000", "--docs", str(docs)])
    assert rc == 0
    files = sorted((tmp_path / "res").glob("bench-*.json"))
    assert len(files) == 1
    r = json.loads(files[0].read_text())
    assert r["machine"]["cores_usable"] >= 1 and r["machine"]["memory_gib"] > 0

    run = r["scales"]["T"]["median"]
    st = {s["stage"]: s for s in run["stages"]}
    assert list(st) == ["generate", "ingest", "dbt models", "graph export", "graph metrics", "detection", "checks", "publish"]
    for s in st.values():
        assert s["seconds"] >= 0 and s["peak_rss_mib"] > 0

    # generate -> ingest: every generated line is read; read = loaded + duplicates + invalid
    ingest = st["ingest"]
    assert ingest["rows_in"] == st["generate"]["rows_out"] == sum(run["generated"]["lines"].values())
    assert ingest["rows_in"] == ingest["rows_out"] + ingest["duplicates"] + ingest["invalid"]
    # ingest -> bronze -> dbt
    assert sum(v for v in run["bronze_rows"].values()) == ingest["rows_out"] == st["dbt models"]["rows_in"]
    assert run["bronze_rows"]["bronze.events"] == run["generated"]["lines"]["events"]
    # dbt -> graph export -> metrics -> detection -> publish
    assert st["dbt models"]["rows_out"] == run["mart_rows"]["marts.actors"] + run["mart_rows"]["marts.actor_edges"]
    assert st["graph export"]["rows_in"] == run["mart_rows"]["marts.actor_edges"] + run["mart_rows"]["marts.evidence_edges"]
    assert st["graph metrics"]["rows_in"] == st["graph export"]["rows_out"]
    assert st["graph metrics"]["rows_out"] == st["graph export"]["vertices"] == run["mart_rows"]["marts.actor_metrics"]
    assert st["detection"]["rows_out"] == run["mart_rows"]["marts.networks"] + run["mart_rows"]["marts.network_members"]
    for table, n in run["published_rows"].items():
        assert n == run["mart_rows"][f"marts.{table}"]
    assert st["publish"]["rows_out"] == sum(run["published_rows"].values())
    assert st["checks"]["rows_out"] > 0
    # the checks stage is the sum of its steps, every one a quality gate
    by_step = st["checks"]["seconds_by_step"]
    assert abs(sum(by_step.values()) - st["checks"]["seconds"]) < 0.01 * len(by_step) + 0.01
    assert any(k.startswith("bronze__events_gx_") for k in by_step) and "bronze__verified_days" in by_step
    # per-engine metrics on the exported graph: one row per vertex
    assert [e["engine"] for e in run["engines"]] == ["local"]
    assert run["engines"][0]["rows_out"] == st["graph export"]["vertices"]
    # the ingestion floor read the same lines
    assert run["bare_scan"]["lines"] == ingest["rows_in"]
    assert run["bare_scan"]["records"] == ingest["rows_in"]
    assert run["bare_scan"]["load_seconds"] > 0 and run["bare_scan"]["ingest_over_load"] > 0
    assert run["bare_scan"]["load_per_partition_seconds"] > 0 and run["bare_scan"]["ingest_over_partition_load"] > 0
    from orchestration.settings import duckdb_memory_limit

    assert run["duckdb_memory_limit"] == duckdb_memory_limit()  # recorded: it moves peaks and times
    # the ingest stage leaves the bronze check steps to the checks stage; bulk rows are loaded rows
    assert ingest["seconds"] < ingest["ingest_job_wall_seconds"]
    assert 0 <= ingest["loaded_in_bulk"] <= ingest["rows_out"]

    (h,) = r["head_to_head"]
    assert "error" not in h, h.get("error")
    assert h["shares"] == 4000
    assert h["pairs_threatgraph"] > 0
    assert h["identical"], (h["only_threatgraph"], h["only_toolkit"], h["examples_only_threatgraph"],
                            h["examples_only_toolkit"])

    (g,) = r["graph_engines"]
    assert g["engine"] == "local" and g["rows_out"] == g["vertices"]

    text = docs.read_text()
    assert "| ingest |" in text and "cores" in text
    shutil.rmtree(tmp_path / "res", ignore_errors=True)


def test_files_by_partition_groups_as_ingest_writes(tmp_path):
    from pathlib import Path

    from bench.pipeline import files_by_partition

    files = [Path("l/events/dt=2026-11-01/a.jsonl"), Path("l/events/dt=2026-11-01/b.jsonl.gz"),
             Path("l/events/dt=2026-11-02/a.jsonl"), Path("l/sessions/dt=2026-11-01/a.jsonl"),
             Path("l/reference/indicators.jsonl")]
    assert files_by_partition(files) == {
        ("events", "dt=2026-11-01"): files[:2], ("events", "dt=2026-11-02"): [files[2]],
        ("sessions", "dt=2026-11-01"): [files[3]], ("reference", None): [files[4]]}


def test_quality_gate_steps_count_as_checks_not_ingest():
    from bench.pipeline import _is_check_step

    gates = ["bronze__events_gx_bronze_events", "bronze__sessions_volume_vs_recent_partitions",
             "marts__actors_window_days_verified", "marts__actors_window_days_landed", "bronze__verified_days"]
    assert all(_is_check_step(k) for k in gates)
    assert not any(_is_check_step(k) for k in ["bronze__events", "warehouse_dbt_models", "network_marts",
                                                "serving__analytics_snapshot"])


def test_median_run_takes_medians_per_stage_and_per_check_step():
    from bench.cli import _median_run

    def run(a, b):
        return {"stages": [{"stage": "checks", "seconds": a + b, "rows_in": 10, "rows_out": 2, "peak_rss_mib": a,
                            "seconds_by_step": {"gx_x": a, "gx_y": b}}]}

    (st,) = _median_run([run(1, 2), run(3, 1), run(2, 5)])["stages"]
    assert st["seconds"] == 4 and st["seconds_all"] == [3, 4, 7]
    assert st["seconds_by_step"] == {"gx_x": 2, "gx_y": 2}  # each step's own median, not the median run's
    assert st["peak_rss_mib"] == 3
