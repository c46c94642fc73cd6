"""`python -m graph_jobs.metrics`: bad input is one line `error: ...` and exit 2; the inputs Spark
writes (Parquet folders) and URIs reach the engine that reads them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from graph_jobs import metrics
from graph_jobs.metrics import OUTPUT_COLUMNS

REPO = Path(__file__).resolve().parents[1]
EDGES = pl.DataFrame({"src": ["a", "b", "c", "d"], "dst": ["b", "c", "a", "e"], "weight": [1.0, 2.0, 1.0, 0.5]})
VERTICES = pl.DataFrame({"id": ["a", "b", "c", "d", "e", "f"]})


@pytest.fixture
def files(tmp_path):
    v, e, s = tmp_path / "v.parquet", tmp_path / "e.parquet", tmp_path / "s.parquet"
    VERTICES.write_parquet(v)
    EDGES.write_parquet(e)
    pl.DataFrame({"id": ["a"]}).write_parquet(s)
    return {"v": str(v), "e": str(e), "s": str(s), "out": str(tmp_path / "out" / "m.parquet"), "dir": tmp_path}


def _args(f, **over) -> list[str]:
    a = {"--vertices": f["v"], "--edges": f["e"], "--out": f["out"], "--engine": "local"}
    a.update(over)
    out = []
    for k, v in a.items():
        if v is not None:
            out += [k, v]
    return out


def _fails(capsys, argv, *needles) -> str:
    with pytest.raises(SystemExit) as exc:  # argparse errors exit; our own return 2
        raise SystemExit(metrics.main(argv))
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _no_output(f) -> None:
    out = Path(f["out"])
    assert not out.exists() and not out.with_name(out.name + ".tmp").exists()


# --------------------------------------------------------------------------- #
# bad input: one line, exit 2
# --------------------------------------------------------------------------- #
def test_missing_files(files, capsys):
    missing = str(files["dir"] / "nope.parquet")
    _fails(capsys, _args(files, **{"--vertices": missing}), "vertices", "nope.parquet", "no such file")
    _fails(capsys, _args(files, **{"--edges": missing}), "edges", "no such file")
    _fails(capsys, _args(files, **{"--seeds": missing}), "seeds", "no such file")
    _fails(capsys, _args(files, **{"--engine": "auto", "--edges": missing}), "edges", "no such file")
    _no_output(files)


def test_wrong_columns_name_the_columns_found(files, capsys):
    d = files["dir"]
    pl.DataFrame({"from": ["a"], "to": ["b"]}).write_parquet(d / "from_to.parquet")
    pl.DataFrame({"name": ["a"]}).write_parquet(d / "names.parquet")
    for engine in ("local", "auto", "spark"):  # checked before a Spark session is started
        line = _fails(capsys, _args(files, **{"--edges": str(d / "from_to.parquet"), "--engine": engine}), "edges")
        assert "'src'" in line and "'from'" in line and "'to'" in line
        line = _fails(capsys, _args(files, **{"--vertices": str(d / "names.parquet"), "--engine": engine}), "vertices")
        assert "'id'" in line and "'name'" in line
    _no_output(files)


def test_not_parquet_and_zero_byte_files(files, capsys):
    d = files["dir"]
    (d / "text.parquet").write_text("src,dst\na,b\n")
    (d / "zero.parquet").write_bytes(b"")
    for bad in ("text.parquet", "zero.parquet"):
        for flag in ("--vertices", "--edges", "--seeds"):
            for engine in ("local", "spark"):
                _fails(capsys, _args(files, **{flag: str(d / bad), "--engine": engine}), bad, "not a readable Parquet file")
    empty = d / "empty_folder"
    empty.mkdir()
    _fails(capsys, _args(files, **{"--edges": str(empty)}), "folder without *.parquet files")
    _no_output(files)


def test_out_is_a_folder(files, capsys):
    out = files["dir"] / "outdir"
    out.mkdir()
    _fails(capsys, _args(files, **{"--out": str(out)}), "is a folder")
    assert out.is_dir() and not any(out.iterdir())
    assert not (files["dir"] / "outdir.tmp").exists()


def test_write_metrics_leaves_no_temp_file(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        metrics.write_metrics(pl.DataFrame({"x": [1]}), out)
    assert not (tmp_path / "taken.tmp").exists()

    class Broken(pl.DataFrame):  # the write fails half way: the temp file goes again
        def write_parquet(self, file, *a, **k):
            Path(file).write_bytes(b"partial")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        metrics.write_metrics(Broken({"x": [1]}), tmp_path / "m.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


@pytest.mark.parametrize(
    "flag,value",
    [
        ("--damping", "7"), ("--damping", "1"), ("--damping", "0"), ("--damping", "-0.5"),
        ("--damping", "nan"), ("--damping", "x"),
        ("--pagerank-iterations", "-3"), ("--pagerank-iterations", "2.5"), ("--cdlp-iterations", "-1"),
        ("--auto-threshold-edges", "-1"),
    ],
)  # fmt: skip
def test_parameters_out_of_range(files, capsys, flag, value):
    _fails(capsys, _args(files, **{flag: value}), flag)
    _no_output(files)


def test_compute_metrics_checks_parameters():
    for bad in (dict(damping=7.0), dict(damping=0.0), dict(damping=1.0), dict(pagerank_iterations=-3),
                dict(cdlp_iterations=-1), dict(damping=float("nan")), dict(auto_threshold_edges=-1)):  # fmt: skip
        with pytest.raises(ValueError):
            metrics.compute_metrics(VERTICES, EDGES, **bad)


def test_zero_iterations_leave_the_initial_values(files, capsys):
    argv = _args(files, **{"--pagerank-iterations": "0", "--cdlp-iterations": "0"})
    assert metrics.main(argv) == 0
    got = pl.read_parquet(files["out"])
    assert got["pagerank"].to_list() == pytest.approx([1 / 6] * 6)
    assert got["community"].to_list() == got["id"].to_list()


def test_bad_threshold_variable_is_one_line_and_import_still_works(files, monkeypatch, capsys):
    env = dict(os.environ, THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES="lots")
    r = subprocess.run([sys.executable, "-c", "import graph_jobs.metrics"], cwd=REPO, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    monkeypatch.setenv("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", "lots")
    assert metrics.main(_args(files, **{"--engine": "local"})) == 0  # an explicit engine does not need it
    capsys.readouterr()
    _fails(capsys, _args(files, **{"--engine": "auto", "--out": str(files["dir"] / "auto.parquet")}),
           "THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", "'lots'")  # fmt: skip
    monkeypatch.setenv("THREATGRAPH_GRAPH_AUTO_THRESHOLD_EDGES", "2")
    assert metrics.resolve_engine("auto", EDGES) == "spark"
    assert metrics.resolve_engine("auto", EDGES, threshold=4) == "local"  # the flag wins


def test_subprocess_prints_no_traceback(files):
    r = subprocess.run(
        [sys.executable, "-m", "graph_jobs.metrics", *_args(files, **{"--edges": str(files["dir"] / "nope.parquet")})],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.startswith("error: edges ") and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = subprocess.run([sys.executable, "-m", "graph_jobs.metrics", *_args(files, **{"--damping": "7"})],
                       cwd=REPO, capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--damping" in r.stderr, r.stderr


# --------------------------------------------------------------------------- #
# Spark's Parquet folders and URIs
# --------------------------------------------------------------------------- #
@pytest.fixture
def spark_folders(spark, tmp_path):
    """Vertices, edges and seeds as Spark writes them: folders with _SUCCESS and .crc files."""
    paths = {}
    for name, frame in (("v", VERTICES), ("e", EDGES), ("s", pl.DataFrame({"actor_key": ["a"]}))):
        p = tmp_path / f"{name}_dir"
        spark.createDataFrame(frame.to_arrow()).repartition(2).write.parquet(str(p))
        assert (p / "_SUCCESS").exists() and any(f.name.endswith(".crc") for f in p.iterdir())
        paths[name] = str(p)
    return paths


def test_spark_written_folders_with_every_engine(spark, spark_folders, tmp_path, capsys):
    expected = metrics.compute_metrics(VERTICES, EDGES, engine="local", seeds=["a"])
    for engine in ("local", "auto", "spark"):
        out = tmp_path / f"{engine}.parquet"
        argv = ["--vertices", spark_folders["v"], "--edges", spark_folders["e"], "--seeds", spark_folders["s"],
                "--out", str(out), "--engine", engine]  # fmt: skip
        assert metrics.main(argv) == 0, capsys.readouterr().err
        assert f"engine={'local' if engine == 'auto' else engine}" in capsys.readouterr().err
        got = pl.read_parquet(out)
        assert got.columns == list(OUTPUT_COLUMNS)
        assert got.drop("pagerank").equals(expected.drop("pagerank"))
        assert (got["pagerank"] - expected["pagerank"]).abs().max() < 1e-9


def test_edges_are_counted_only_for_auto(files, monkeypatch):
    calls = []
    real = metrics.count_edges
    monkeypatch.setattr(metrics, "count_edges", lambda e: calls.append(e) or real(e))
    assert metrics.main(_args(files, **{"--engine": "local"})) == 0
    assert calls == []
    assert metrics.main(_args(files, **{"--engine": "auto"})) == 0
    assert calls == [files["e"]]  # once, not once in main and again in compute_metrics


def test_uris_go_to_spark_untouched(spark, spark_folders, monkeypatch, tmp_path, capsys):
    """hdfs://, s3a:// ... are neither checked nor read by polars with the Spark engine."""
    from graph_jobs.spark_engine import SparkEngine

    uris = {f"hdfs://namenode:8020/graph/{k}": v for k, v in spark_folders.items()}
    seen = []
    real = SparkEngine.to_spark

    def to_spark(self, frame):
        if isinstance(frame, str) and frame in uris:
            seen.append(frame)
            return real(self, uris[frame])
        return real(self, frame)

    monkeypatch.setattr(SparkEngine, "to_spark", to_spark)
    v, e, s = (f"hdfs://namenode:8020/graph/{k}" for k in ("v", "e", "s"))
    got = metrics.compute_metrics(v, e, engine="spark", seeds=s, spark=spark)
    assert seen == [v, e, s]
    expected = metrics.compute_metrics(VERTICES, EDGES, engine="local", seeds=["a"])
    assert got.drop("pagerank").equals(expected.drop("pagerank"))
    # a URI Spark cannot read: one line from Spark's error, no JVM stack
    out = tmp_path / "m.parquet"
    missing = "file:///nonexistent-threatgraph/edges"
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(metrics.main(["--vertices", spark_folders["v"], "--edges", missing, "--out", str(out), "--engine", "spark"]))
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and not out.exists()
    assert len(err) == 1 and err[0].startswith("error: ") and "nonexistent-threatgraph" in err[0], err
