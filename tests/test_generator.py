"""Tests for the synthetic data generator (generator/)."""
from __future__ import annotations

import argparse
import gzip
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from generator import synth
from generator.corrupt import ALL_KINDS
from generator.operations import TACTICS

CONTRACT = Path(__file__).resolve().parents[1].parent / "shared" / "contract"
SOURCES = ("accounts", "events", "sessions", "enforcement")
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
START = date(2026, 11, 1)


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _tree_bytes(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _read_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.splitlines()


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    synth.generate(root, days=2, accounts=800, seed=7, start=START)
    return root


@pytest.fixture(scope="module")
def validators() -> dict:
    out = {}
    for s in SOURCES + ("indicators",):
        schema = json.loads((CONTRACT / f"{s}.schema.json").read_text())
        out[s] = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return out


def test_cli_arguments():
    p = argparse.ArgumentParser()
    synth.add_arguments(p)
    a = p.parse_args(["--landing", "x"])
    assert (a.days, a.accounts, a.seed, a.start, a.corrupt_rate) == (3, 5000, 0, date(2026, 11, 1), 0.0)
    a = p.parse_args(["--landing", "x", "--days", "2", "--start", "2026-10-02", "--corrupt-rate", "0.1"])
    assert a.days == 2 and a.start == date(2026, 10, 2) and a.corrupt_rate == 0.1


def test_layout(clean):
    for s in SOURCES:
        parts = sorted(p.name for p in (clean / s).iterdir())
        assert parts == ["dt=2026-11-01", "dt=2026-11-02"]
        for part in parts:
            names = sorted(p.name for p in (clean / s / part).iterdir())
            assert "_SUCCESS" in names
            assert any(n.endswith((".jsonl", ".jsonl.gz")) for n in names)
    ev = [p.name for p in (clean / "events" / "dt=2026-11-01").iterdir() if p.name.startswith("part")]
    assert 2 <= len(ev) <= 4 and any(n.endswith(".gz") for n in ev)
    assert (clean / "reference" / "indicators.jsonl").exists()
    for f in ("operations.json", "lookalikes.json", "manifest.json"):
        assert (clean / "_truth" / f).exists()


def test_determinism(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    synth.generate(a, days=2, accounts=400, seed=3, corrupt_rate=0.01)
    synth.generate(b, days=2, accounts=400, seed=3, corrupt_rate=0.01)
    synth.generate(c, days=2, accounts=400, seed=4, corrupt_rate=0.01)
    ta, tb, tc = _tree_bytes(a), _tree_bytes(b), _tree_bytes(c)
    assert ta == tb
    assert ta.keys() == tc.keys() or True
    assert any(ta[k] != tc.get(k) for k in ta)


def test_every_line_validates(clean, validators):
    ids = {s: Counter() for s in SOURCES}
    account_ids = set()
    for s in SOURCES:
        for part in sorted((clean / s).iterdir()):
            day = date.fromisoformat(part.name[3:])
            lo = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            hi = lo + timedelta(days=1)
            for f in sorted(part.iterdir()):
                if f.name.startswith("_"):
                    continue
                for line in _read_lines(f):
                    rec = json.loads(line.decode("utf-8"))
                    errors = list(validators[s].iter_errors(rec))
                    assert not errors, (f, errors[0].message)
                    assert TS.match(rec["event_time"]), rec["event_time"]
                    t = _parse(rec["event_time"])
                    assert lo <= t < hi, (f, rec["event_time"])
                    if s == "accounts":
                        assert TS.match(rec["created_at"])
                        assert _parse(rec["created_at"]) <= t
                        if rec["change_type"] == "created":
                            assert rec["created_at"] == rec["event_time"]
                        account_ids.add(rec["account_id"])
                        ids[s][(rec["account_id"], rec["event_time"])] += 1
                    else:
                        key = {"events": "event_id", "sessions": "session_id", "enforcement": "action_id"}[s]
                        ids[s][rec[key]] += 1
                    if s == "events":
                        et = rec["event_type"]
                        if et == "post":
                            assert rec["video_id"] and rec["target_account_id"] is None
                        elif et in ("like", "share", "repost", "comment"):
                            assert rec["video_id"] and rec["target_account_id"]
                        else:
                            assert rec["target_account_id"] and rec["video_id"] is None
                        assert (rec["share_channel"] is not None) == (et == "share")
                        for m in rec["mention_account_ids"]:
                            assert f"@{m}" in rec["text"]
    for s in SOURCES:
        dup = [k for k, v in ids[s].items() if v > 1]
        assert not dup, (s, dup[:3])
    assert len(ids["events"]) > 3000
    change = Counter()
    for part in sorted((clean / "accounts").iterdir()):
        for f in part.glob("*.jsonl*"):
            for line in _read_lines(f):
                change[(part.name, json.loads(line)["change_type"])] += 1
    assert change[("dt=2026-11-01", "snapshot")] > 500
    assert sum(v for (p, c), v in change.items() if c == "created") > 0
    assert sum(v for (p, c), v in change.items() if c == "updated") > 0
    assert sum(v for (p, c), v in change.items() if c == "deleted") > 0
    for line in (clean / "reference" / "indicators.jsonl").read_bytes().splitlines():
        rec = json.loads(line)
        assert not list(validators["indicators"].iter_errors(rec))


def _all_account_ids(root: Path) -> set:
    out = set()
    for f in (root / "accounts").rglob("*.jsonl*"):
        for line in _read_lines(f):
            out.add(json.loads(line)["account_id"])
    return out


def test_truth(clean):
    ops = json.loads((clean / "_truth" / "operations.json").read_bytes())
    looks = json.loads((clean / "_truth" / "lookalikes.json").read_bytes())
    manifest = json.loads((clean / "_truth" / "manifest.json").read_bytes())
    accounts = _all_account_ids(clean)
    assert len(ops) >= 4
    for o in ops:
        assert {"operation_id", "name", "tactics", "evasive", "members"} <= o.keys()
        assert 10 <= len(o["members"]) <= 80
        assert set(o["members"]) <= accounts
    seen = {t for o in ops for t in o["tactics"]}
    assert set(TACTICS) <= seen
    assert any(o["evasive"] for o in ops) and any(not o["evasive"] for o in ops)
    kinds = {g["kind"] for g in looks}
    assert {"viral", "fan_club", "household", "carrier_nat", "trending"} <= kinds
    for g in looks:
        assert set(g["members"]) <= accounts
    assert manifest["arguments"]["accounts"] == 800
    assert manifest["counts"]["events"]["lines"] > 0
    # planted operations act: members appear in events, CIB enforcement carries campaign labels
    actors = Counter()
    labels = set()
    for f in (clean / "events").rglob("*.jsonl*"):
        for line in _read_lines(f):
            actors[json.loads(line)["account_id"]] += 1
    for f in (clean / "enforcement").rglob("*.jsonl*"):
        for line in _read_lines(f):
            r = json.loads(line)
            if r["policy"] == "coordinated_inauthentic_behavior" and r.get("campaign_label"):
                labels.add(r["campaign_label"])
    assert labels
    for o in ops:
        assert sum(actors[m] for m in o["members"]) > 0


def test_corruption_kinds(tmp_path):
    root = tmp_path / "c"
    synth.generate(root, days=2, accounts=400, seed=5, corrupt_rate=0.02)
    manifest = json.loads((root / "_truth" / "manifest.json").read_bytes())
    by = manifest["corrupt"]["by_reason"]
    for k in ALL_KINDS:
        assert by.get(k, 0) >= 1, k
    total = sum(v["lines"] for k, v in manifest["counts"].items() if k != "indicators")
    assert 0.005 * total < sum(by.values()) < 0.06 * total
    for f in manifest["corrupt"]["files"]:
        p = root / f["file"]
        assert p.exists()
        if f["reason"] == "empty_file":
            assert p.stat().st_size == 0
        if f["reason"] == "truncated_gzip":
            with pytest.raises((EOFError, OSError)):
                gzip.decompress(p.read_bytes())
    # spot-check recorded line reasons
    cache = {}
    for e in manifest["corrupt"]["lines"]:
        if e["file"] not in cache:
            cache[e["file"]] = _read_lines(root / e["file"])
        line = cache[e["file"]][e["line"] - 1]
        if e["reason"] == "not_json":
            with pytest.raises(ValueError):
                json.loads(line)
        elif e["reason"] == "non_utf8":
            with pytest.raises(UnicodeDecodeError):
                line.decode("utf-8")
        elif e["reason"] == "unknown_extra_fields":
            assert "client_version" in json.loads(line)
        elif e["reason"] == "event_time_after_partition":
            rec = json.loads(line)
            day = date.fromisoformat(e["file"].split("dt=")[1][:10])
            end = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1, minutes=5)
            assert _parse(rec["event_time"]) > end
        elif e["reason"] == "duplicate_identical":
            assert cache[e["file"]].count(line) >= 2


def test_viral_at_5000(tmp_path):
    root = tmp_path / "v"
    synth.generate(root, days=1, accounts=5000, seed=11)
    looks = json.loads((root / "_truth" / "lookalikes.json").read_bytes())
    viral = [g for g in looks if g["kind"] == "viral"]
    assert viral
    shares = Counter()
    for f in (root / "events").rglob("*.jsonl*"):
        for line in _read_lines(f):
            r = json.loads(line)
            if r["event_type"] == "share":
                shares[r["video_id"]] += 1
    assert max(shares[g["video_id"]] for g in viral) >= 1000


def test_run_prints_summary(tmp_path, capsys):
    p = argparse.ArgumentParser()
    synth.add_arguments(p)
    args = p.parse_args(["--landing", str(tmp_path / "r"), "--days", "1", "--accounts", "300"])
    assert synth.run(args) == 0
    out = capsys.readouterr().out
    assert "events=" in out and "operations" in out
