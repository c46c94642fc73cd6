"""Coordinated co-sharing (`threatgraph coordination`) against CooRTweet 2.1.3.

The reference figures for russian_coord_tweets come from CooRTweet itself
(shared/datasets/README.md). `coortweet_reference` below is a deliberately
naive, step-by-step Python transcription of detect_groups +
generate_coordinated_network (all pairs per object, no buckets), used to check
the bucketed SQL on hand-made and random inputs.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import jinja2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration import coordination
from orchestration.coordination import (
    CoordinationInputError,
    co_share_macro_path,
    run_coordination,
)

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
RUSSIAN = DATASETS / "coortweet" / "russian_coord_tweets.csv"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "coordination"
HEADER = ["object_id", "account_id", "content_id", "timestamp_share"]


# --------------------------------------------------------------------------
# helpers


def write_csv(path: Path, rows, header=HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_parquet(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def coortweet_reference(rows, time_window, min_participation):
    """Naive transcription of CooRTweet 2.1.3. rows: (object, account, content, ts) in input order."""
    # pre-filter: x[, if (.N >= min_participation) .SD, by = account_id]
    # (data.table regroups rows by account, in order of first appearance)
    n_shares = Counter(r[1] for r in rows)
    groups: dict[str, list] = defaultdict(list)
    for r in rows:
        if n_shares[r[1]] >= min_participation:
            groups[r[1]].append(r)
    x = [r for rows_of_account in groups.values() for r in rows_of_account]

    # calc_group_combinations by object_id: id < id, abs(time_delta) <= time_window
    by_object: dict[str, list] = defaultdict(list)
    for r in x:
        by_object[r[0]].append(r)
    result = []
    for obj, g in by_object.items():
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                delta = g[i][3] - g[j][3]
                if abs(delta) <= time_window:
                    result.append([obj, g[i][1], g[j][1], g[i][2], g[j][2], delta])

    # do_remove_loops
    result = [
        p for p in result
        if p[0] != p[3] and p[0] != p[4] and p[3] != p[4] and p[1] != p[2]
    ]

    # filter_min_participation
    if min_participation >= 1:
        contents = {p[3] for p in result} | {p[4] for p in result}
        in_result = [r for r in x if r[2] in contents]
        per_account = Counter(r[1] for r in in_result)
        kept_contents = {r[2] for r in in_result if per_account[r[1]] >= min_participation}
        result = [p for p in result if p[3] in kept_contents or p[4] in kept_contents]

    # older share first, absolute time delta
    pairs = []
    for obj, acc, acc_y, con, con_y, delta in result:
        if delta > 0:
            acc, acc_y, con, con_y = acc_y, acc, con_y, con
        pairs.append((obj, acc, acc_y, con, con_y, float(abs(delta))))

    # generate_coordinated_network
    agg: dict[tuple, list] = defaultdict(list)
    for obj, acc, acc_y, con, con_y, delta in pairs:
        agg[(min(acc, acc_y), max(acc, acc_y))].append((con, con_y, delta))
    edges = {}
    for key, items in agg.items():
        n_cid = len({c for c, _, _ in items})
        n_cidy = len({c for _, c, _ in items})
        edges[key] = {
            "weight": len(items),
            "avg_time_delta": sum(d for _, _, d in items) / len(items),
            "edge_symmetry_score": min(n_cid, n_cidy) / max(n_cid, n_cidy),
            "n_content_id": n_cid,
            "n_content_id_y": n_cidy,
        }
    return sorted(pairs), edges


def run_sql(rows, time_window, min_participation, row_order=True):
    """Render the macros with plain jinja2 and run them in DuckDB."""
    macros = jinja2.Environment().from_string(co_share_macro_path().read_text()).module
    con = duckdb.connect()
    con.register("src", pa.table({
        "object_id": [r[0] for r in rows],
        "account_id": [r[1] for r in rows],
        "content_id": [r[2] for r in rows],
        "timestamp_share": [float(r[3]) for r in rows],
        "row_nr": list(range(1, len(rows) + 1)),
    }))
    con.execute("create table shares as select * from src")
    order = "row_nr" if row_order else None
    con.execute("create table pairs as " + str(macros.co_share_pairs("shares", time_window, min_participation, row_order=order)))
    con.execute("create table edges as " + str(macros.co_share_network("pairs")))
    pairs = sorted(
        (o, a, ay, c, cy, float(d))
        for o, a, ay, c, cy, d in con.execute(
            "select object_id, account_id, account_id_y, content_id, content_id_y, time_delta from pairs"
        ).fetchall()
    )
    edges = {
        (r[0], r[1]): {
            "weight": r[2], "avg_time_delta": r[3], "edge_symmetry_score": r[4],
            "n_content_id": r[5], "n_content_id_y": r[6], "weight_threshold": r[7],
        }
        for r in con.execute(
            "select account_id, account_id_y, weight, avg_time_delta, edge_symmetry_score, "
            "n_content_id, n_content_id_y, weight_threshold from edges"
        ).fetchall()
    }
    con.close()
    return pairs, edges


def assert_same_as_reference(rows, time_window, min_participation):
    ref_pairs, ref_edges = coortweet_reference(rows, time_window, min_participation)
    pairs, edges = run_sql(rows, time_window, min_participation)
    assert pairs == ref_pairs
    assert set(edges) == set(ref_edges)
    for key, ref in ref_edges.items():
        got = edges[key]
        for name, value in ref.items():
            assert got[name] == pytest.approx(value), (key, name)
    return pairs, edges


# --------------------------------------------------------------------------
# real data: reference figures of CooRTweet 2.1.3


@pytest.fixture(scope="module")
def russian_result(tmp_path_factory):
    assert RUSSIAN.exists(), f"{RUSSIAN} missing: shared/datasets must sit beside the project"
    out = tmp_path_factory.mktemp("russian")
    return run_coordination(RUSSIAN, 60, 2, out), out


def test_russian_coord_tweets_matches_coortweet(russian_result):
    counts, out = russian_result
    assert counts["pairs"] == 3791
    assert counts["accounts"] == 2110
    assert counts["edges"] == 3721
    edges = read_parquet(out / "edges.parquet")
    pairs = read_parquet(out / "pairs.parquet")
    assert len(edges) == 3721 and len(pairs) == 3791
    assert statistics.median(e["weight"] for e in edges) == 1
    assert len({e["account_id"] for e in edges} | {e["account_id_y"] for e in edges}) == 2110
    assert all(e["account_id"] < e["account_id_y"] for e in edges)
    assert sum(e["weight"] for e in edges) == 3791
    assert all(0 < e["edge_symmetry_score"] <= 1 for e in edges)
    assert all(0 <= p["time_delta"] <= 60 for p in pairs)


def test_russian_edges_parquet_schema(russian_result):
    _, out = russian_result
    names = pq.read_schema(out / "edges.parquet").names
    assert names[:5] == ["account_id", "account_id_y", "weight", "avg_time_delta", "edge_symmetry_score"]
    assert pq.read_schema(out / "pairs.parquet").names == [
        "object_id", "account_id", "account_id_y", "content_id", "content_id_y", "time_delta",
    ]


def test_russian_matches_naive_reference(russian_result):
    """Pair by pair and edge by edge against the naive all-pairs transcription."""
    _, out = russian_result
    with RUSSIAN.open(newline="") as handle:
        rows = [(r["object_id"], r["account_id"], r["content_id"], float(r["timestamp_share"]))
                for r in csv.DictReader(handle)]
    ref_pairs, ref_edges = coortweet_reference(rows, 60, 2)
    got_pairs = sorted(
        (p["object_id"], p["account_id"], p["account_id_y"], p["content_id"], p["content_id_y"], p["time_delta"])
        for p in read_parquet(out / "pairs.parquet")
    )
    assert got_pairs == ref_pairs
    got_edges = {(e["account_id"], e["account_id_y"]): e for e in read_parquet(out / "edges.parquet")}
    assert set(got_edges) == set(ref_edges)
    for key, ref in ref_edges.items():
        assert got_edges[key]["weight"] == ref["weight"]
        assert got_edges[key]["avg_time_delta"] == pytest.approx(ref["avg_time_delta"])
        assert got_edges[key]["edge_symmetry_score"] == pytest.approx(ref["edge_symmetry_score"])


# --------------------------------------------------------------------------
# hand-computed cases

HAND_ROWS = [
    # object, account, content, ts
    ("o1", "A", "a1", 100),
    ("o1", "B", "b1", 130),    # A -> B, 30 s
    ("o2", "A", "a2", 200),
    ("o2", "B", "b2", 190),    # B older: B -> A, 10 s
    ("o3", "A", "a3", 300),
    ("o3", "C", "c3", 360),    # exactly the window: A -> C, 60 s (included)
    ("o3", "B", "b3", 361),    # A-B 61 s (excluded), C -> B 1 s
    ("o4", "C", "c4", 5000),
    ("o1", "F", "f1", 110),    # F shares once only: removed by the pre-filter
    ("o5", "D", "d5", 1000),
    ("o5", "E", "e5", 1010),   # D and E co-share once each: dropped by min participation
    ("o6", "D", "d6", 7000),
    ("o7", "E", "e7", 9000),
    ("o8", "A", "a8", 8000),
    ("o8", "A", "a8b", 8005),  # self-share of the same object: loop, removed
    ("o9", "zed", "z9", 800),
    ("o9", "yan", "y9", 810),
    ("o9", "yan", "y9b", 820),  # zed -> yan twice from the same content z9
    ("o10", "zed", "z10", 900),
    ("o10", "yan", "y10", 905),
    ("o11", "A", "o11", 1100),  # the object itself (object_id = content_id): loop, removed
    ("o11", "B", "b11", 1105),
]


def test_hand_computed_pairs_and_edges():
    pairs, edges = assert_same_as_reference(HAND_ROWS, 60, 2)
    assert pairs == sorted([
        ("o1", "A", "B", "a1", "b1", 30.0),
        ("o2", "B", "A", "b2", "a2", 10.0),
        ("o3", "A", "C", "a3", "c3", 60.0),
        ("o3", "C", "B", "c3", "b3", 1.0),
        ("o9", "zed", "yan", "z9", "y9", 10.0),
        ("o9", "zed", "yan", "z9", "y9b", 20.0),
        ("o10", "zed", "yan", "z10", "y10", 5.0),
    ])
    assert set(edges) == {("A", "B"), ("A", "C"), ("B", "C"), ("yan", "zed")}
    ab = edges[("A", "B")]
    assert (ab["weight"], ab["avg_time_delta"], ab["edge_symmetry_score"]) == (2, 20.0, 1.0)
    assert (edges[("A", "C")]["weight"], edges[("A", "C")]["avg_time_delta"]) == (1, 60.0)
    assert (edges[("B", "C")]["weight"], edges[("B", "C")]["avg_time_delta"]) == (1, 1.0)
    # account ids are ordered, but n_content_id stays the older side's content (z9, z10)
    yz = edges[("yan", "zed")]
    assert yz["weight"] == 3
    assert yz["avg_time_delta"] == pytest.approx(35 / 3)
    assert (yz["n_content_id"], yz["n_content_id_y"]) == (2, 3)
    assert yz["edge_symmetry_score"] == pytest.approx(2 / 3)
    # edge_weight = 0.5: median of (2, 1, 1, 3) is 1.5, marked when weight > 1.5
    assert {k: v["weight_threshold"] for k, v in edges.items()} == {
        ("A", "B"): 1, ("A", "C"): 0, ("B", "C"): 0, ("yan", "zed"): 1,
    }


def test_window_boundary_is_inclusive():
    rows = [("o", "A", "a", 0), ("o", "B", "b", 10), ("o", "C", "c", 11),
            ("p", "A", "a2", 0), ("p", "B", "b2", 10), ("p", "C", "c2", 11)]
    pairs, _ = assert_same_as_reference(rows, 10, 2)
    got = {(p[1], p[2], p[5]) for p in pairs}
    assert ("A", "B", 10.0) in got          # exactly W: included
    assert ("A", "C", 11.0) not in got      # W + 1: excluded
    assert ("B", "C", 1.0) in got


def test_self_shares_are_removed():
    rows = [("o", "A", "a1", 0), ("o", "A", "a2", 1), ("o", "A", "a3", 2),
            ("p", "A", "a4", 0), ("p", "B", "b1", 3)]
    pairs, edges = assert_same_as_reference(rows, 60, 1)
    assert all(p[1] != p[2] for p in pairs)
    assert pairs == [("p", "A", "B", "a4", "b1", 3.0)]
    assert list(edges) == [("A", "B")]


def test_account_below_min_participation_is_dropped():
    # C takes part in a single coordinated share: with min_participation 2 both
    # sides of (A, C)'s only pair... A still qualifies, so the pair survives;
    # D and E only ever co-share once each, so their pair disappears.
    rows = [("o1", "A", "a1", 0), ("o1", "B", "b1", 5), ("o2", "A", "a2", 100), ("o2", "B", "b2", 104),
            ("o1", "C", "c1", 7), ("o9", "C", "c9", 5000),
            ("o3", "D", "d3", 300), ("o3", "E", "e3", 301), ("o4", "D", "d4", 9000), ("o5", "E", "e5", 20000)]
    pairs, edges = assert_same_as_reference(rows, 60, 2)
    accounts = {a for key in edges for a in key}
    assert "D" not in accounts and "E" not in accounts
    assert ("A", "C") in edges  # kept because A (content a1) qualifies: the filter is an OR
    # with min_participation 3, A and B keep their two shares each, C and D/E are dropped
    pairs3, edges3 = assert_same_as_reference(rows, 60, 3)
    assert pairs3 == []


def test_ties_follow_coortweet_row_order(tmp_path):
    # data.table groups the pre-filtered rows by account (first appearance), so
    # Q's rows come before P's: for equal timestamps Q is the "older" share.
    rows = [("o1", "Q", "q1", 100), ("o2", "P", "p1", 50), ("o2", "Q", "q2", 50), ("o1", "P", "p2", 100)]
    pairs, edges = assert_same_as_reference(rows, 0, 2)
    assert pairs == [("o1", "Q", "P", "q1", "p2", 0.0), ("o2", "Q", "P", "q2", "p1", 0.0)]
    assert edges[("P", "Q")]["weight"] == 2
    assert edges[("P", "Q")]["avg_time_delta"] == 0
    # the command orients ties by the order of the CSV's data rows too
    run_coordination(write_csv(tmp_path / "ties.csv", rows), 0, 2, tmp_path / "out")
    got = read_parquet(tmp_path / "out" / "pairs.parquet")
    assert [(p["object_id"], p["account_id"], p["content_id"]) for p in got] == [("o1", "Q", "q1"), ("o2", "Q", "q2")]


def test_duplicate_content_ids_follow_content_semantics():
    # content ids are not unique in real exports (russian_coord_tweets has 40 repeats)
    rows = [("o1", "A", "x", 0), ("o1", "B", "b1", 3), ("o2", "A", "x", 10), ("o2", "C", "c2", 12),
            ("o3", "B", "b3", 50), ("o3", "C", "c3", 55), ("o4", "D", "x", 70), ("o4", "B", "b4", 71)]
    for w in (0, 1, 3, 5, 60):
        for mp in (0, 1, 2, 3):
            assert_same_as_reference(rows, w, mp)


@pytest.mark.parametrize("seed", range(25))
def test_random_inputs_match_naive_reference(seed):
    rng = random.Random(seed)
    n_accounts = rng.randint(2, 12)
    n_objects = rng.randint(1, 6)
    rows = []
    for i in range(rng.randint(2, 60)):
        obj = f"o{rng.randrange(n_objects)}"
        content = f"c{i}" if rng.random() > 0.1 else f"c{rng.randrange(i + 1)}"
        if rng.random() < 0.05:
            content = obj
        rows.append((obj, f"u{rng.randrange(n_accounts)}", content, rng.randrange(0, 300)))
    if rng.random() < 0.3 and rows:
        rows.append(rows[rng.randrange(len(rows))])  # exact duplicate row
    assert_same_as_reference(rows, rng.choice([0, 1, 5, 10, 30, 60]), rng.choice([0, 1, 2, 3]))


def test_macro_without_row_order_is_deterministic():
    pairs_a, edges_a = run_sql(HAND_ROWS, 60, 2, row_order=False)
    pairs_b, edges_b = run_sql(list(reversed(HAND_ROWS)), 60, 2, row_order=False)
    assert edges_a == edges_b
    assert pairs_a == pairs_b
    _, ref_edges = coortweet_reference(HAND_ROWS, 60, 2)
    assert set(edges_a) == set(ref_edges)


def test_macro_uses_no_dbt_only_functions():
    text = co_share_macro_path().read_text()
    for forbidden in ("ref(", "source(", "adapter.", "config(", "var(", "this."):
        assert forbidden not in text
    macros = jinja2.Environment().from_string(text).module
    assert "with" in str(macros.co_share_pairs("t", 60, 2)).lower()
    assert co_share_macro_path() == ROOT / "dbt_project" / "macros" / "co_share.sql"


# --------------------------------------------------------------------------
# scale: viral objects must not be compared all-against-all


def viral_rows(n_shares, seed=7, span=86_400):
    rng = random.Random(seed)
    rows = [("viral", f"acc{i}", f"v{i}", rng.randrange(span)) for i in range(n_shares)]
    # every account also shares a second object, so everybody passes the pre-filter
    rows += [(f"other{i % 97}", f"acc{i}", f"w{i}", rng.randrange(span)) for i in range(n_shares)]
    return rows


def brute_force_viral_pairs(rows, time_window):
    ts_by_object = defaultdict(list)
    for obj, _, _, ts in rows:
        ts_by_object[obj].append(ts)
    count = 0
    for ts in ts_by_object.values():
        for i in range(len(ts)):
            for j in range(i + 1, len(ts)):
                if abs(ts[i] - ts[j]) <= time_window:
                    count += 1
    return count


def test_viral_object_small_variant_matches_brute_force():
    # min_participation 1: every pair within the window is coordinated, so the
    # count is the plain all-pairs count
    rows = viral_rows(1_500)
    pairs, _ = run_sql(rows, 60, 1)
    assert len(pairs) == brute_force_viral_pairs(rows, 60)
    # min_participation 2 refines the result: checked against the naive transcription
    assert_same_as_reference(rows[:400] + rows[1_500:1_900], 600, 2)


def test_viral_object_20k_shares_is_fast_and_bounded(tmp_path):
    rows = viral_rows(20_000)
    path = write_csv(tmp_path / "viral.csv", rows)
    started = time.perf_counter()
    counts = run_coordination(path, 60, 1, tmp_path / "out")
    elapsed = time.perf_counter() - started
    assert elapsed < 30, f"20k-share viral object took {elapsed:.1f}s"
    # exact expectation computed with a sort-and-sweep (not all pairs) in Python
    expected = 0
    by_object = defaultdict(list)
    for obj, _, _, ts in rows:
        by_object[obj].append(ts)
    for ts in by_object.values():
        ts.sort()
        lo = 0
        for hi in range(len(ts)):
            while ts[hi] - ts[lo] > 60:
                lo += 1
            expected += hi - lo
    assert counts["pairs"] == expected
    # all-against-all would be ~2e8 comparisons; the bucketed join looks at
    # shares in the same or the next 60-second bucket only
    candidates = candidate_comparisons(rows, 60)
    assert candidates < 2_000_000
    assert candidates < 0.01 * (20_000 * 19_999 // 2)


def candidate_comparisons(rows, time_window):
    """Rows produced by the macro's candidate join (cs_candidates), measured in DuckDB."""
    sql = str(coordination.load_macros().co_share_pairs("shares", time_window, 2, row_order="row_nr"))
    head, sep, _ = sql.partition("-- time window (inclusive) and the rest of do_remove_loops")
    assert sep, "macro layout changed: candidate CTE marker not found"
    probe = head.rstrip().rstrip(",") + "\nselect count(*) from cs_candidates"
    con = duckdb.connect()
    con.register("src", pa.table({
        "object_id": [r[0] for r in rows], "account_id": [r[1] for r in rows],
        "content_id": [r[2] for r in rows], "timestamp_share": [float(r[3]) for r in rows],
        "row_nr": list(range(1, len(rows) + 1)),
    }))
    con.execute("create table shares as select * from src")
    (count,) = con.execute(probe).fetchone()
    con.close()
    return count


# --------------------------------------------------------------------------
# bad inputs and the command line


def cli_args(**kwargs):
    parser = argparse.ArgumentParser()
    coordination.add_arguments(parser)
    argv = []
    for key, value in kwargs.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("object_id,account_id,timestamp_share\no,a,1\n", "content_id"),
        ("object_id,account_id,content_id,timestamp_share\no,a,c,1\no,b,d,soon\n", "line 3"),
        ("object_id,account_id,content_id,timestamp_share\no,a,c,\n", "timestamp_share"),
        ("object_id,account_id,content_id,timestamp_share\n", "no data rows"),
        ("object_id,account_id,content_id,timestamp_share\no,,c,1\n", "account_id"),
        ("object_id,account_id,content_id,timestamp_share\no,a,c,1,extra\n", "line 2"),
    ],
)
def test_bad_csv_raises_and_cli_returns_2(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CoordinationInputError) as info:
        run_coordination(path, 60, 2, tmp_path / "out")
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
    code = coordination.run(cli_args(input=path, time_window=60, min_participation=2, out=tmp_path / "out"))
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_non_numeric_timestamp_names_column_and_line(tmp_path):
    path = write_csv(tmp_path / "x.csv", [("o", "a", "c1", "1623881091"), ("o", "b", "c2", "2021-06-16")])
    with pytest.raises(CoordinationInputError, match=r"line 3: column timestamp_share"):
        run_coordination(path, 60, 2, tmp_path / "out")


HEADER_LINE = ",".join(HEADER) + "\n"


@pytest.mark.parametrize(
    "body, message",
    [
        # blank and whitespace-only lines are skipped but still counted
        ("o,a,c,1\n\n   \no, ,d,2\n", "line 5: column account_id is empty"),
        ("o,a,c,1\n\no,b,d,soon\n", "line 4: column timestamp_share is not a number of seconds: 'soon'"),
        ("o,a,c,1\no,b,d,inf\n", "line 3: column timestamp_share is not a number of seconds: 'inf'"),
        ("o,a,c,1\no,b,d,NaN\n", "line 3: column timestamp_share is not a number of seconds: 'NaN'"),
        ('o,a,c,1\no,b,d,""\n', "line 3: column timestamp_share is not a number of seconds: ''"),
        ("o,\u3000,c,1\n", "line 2: column account_id is empty"),
        # the first bad line is reported, whatever its problem
        ("o,,c,1\no,a,c,soon\n", "line 2: column account_id is empty"),
        ("o,a,c,soon\no,,c,1\n", "line 2: column timestamp_share"),
        ("o,a,c,1\no,a,c,soon,x\n", "line 3: expected 4 fields, found 5"),
        ('o,"a,c,1\no,b,d,2\n', "line 2: malformed CSV"),
    ],
)
def test_bad_lines_are_reported_with_their_line(tmp_path, body, message):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER_LINE + body, encoding="utf-8")
    with pytest.raises(CoordinationInputError, match=re.escape(message)):
        run_coordination(path, 60, 1, tmp_path / "out")


def test_blank_lines_bom_crlf_quotes_and_unicode_ids_are_read(tmp_path):
    path = tmp_path / "ok.csv"
    text = "\ufeff" + HEADER_LINE + '"o,1",Жанна,c1,100\n\n  \n"o,1",B,c2, 110 \no2,Жанна,c3,1e3\no2,B,c4,1010.5\n'
    path.write_text(text.replace("\n", "\r\n"), encoding="utf-8", newline="")
    counts = run_coordination(path, 60, 1, tmp_path / "out")
    assert (counts["pairs"], counts["edges"], counts["accounts"]) == (2, 1, 2)
    pairs = sorted((p["object_id"], p["account_id"], p["time_delta"]) for p in read_parquet(tmp_path / "out" / "pairs.parquet"))
    assert pairs == [("o,1", "Жанна", 10.0), ("o2", "Жанна", 10.5)]


def test_invalid_utf8_after_the_header_is_reported(tmp_path):
    path = tmp_path / "latin1.csv"
    rows = "".join(f"o{i},a{i},c{i},{i}\n" for i in range(2_000))  # past the header's read buffer
    path.write_bytes((HEADER_LINE + rows).encode() + b"o,caf\xe9,c,1\n")
    with pytest.raises(CoordinationInputError, match="line 2002: not UTF-8"):
        run_coordination(path, 60, 1, tmp_path / "out")


def test_blank_pattern_is_what_str_strip_removes():
    chars = [chr(c) for c in range(0x3100)]  # no whitespace above U+3000
    con = duckdb.connect()
    (matches,) = con.execute(
        "select list(regexp_full_match(c, $p)) from (select unnest($chars) as c)",
        {"p": coordination.BLANK_PATTERN, "chars": chars},
    ).fetchone()
    assert [ch for ch, blank in zip(chars, matches) if blank] == [ch for ch in chars if ch.isspace()]


def test_missing_file_and_bad_parameters(tmp_path):
    with pytest.raises(CoordinationInputError, match="not found"):
        run_coordination(tmp_path / "nope.csv", 60, 2, tmp_path / "out")
    path = write_csv(tmp_path / "ok.csv", HAND_ROWS)
    with pytest.raises(CoordinationInputError, match="time window"):
        run_coordination(path, -1, 2, tmp_path / "out")
    with pytest.raises(CoordinationInputError, match="min participation"):
        run_coordination(path, 60, -2, tmp_path / "out")


def test_cli_success_writes_outputs(tmp_path, capsys):
    path = write_csv(tmp_path / "shares.csv", HAND_ROWS)
    out = tmp_path / "out"
    assert coordination.run(cli_args(input=path, time_window=60, min_participation=2, out=out)) == 0
    printed = capsys.readouterr().out
    assert "7 coordinated share pairs" in printed and "4 edges" in printed
    edges = read_parquet(out / "edges.parquet")
    assert [(e["account_id"], e["account_id_y"], e["weight"]) for e in edges] == [
        ("A", "B", 2), ("A", "C", 1), ("B", "C", 1), ("yan", "zed", 3),
    ]
    assert len(read_parquet(out / "pairs.parquet")) == 7


def test_extra_columns_and_column_order_are_accepted(tmp_path):
    header = ["timestamp_share", "note", "content_id", "account_id", "object_id"]
    rows = [(t, "x", c, a, o) for o, a, c, t in HAND_ROWS]
    path = write_csv(tmp_path / "shuffled.csv", rows, header=header)
    counts = run_coordination(path, 60, 2, tmp_path / "out")
    assert (counts["pairs"], counts["edges"], counts["accounts"]) == (7, 4, 5)


# --------------------------------------------------------------------------
# over-full buckets: a bound on the pairs, reported, exact below it


def over_full_rows(n_accounts=300, seed=5):
    """n_accounts share 'viral' within 30 s (one bucket), each also shares one other object
    at a quiet time; 'calm' is shared by 5 accounts: under any cap."""
    rng = random.Random(seed)
    start = 20 * 60.06 + 1  # inside bucket 20 of a 60 s window (bucket width 60.06)
    rows = [("viral", f"acc{i}", f"v{i}", start + rng.random() * 30) for i in range(n_accounts)]
    rows += [(f"other{i % 37}", f"acc{i}", f"w{i}", 10_000 + 1_000 * i) for i in range(n_accounts)]
    rows += [("calm", f"acc{i}", f"c{i}", 50_000 + i) for i in range(5)]
    return rows


def pair_set(out: Path) -> set:
    return {(r["object_id"], r["content_id"], r["content_id_y"]) for r in read_parquet(out / "pairs.parquet")}


def test_over_full_buckets_are_sampled_and_listed(tmp_path):
    path = write_csv(tmp_path / "viral.csv", over_full_rows())
    exact = run_coordination(path, 60, 1, tmp_path / "exact", max_bucket_shares=0)
    assert exact["pairs"] == 300 * 299 // 2 + 5 * 4 // 2 and exact["capped_buckets"] == 0
    capped = run_coordination(path, 60, 1, tmp_path / "capped", max_bucket_shares=100)
    assert capped["capped_buckets"] == 1
    assert read_parquet(tmp_path / "capped" / "capped_objects.parquet") == [
        {"object_id": "viral", "bucket_start": pytest.approx(20 * 60.06), "n_shares": 300, "n_kept": 100}]
    kept = pair_set(tmp_path / "capped")
    # 100 of the 300 shares, all pairs among them (within 30 s); untouched objects keep every pair
    assert len({c for o, a, b in kept if o == "viral" for c in (a, b)}) == 100
    assert len([p for p in kept if p[0] == "viral"]) == 100 * 99 // 2
    assert {p for p in kept if p[0] != "viral"} == {p for p in pair_set(tmp_path / "exact") if p[0] != "viral"}
    assert kept < pair_set(tmp_path / "exact")
    # at or above the bucket's size, the cap changes nothing and leaves no list behind
    same = run_coordination(path, 60, 1, tmp_path / "capped", max_bucket_shares=300)
    assert same["capped_buckets"] == 0 and not (tmp_path / "capped" / "capped_objects.parquet").exists()
    assert pair_set(tmp_path / "capped") == pair_set(tmp_path / "exact")


def test_the_cap_samples_the_same_accounts_on_every_object(tmp_path):
    rows = over_full_rows(200)
    rows += [("viral2", a, c + "_2", ts + 100 * 60.06) for o, a, c, ts in rows if o == "viral"]  # same offset in its bucket
    path = write_csv(tmp_path / "two.csv", rows)
    run_coordination(path, 60, 1, tmp_path / "out", max_bucket_shares=50)
    accounts = defaultdict(set)
    for r in read_parquet(tmp_path / "out" / "pairs.parquet"):
        accounts[r["object_id"]] |= {r["account_id"], r["account_id_y"]}
    assert len(accounts["viral"]) == 50 and accounts["viral"] == accounts["viral2"]


def test_cli_warns_when_it_samples(tmp_path, capsys):
    path = write_csv(tmp_path / "viral.csv", over_full_rows())
    assert coordination.main(["--input", str(path), "--time-window", "60", "--min-participation", "1",
                              "--out", str(tmp_path / "o"), "--max-shares-per-window", "100"]) == 0
    err = capsys.readouterr().err
    assert "1 object time bucket(s) had more than 100 shares" in err and "capped_objects.parquet" in err
    assert coordination.main(["--input", str(path), "--time-window", "60", "--min-participation", "1",
                              "--out", str(tmp_path / "o"), "--max-shares-per-window", "-1"]) == 2


def test_timestamps_beyond_year_9999_are_refused_with_their_line(tmp_path):
    path = write_csv(tmp_path / "far.csv", [("o1", "a", "c1", 10), ("o1", "b", "c2", "1e20")])
    with pytest.raises(CoordinationInputError, match=r"line 3: column timestamp_share is out of range: '1e20'"):
        run_coordination(path, 10, 1, tmp_path / "out")


def test_a_pair_at_the_window_edge_survives_rounding():
    # 2.0 - 0.9999999999999999 is exactly 1.0 in floating point: inside a 1 s window, as in R
    rows = [("o", "A", "a", 0.9999999999999999), ("o", "B", "b", 2.0)]
    pairs, _ = assert_same_as_reference(rows, 1, 1)
    assert len(pairs) == 1
