"""detect_networks on small hand-built warehouses: what the documented definitions promise.

Each warehouse holds only the tables detection reads (marts.actors, marts.actor_edges,
staging.stg_events, the window's event / session logs); the coordination graph (metrics, pairs)
is given directly.
"""
from datetime import date, datetime, timedelta

import duckdb
import polars as pl
import pytest

from graph_jobs.networks import DetectionParams, detect_networks, network_id_for

W0, W1 = date(2026, 10, 28), date(2026, 11, 3)  # a 7-day window ...
LOGS0 = datetime(2026, 11, 1)  # ... whose logs begin on its fifth day
OLD = datetime(2024, 1, 1)


def warehouse(actors: dict, edges=(), posts=(), log_times=(LOGS0,)) -> duckdb.DuckDBPyConnection:
    """actors: key -> (created_at, first_active_at); edges: (src, dst, type[, evidence]); posts: (key, text, tags)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA staging; CREATE SCHEMA intermediate")
    con.execute("""CREATE TABLE marts.actors (actor_key VARCHAR, created_at TIMESTAMP, first_active_at TIMESTAMP,
        account_age_days DOUBLE, sync_share_ratio DOUBLE, hosting_login_share DOUBLE, n_cib_enforcement_actions BIGINT,
        is_indicator_account BOOLEAN, n_indicator_domain_hits BIGINT, n_indicator_hashtag_hits BIGINT, n_indicator_sound_hits BIGINT)""")
    for k, (created, first) in actors.items():
        con.execute("INSERT INTO marts.actors VALUES (?, ?, ?, 500, 0, 0, 0, false, 0, 0, 0)", [k, created, first])
    con.execute("""CREATE TABLE marts.actor_edges (src_actor_key VARCHAR, dst_actor_key VARCHAR, edge_type VARCHAR,
        weight DOUBLE, evidence_count BIGINT, first_seen TIMESTAMP, last_seen TIMESTAMP)""")
    for e in edges:
        con.execute("INSERT INTO marts.actor_edges VALUES (?, ?, ?, 1.0, ?, ?, ?)",
                    [e[0], e[1], e[2], e[3] if len(e) > 3 else 1, LOGS0, LOGS0 + timedelta(days=1)])
    con.execute("""CREATE TABLE staging.stg_events (event_id VARCHAR, event_time TIMESTAMP, actor_key VARCHAR,
        event_type VARCHAR, video_id VARCHAR, text VARCHAR, hashtags VARCHAR[])""")
    for i, (k, text, tags) in enumerate(posts):
        con.execute("INSERT INTO staging.stg_events VALUES (?, ?, ?, 'post', ?, ?, ?)",
                    [f"e{i}", LOGS0 + timedelta(hours=2, minutes=i), k, f"v{i}", text, list(tags)])
    con.execute("CREATE TABLE intermediate.int_events_window AS SELECT event_time, actor_key FROM staging.stg_events")
    con.execute("CREATE TABLE intermediate.int_sessions_window (event_time TIMESTAMP, actor_key VARCHAR)")
    for t in log_times:
        con.execute("INSERT INTO intermediate.int_sessions_window VALUES (?, 'someone')", [t])
    return con


def graph(members: list[str], pairs: list[tuple[str, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """metrics (one connected component, one community) and pairs as graph_jobs hands them over."""
    metrics = pl.DataFrame({"id": members, "component": [0] * len(members), "community": [0] * len(members),
                            "pagerank": [0.1] * len(members), "degree": [1.0] * len(members),
                            "bad_actor_distance": [None] * len(members)},
                           schema={"id": pl.Utf8, "component": pl.Int64, "community": pl.Int64, "pagerank": pl.Float64,
                                   "degree": pl.Float64, "bad_actor_distance": pl.Float64})
    p = pl.DataFrame([(min(u, v), max(u, v)) for u, v in pairs], schema=[("src", pl.Utf8), ("dst", pl.Utf8)], orient="row")
    return metrics, p


def clique(ms):
    return [(a, b) for i, a in enumerate(ms) for b in ms[i + 1:]]


# 1. dormant_activation ----------------------------------------------------------------------------

def test_dormant_activation_counts_from_the_first_day_with_logs_not_an_account_creation():
    # established fans active from the first day of the logs; one unrelated account was created in
    # the window two days before the logs begin (its creation is its first "activity")
    fans = [f"a_{i}" for i in range(4)]
    actors = {k: (OLD, LOGS0 + timedelta(hours=3)) for k in fans} | {"a_new": (datetime(2026, 10, 29, 12), datetime(2026, 10, 29, 12))}
    metrics, pairs = graph(fans, clique(fans))
    con = warehouse(actors, [(u, v, "co_share", 3) for u, v in clique(fans)])
    net = detect_networks(con, metrics, pairs, W0, W1).networks.row(0, named=True)
    assert "dormant_activation" not in net["signals"]
    assert net["same_day_activation_share"] == 0.0


def test_dormant_activation_still_fires_on_accounts_silent_for_days_of_logs():
    fans = [f"a_{i}" for i in range(4)]
    actors = {k: (OLD, datetime(2026, 11, 2, 9)) for k in fans}  # silent on the first 4 days of logs
    metrics, pairs = graph(fans, clique(fans))
    con = warehouse(actors, [(u, v, "co_share", 3) for u, v in clique(fans)], log_times=[datetime(2026, 10, 28, 0, 5)])
    net = detect_networks(con, metrics, pairs, W0, W1).networks.row(0, named=True)
    assert net["same_day_activation_share"] == 1.0 and "dormant_activation" in net["signals"]


# 2. roles count distinct members ------------------------------------------------------------------

def test_household_members_count_each_other_once():
    home = ["h_1", "h_2", "h_3"]
    edges = [(u, v, t) for u, v in clique(home) for t in ("shared_device", "shared_ip_prefix")]
    edges += [("h_1", "h_3", "share"), ("h_1", "h_3", "repost"),  # h_1 shares and reposts h_3's video
              ("h_2", "h_1", "share")]
    metrics, pairs = graph(home, clique(home))
    con = warehouse({k: (OLD, LOGS0) for k in home}, edges)
    members = {r["actor_key"]: r for r in detect_networks(con, metrics, pairs, W0, W1).members.iter_rows(named=True)}
    assert {k: m["infrastructure_degree"] for k, m in members.items()} == {"h_1": 2, "h_2": 2, "h_3": 2}
    assert all(m["role"] != "infrastructure_hub" for m in members.values())
    assert members["h_3"]["amplified_by_members"] == 1 and members["h_1"]["amplifies_members"] == 1
    assert members["h_1"]["amplified_by_members"] == 1
    # one other member sharing its video (twice over) makes h_3 no seeder
    assert members["h_3"]["role"] == "amplifier"


# 3. published networks are connected --------------------------------------------------------------

def test_a_core_falling_apart_becomes_separate_networks():
    a = [f"a_{i}" for i in range(5)]
    b = [f"b_{i}" for i in range(5)]
    # two cliques held together only by x (two ties): the 3-core drops x and falls apart
    pairs_list = clique(a) + clique(b) + [("a_0", "x"), ("x", "b_0")]
    members = a + b + ["x"]
    metrics, pairs = graph(members, pairs_list)
    con = warehouse({k: (OLD, LOGS0) for k in members}, [(u, v, "co_text", 2) for u, v in pairs_list])
    result = detect_networks(con, metrics, pairs, W0, W1, DetectionParams(min_member_links=3))
    groups = sorted(sorted(g) for g in result.members.group_by("network_id").agg("actor_key")["actor_key"].to_list())
    assert groups == [a, b]
    assert sorted(result.networks["network_id"].to_list()) == sorted([network_id_for(a), network_id_for(b)])
    assert set(result.networks["n_edges"].to_list()) == {10} and set(result.networks["density"].to_list()) == {1.0}


# 4. civic vocabulary as whole words ---------------------------------------------------------------

def test_civic_share_matches_whole_words_only():
    ms = ["c_1", "c_2", "c_3"]
    posts = [("c_1", "pollen season is here", []), ("c_2", "new ad campaign drop", ["devoted"]),
             ("c_3", "booked the presidential suite", []),
             ("c_1", "mail-in ballots are being thrown away", ["WakeUpVoters"]), ("c_2", "ok", ["election2026"]),
             ("c_3", "the campaign rally downtown", [])]
    metrics, pairs = graph(ms, clique(ms))
    con = warehouse({k: (OLD, LOGS0) for k in ms}, [(u, v, "co_text", 2) for u, v in clique(ms)], posts)
    net = detect_networks(con, metrics, pairs, W0, W1).networks.row(0, named=True)
    assert net["civic_content_share"] == pytest.approx(0.5)  # the last three posts


# 5. precision with nothing flagged ----------------------------------------------------------------

def test_precision_is_undefined_when_nothing_is_flagged():
    from evaluation.quality import format_table, score

    ops = [{"operation_id": "op1", "members": ["a", "b"]}]
    none = score("quiet", set(), ops, [])
    assert none.precision is None and none.flagged == 0 and none.recall == 0.0
    some = score("busy", {"a", "z"}, ops, [])
    assert some.precision == 0.5
    table = format_table([("1", none), ("1", some)])
    assert "| 1 | quiet | 0 | n/a | 0.000 |" in table and "| 1 | busy | 2 | 0.500 |" in table
    # summaries average the runs where precision is defined
    from evaluation.quality import mean_defined

    assert mean_defined([none.precision, some.precision]) == 0.5
    assert mean_defined([None, None]) is None


def test_evaluate_table_means_skip_seeds_where_precision_is_undefined():
    from evaluation.quality import format_table, score

    ops = [{"operation_id": "op1", "members": ["a", "b"]}]
    quiet, busy = score("ours", set(), ops, []), score("ours", {"a", "z"}, ops, [])
    table = format_table([("1", quiet), ("2", busy)])
    assert "| mean | ours | 1.0 | 0.500 | 0.250 |" in table  # precision of seed 2 alone; recall of both
    assert "| mean |" not in format_table([("1", busy)])
    empty = score("ours", {"a"}, ops + [{"operation_id": "op2", "members": []}], [])  # an operation without members
    assert empty.per_operation["op1"] == 0.5 and empty.per_operation["op2"] != empty.per_operation["op2"]  # NaN, no crash
