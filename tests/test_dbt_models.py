"""dbt models (dbt_project/): build them on a small planted bronze warehouse and check real values.

The fixture writes bronze tables with the ingest's own DDL (orchestration.warehouse.ensure_bronze)
and plants one case per edge family; `dbt build` (models + data tests) runs once per module.
"""
from __future__ import annotations

import math
import os
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from orchestration.warehouse import ensure_bronze

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DAY1, DAY2 = "2026-11-02", "2026-11-03"  # window_end defaults to the latest dt: DAY2
OLD = "2025-01-01 00:00:00"
T_SHARE = datetime(2026, 11, 3, 10, 0, 0)
T_VIRAL = datetime(2026, 11, 3, 12, 0, 0)  # a whole minute: each burst of 300 viral shares falls in one 60 s bucket
T_BURST = datetime(2026, 11, 2, 9, 0, 0)
N_VIRAL, N_NAT, CAP = 300, 100, 50  # CAP: max_pairs_per_object for this build
MAX_TIES, MAX_PROMO = 4, 3  # follow_ring_max_ties and co_promotion_max_accounts for this build
N_SPAMMERS, SPAM_REPEATS, MAX_REPEATS = 4, 10, 3  # max_repeats_per_account (the project's default)
T_SPAM = datetime(2026, 11, 3, 16, 0, 0)

COPY_PASTA = [
    ("a_c1", datetime(2026, 11, 3, 14, 10), "Vote for Candidate X!!! The election is RIGGED, share before they delete it http://news.evil.example.com/a @a_p1"),
    ("a_c2", datetime(2026, 11, 3, 14, 40), "vote for candidate x... the election is rigged share before they delete it 🇺🇸🇺🇸"),
    ("a_c3", datetime(2026, 11, 3, 19, 30), "Vote for candidate X, the election is rigged, share before they delete it"),
]

COPY_PASTA_ACROSS_BUCKETS = [("a_c6", datetime(2026, 11, 3, 15, 50)), ("a_c7", datetime(2026, 11, 3, 16, 10))]


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def _account(con, key, created_at, shape="a9", change_type="snapshot", event_time=None, avatar=None, dt=DAY1, country="US"):
    con.execute(
        "insert into bronze.accounts values (?, 'accounts/f.jsonl', 1, ?, ?, ?, ?, 'u_' || ?, 9, 4, ?, null, null,"
        " 'mail.example', ?, 'en', false, null, null, null, ?)",
        [dt, key, event_time or created_at, change_type, created_at, key, shape, country, avatar],
    )


def _event(con, event_id, t, actor, etype, video=None, target=None, text=None, hashtags=(), mentions=(), urls=(), sound=None, dt=DAY2):
    con.execute(
        "insert into bronze.events values (?, 'events/f.jsonl', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null, 'US')",
        [dt, event_id, t, actor, etype, video, target, text, list(hashtags), list(mentions), list(urls), sound],
    )


def _session(con, session_id, t, actor, prefix, device, asn=3320, success=True):
    con.execute(
        "insert into bronze.sessions values (?, 'sessions/f.jsonl', 1, ?, ?, ?, 'ip_' || ?, ?, 4, ?, 'DE', ?, 'ua', 'password', ?)",
        [DAY2, session_id, t, actor, session_id, prefix, asn, device, success],
    )


def build_bronze(path: Path) -> None:
    con = duckdb.connect(str(path))
    ensure_bronze(con)
    base = ["a_s1", "a_s2", "a_s3", "a_s4", "a_p1", "a_p2", "a_p3", "a_f1", "a_h1", "a_h2", "a_c1", "a_c2", "a_c3", "a_c4", "a_c5",
            "a_c6", "a_c7"] + [f"a_q{i}" for i in range(N_SPAMMERS)]
    for key in base:
        _account(con, key, OLD)
    # the 300 viral sharers and the 100 accounts behind a carrier NAT, in bulk: copies of a_s1
    for prefix, n in (("a_v", N_VIRAL), ("a_n", N_NAT)):
        con.execute(f"""insert into bronze.accounts select a.* replace ('{prefix}' || lpad(i::varchar, 3, '0') as actor_key)
                        from bronze.accounts a, range({n}) r(i) where actor_key = 'a_s1'""")
    # creation burst: four accounts with shape a_9 created 30 s apart; one lone a_9 three hours
    # later and one other shape in the middle of the burst make no edge
    for i in range(4):
        _account(con, f"a_b{i}", T_BURST + timedelta(seconds=30 * i), shape="a_9", change_type="created",
                 avatar="ffff000011112222" if i < 2 else None)
    _account(con, "a_blone", T_BURST + timedelta(hours=3), shape="a_9", change_type="created")
    _account(con, "a_bother", T_BURST + timedelta(seconds=10), shape="a.a", change_type="created")
    # a deleted account: snapshot then deletion record (the deletion carries no country)
    _account(con, "a_del", OLD, country="FR")
    _account(con, "a_del", OLD, change_type="deleted", event_time="2026-11-02 08:00:00", country=None)

    # co_share: three accounts share video vA within 9 s and vB within 8 s (CooRTweet
    # min_participation 2); a_s4 shares vA two hours later -> no edge with them
    for j, (video, t0) in enumerate([("vA", T_SHARE), ("vB", T_SHARE + timedelta(minutes=30))]):
        for k, (actor, dsec) in enumerate([("a_s1", 0), ("a_s2", 4), ("a_s3", 9)]):
            _event(con, f"e_sh{j}{k}", t0 + timedelta(seconds=dsec), actor, "share", video=video, target="a_owner")
    _event(con, "e_s4a", T_SHARE + timedelta(hours=2), "a_s4", "share", video="vA", target="a_owner")
    # a few accounts sharing one video over and over within one minute: pairs are share by share,
    # so only each account's first MAX_REPEATS shares of it in the bucket are paired
    for i in range(N_SPAMMERS):
        for k in range(SPAM_REPEATS):
            _event(con, f"e_rep{i}_{k}", T_SPAM + timedelta(seconds=k * 5 + i), f"a_q{i}", "repost", video="vSpam", target="a_owner")
    _event(con, "e_s4b", T_SHARE + timedelta(hours=3), "a_s4", "repost", video="vC", target="a_owner")
    # the same event re-delivered in two partitions counts once
    _event(con, "e_dup", T_SHARE - timedelta(hours=5), "a_s4", "like", video="vC", target="a_owner", dt=DAY1)
    _event(con, "e_dup", T_SHARE - timedelta(hours=5), "a_s4", "like", video="vC", target="a_owner", dt=DAY2)
    # two viral videos, each shared by the same 300 accounts within 45 s (one time bucket):
    # each bucket is sampled down to CAP accounts instead of 300 * 299 / 2 pairs
    _event(con, "e_vir_template", T_VIRAL, "a_v000", "share", video="vViral0", target="a_owner")
    con.execute(f"""insert into bronze.events select e.* replace (
                        'e_vir' || j || '_' || i as event_id,
                        event_time + j * interval 1 hour + i * interval 150 millisecond as event_time,
                        'a_v' || lpad(i::varchar, 3, '0') as actor_key, 'vViral' || j as video_id)
                    from bronze.events e, range({N_VIRAL}) r(i), range(2) s(j) where event_id = 'e_vir_template'""")
    con.execute("delete from bronze.events where event_id = 'e_vir_template'")

    # shared device d_1 (p1, p2; p3's failed login does not count) and a small shared prefix
    t = datetime(2026, 11, 3, 8, 0)
    _session(con, "s_p1a", t, "a_p1", "192.0.2.0/24", "d_1", asn=16509)
    _session(con, "s_p1b", t + timedelta(hours=1), "a_p1", "198.51.100.0/24", "d_9", asn=3320)
    _session(con, "s_p2", t + timedelta(hours=2), "a_p2", "192.0.2.0/24", "d_1", asn=16509)
    _session(con, "s_p3", t + timedelta(hours=3), "a_p3", "203.0.113.0/24", "d_1", success=False)
    # carrier NAT: 100 accounts behind one prefix -> no shared_ip_prefix pairs
    _session(con, "s_n_template", t, "a_n000", "100.64.0.0/24", "d_n")
    con.execute(f"""insert into bronze.sessions select x.* replace (
                        's_n' || i as session_id, event_time + i * interval 1 minute as event_time,
                        'a_n' || lpad(i::varchar, 3, '0') as actor_key, 'd_n' || i as device_key)
                    from bronze.sessions x, range({N_NAT}) r(i) where session_id = 's_n_template'""")
    con.execute("delete from bronze.sessions where session_id = 's_n_template'")

    # near-duplicate comments: c1 and c2 30 minutes apart -> co_text; c3 five hours later -> none
    for n, (actor, when, text) in enumerate(COPY_PASTA):
        _event(con, f"e_txt{n}", when, actor, "comment", video="vA", target="a_owner", text=text,
               urls=["http://news.evil.example.com/a"] if n == 0 else [], mentions=["a_p1"] if n == 0 else [])
    # and a pair 20 minutes apart on either side of a bucket boundary (co_text buckets are 1 h wide)
    for actor, when in COPY_PASTA_ACROSS_BUCKETS:
        _event(con, f"e_txt_{actor}", when, actor, "comment", video="vB", target="a_owner",
               text="Polling stations in the north district close early today, tell everyone you know")
    _event(con, "e_lol1", datetime(2026, 11, 3, 14, 11), "a_c4", "comment", video="vA", target="a_owner", text="lol")
    _event(con, "e_lol2", datetime(2026, 11, 3, 14, 12), "a_c5", "comment", video="vA", target="a_owner", text="LOL!!")

    # the same rare hashtag combination and sound 20 s apart -> co_hashtag and co_sound
    th = datetime(2026, 11, 3, 16, 0)
    _event(con, "e_h1", th, "a_h1", "post", video="vH1", text="look", hashtags=["Election2026", "StopTheSteal"], sound="snd1")
    _event(con, "e_h2", th + timedelta(seconds=20), "a_h2", "post", video="vH2", text="see", hashtags=["#stopthesteal", "election2026"], sound="snd1")

    # follow ring: r1 -> r2 -> r3 -> r1 and r4 -> r1, r4 -> r2 (two triangles on r1-r2); r1, r2 and r3
    # also follow a_star, whom two viral sharers follow too: with 5 ties a_star is over MAX_TIES and
    # closes no triangle
    for key in ("a_r1", "a_r2", "a_r3", "a_r4"):
        _account(con, key, OLD)
    for n, (src, dst) in enumerate([("a_r1", "a_r2"), ("a_r2", "a_r3"), ("a_r3", "a_r1"), ("a_r4", "a_r1"), ("a_r4", "a_r2"),
                                    ("a_r1", "a_star"), ("a_r2", "a_star"), ("a_r3", "a_star"), ("a_v000", "a_star"), ("a_v001", "a_star")]):
        _event(con, f"e_ring{n}", datetime(2026, 11, 2, 8, 0) + timedelta(hours=n), src, "follow", target=dst, dt=DAY1 if n < 5 else DAY2)

    # co-promotion with no time constraint: m1 and m2 push the rare tag, link domain and sound
    # in two posts each, a day apart; m5 uses the sound once; m3 and m4 repeat a combination of
    # everyday tags (fyp and funny: 4 accounts each, over MAX_PROMO) -> no pair
    for day, (d, dt) in enumerate([(datetime(2026, 11, 2, 9, 0), DAY1), (datetime(2026, 11, 3, 21, 0), DAY2)]):
        for k, actor_key in enumerate(("a_m1", "a_m2")):
            _event(con, f"e_pro{day}{k}", d + timedelta(hours=k), actor_key, "post", video=f"vP{day}{k}", text="look",
                   hashtags=["RareCause", "fyp", "funny"], urls=[f"https://www.rare-news.example/{day}{k}"], sound="snd_rare", dt=dt)
        for k, actor_key in enumerate(("a_m3", "a_m4")):
            _event(con, f"e_fun{day}{k}", d + timedelta(hours=3 + k), actor_key, "post", video=f"vF{day}{k}", text="lol",
                   hashtags=["FYP", "funny"], dt=dt)
    _event(con, "e_pro_m5", datetime(2026, 11, 3, 4, 0), "a_m5", "post", video="vP5", text="tune", sound="snd_rare")

    # interactions: a follow of an actor without account record
    _event(con, "e_f1", datetime(2026, 11, 3, 7, 0), "a_f1", "follow", target="a_ghost")
    _event(con, "e_f2", datetime(2026, 11, 3, 7, 5), "a_f1", "follow", target="a_p1")

    con.execute(
        "insert into bronze.enforcement values (?, 'enforcement/f.jsonl', 1, 'x1', '2026-11-02 12:00:00', 'a_s1', 'ban',"
        " 'coordinated_inauthentic_behavior', 'investigation', 'op-test'),"
        " (?, 'enforcement/f.jsonl', 2, 'x2', '2026-11-02 13:00:00', 'a_s1', 'warn', 'spam', 'automated', null)",
        [DAY1, DAY1],
    )
    con.execute(
        "insert into bronze.indicators values ('reference/indicators.jsonl', 1, 'domain', 'Example.com', 'op', 'vendor', 0.9, null),"
        " ('reference/indicators.jsonl', 2, 'hashtag', '#StopTheSteal', 'op', 'vendor', 0.8, null),"
        " ('reference/indicators.jsonl', 3, 'account_id', 'a_s2', 'op', 'vendor', 0.7, null)"
    )
    con.close()


def run_dbt(tmp: Path, db: Path, *args: str):
    old = os.environ.get("THREATGRAPH_WAREHOUSE_DB")
    os.environ["THREATGRAPH_WAREHOUSE_DB"] = str(db)
    try:
        return dbtRunner().invoke([
            *args,
            "--project-dir", str(PROJECT_DIR),
            "--profiles-dir", str(PROJECT_DIR),
            "--target-path", str(tmp / "target"),
            "--log-path", str(tmp / "logs"),
        ])
    finally:
        if old is None:
            os.environ.pop("THREATGRAPH_WAREHOUSE_DB", None)
        else:
            os.environ["THREATGRAPH_WAREHOUSE_DB"] = old


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt")
    db = tmp / "warehouse.duckdb"
    build_bronze(db)
    res = run_dbt(tmp, db, "build", "--vars",
                  f"{{max_pairs_per_object: {CAP}, follow_ring_max_ties: {MAX_TIES}, co_promotion_max_accounts: {MAX_PROMO}}}")
    assert res.success, [(r.node.name, r.status, r.message) for r in (res.result or []) if r.status not in ("pass", "success")]
    return tmp, db


@pytest.fixture(scope="module")
def con(warehouse):
    # dbt-duckdb keeps its connection open in this process: open the file with the same (default) config
    c = duckdb.connect(str(warehouse[1]))
    yield c
    c.close()


def edges(con, edge_type):
    return {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            "select src_actor_key, dst_actor_key, weight, evidence_count, first_seen, last_seen"
            " from marts.actor_edges where edge_type = ?", [edge_type]).fetchall()
    }


def actor(con, key):
    cur = con.execute("select * from marts.actors where actor_key = ?", [key])
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    return dict(zip(cols, row)) if row else None


def test_window_defaults_to_latest_partition(con):
    assert con.execute("select distinct window_start, window_end from marts.actor_edges").fetchall() == [
        (datetime(2026, 10, 28).date(), datetime(2026, 11, 3).date())
    ]


def test_co_share_trio(con):
    cs = edges(con, "co_share")
    trio = {k: v for k, v in cs.items() if not k[0].startswith(("a_v", "a_q"))}
    assert set(trio) == {("a_s1", "a_s2"), ("a_s1", "a_s3"), ("a_s2", "a_s3")}
    weight, evidence, first, last = trio[("a_s1", "a_s3")]
    # vA: 4 accounts shared it (a_s4 late), vB: 3 accounts
    assert weight == pytest.approx(1 / math.log(5) + 1 / math.log(4))
    assert evidence == 2
    assert first == T_SHARE and last == T_SHARE + timedelta(minutes=30, seconds=9)
    assert actor(con, "a_s1")["sync_share_ratio"] == 1.0
    assert actor(con, "a_s4")["sync_share_ratio"] == 0.0
    assert actor(con, "a_s4")["n_share_actions"] == 2


def test_viral_video_is_capped(con):
    sampled = dict(con.execute(
        "select object_id, count(distinct account_id) from intermediate.int_co_share_input"
        " where object_id like 'video:vViral%' group by object_id").fetchall())
    assert sampled == {"video:vViral0": CAP, "video:vViral1": CAP}
    # the same CAP accounts are kept on both videos (sampling by hash(actor_key)): their pairs
    # keep both pieces of evidence; 300 * 299 / 2 pairs without the cap
    viral = {k: v for k, v in edges(con, "co_share").items() if k[0].startswith("a_v")}
    assert len({a for k in viral for a in k}) == CAP
    assert len(viral) == CAP * (CAP - 1) // 2
    for weight, evidence, first, last in viral.values():
        assert weight == pytest.approx(2 / math.log(1 + N_VIRAL))
        assert evidence == 2
    n_spam_edges = N_SPAMMERS * (N_SPAMMERS - 1) // 2
    assert con.execute("select n_capped_objects, n_edges from marts.edge_pair_counts where edge_type = 'co_share'").fetchone() == (
        3, 3 + len(viral) + n_spam_edges)
    # every viral sharer still counts as synchronised in its actor row
    assert actor(con, "a_v299")["sync_share_ratio"] == 1.0


def test_repeated_shares_of_one_account_are_capped(con):
    spam = {k: v for k, v in edges(con, "co_share").items() if k[0].startswith("a_q")}
    assert len(spam) == N_SPAMMERS * (N_SPAMMERS - 1) // 2
    # each account's first MAX_REPEATS reposts (0-10 s in): MAX_REPEATS^2 share pairs per account pair,
    # not SPAM_REPEATS^2
    assert {evidence for _, evidence, _, _ in spam.values()} == {MAX_REPEATS * MAX_REPEATS}
    assert max(last for _, _, _, last in spam.values()) <= T_SPAM + timedelta(seconds=(MAX_REPEATS - 1) * 5 + N_SPAMMERS)
    assert con.execute("select cap_reason from intermediate.int_capped_objects where object_id = 'video:vSpam'").fetchall() == [
        ("repeats_sampled",)]
    assert actor(con, "a_q0")["n_share_actions"] == SPAM_REPEATS  # the actor row still counts every share


def test_shared_device_and_prefix(con):
    dev = edges(con, "shared_device")
    assert set(dev) == {("a_p1", "a_p2")}
    assert dev[("a_p1", "a_p2")][0] == pytest.approx(1 / math.log(3))
    assert set(edges(con, "shared_ip_prefix")) == {("a_p1", "a_p2")}
    p1 = actor(con, "a_p1")
    assert (p1["n_devices"], p1["n_ip_prefixes"], p1["n_asns"]) == (2, 2, 2)
    assert p1["hosting_login_share"] == 0.5
    assert p1["n_accounts_sharing_devices"] == 1
    assert actor(con, "a_p3")["n_accounts_sharing_devices"] == 0  # failed login only


def test_carrier_nat_prefix_makes_no_pairs(con):
    nat = [k for k in edges(con, "shared_ip_prefix") if k[0].startswith("a_n")]
    assert nat == []
    assert actor(con, "a_n000")["n_accounts_sharing_ip_prefixes"] == N_NAT - 1
    assert con.execute("select n_capped_objects from marts.edge_pair_counts where edge_type = 'shared_ip_prefix'").fetchone()[0] == 1


def test_near_duplicate_comments(con):
    txt = edges(con, "co_text")
    assert set(txt) == {("a_c1", "a_c2"), ("a_c6", "a_c7")}  # same time bucket, and adjacent buckets
    weight, evidence, first, last = txt[("a_c1", "a_c2")]
    assert evidence == 1 and 0 < weight <= 1
    assert (first, last) == (COPY_PASTA[0][1], COPY_PASTA[1][1])


def test_hashtag_and_sound(con):
    assert set(edges(con, "co_hashtag")) == {("a_h1", "a_h2")}
    assert set(edges(con, "co_sound")) == {("a_h1", "a_h2")}
    assert actor(con, "a_h1")["n_indicator_hashtag_hits"] == 1


def test_creation_burst_and_avatar(con):
    burst = edges(con, "creation_burst")
    assert set(burst) == {(f"a_b{i}", f"a_b{j}") for i in range(4) for j in range(i + 1, 4)}
    assert burst[("a_b0", "a_b3")][2:] == (T_BURST, T_BURST + timedelta(seconds=90))
    assert set(edges(con, "shared_avatar")) == {("a_b0", "a_b1")}
    b0 = actor(con, "a_b0")
    assert b0["has_default_avatar"] is False and actor(con, "a_b3")["has_default_avatar"] is True
    assert b0["account_age_days"] == 1 and b0["username_shape"] == "a_9"


def test_interactions(con):
    assert {k for k in edges(con, "follow") if k[0] == "a_f1"} == {("a_f1", "a_ghost"), ("a_f1", "a_p1")}
    assert set(edges(con, "mention")) == {("a_c1", "a_p1")}
    share = edges(con, "share")
    assert share[("a_s1", "a_owner")][1] == 2
    assert edges(con, "like")[("a_s4", "a_owner")][1] == 1  # re-delivered event counted once
    ghost = actor(con, "a_ghost")
    assert ghost["has_account_record"] is False and ghost["created_at"] is None


def test_actor_attributes(con):
    s1 = actor(con, "a_s1")
    assert (s1["n_enforcement_actions"], s1["n_cib_enforcement_actions"]) == (2, 1)
    assert (s1["n_events"], s1["n_shares"], s1["active_hours"]) == (2, 2, 1)
    assert s1["country"] == "US" and s1["account_age_days"] > 600
    assert actor(con, "a_s2")["is_indicator_account"] is True
    c1 = actor(con, "a_c1")
    assert c1["n_indicator_domain_hits"] == 1 and c1["n_indicator_hits"] == 1
    deleted = actor(con, "a_del")
    assert deleted["is_deleted"] is True and deleted["country"] == "FR"
    # 17 base + 300 viral + 100 NAT + 6 created + a_del + a_owner + a_ghost + a_star (events only)
    # + 4 follow ring accounts + 5 co-promotion posters (events only) + the repeat sharers
    assert con.execute("select count(*) from marts.actors").fetchone()[0] == 17 + N_VIRAL + N_NAT + 6 + 1 + 3 + 4 + 5 + N_SPAMMERS


def evidence(con, edge_type):
    return {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            "select src_actor_key, dst_actor_key, weight, evidence_count, first_seen, last_seen"
            " from marts.evidence_edges where edge_type = ?", [edge_type]).fetchall()
    }


def test_follow_ring(con):
    ring = evidence(con, "follow_ring")
    # a_star (5 ties) is left out: its followers' ties to it close no triangle, r1-r2 closes two
    assert {k: v[:2] for k, v in ring.items()} == {
        ("a_r1", "a_r2"): (2.0, 2), ("a_r1", "a_r3"): (1.0, 1), ("a_r2", "a_r3"): (1.0, 1),
        ("a_r1", "a_r4"): (1.0, 1), ("a_r2", "a_r4"): (1.0, 1)}
    assert ring[("a_r1", "a_r4")][2:] == (datetime(2026, 11, 2, 11, 0), datetime(2026, 11, 2, 11, 0))
    # follow_ring and co_promotion stay out of the published actor_edges
    assert con.execute("select count(*) from marts.actor_edges where edge_type in ('follow_ring', 'co_promotion')").fetchone()[0] == 0


def test_co_promotion(con):
    promo = evidence(con, "co_promotion")
    # m1-m2: three rare objects (the combination holding RareCause, rare-news.example, snd_rare),
    # two posts each; m1-m5 and m2-m5: the sound once; a_h1-a_h2: one post each with a rare
    # combination and a sound; m3-m4: everyday tags only
    assert set(promo) == {("a_m1", "a_m2"), ("a_m1", "a_m5"), ("a_m2", "a_m5"), ("a_h1", "a_h2")}
    weight, n, first, last = promo[("a_m1", "a_m2")]
    assert n == 2 and weight == pytest.approx(2 / math.log(3) + 1 / math.log(4))
    assert (first, last) == (datetime(2026, 11, 2, 9, 0), datetime(2026, 11, 3, 22, 0))
    assert promo[("a_m1", "a_m5")][:2] == (pytest.approx(1 / math.log(4)), 1)
    assert promo[("a_h1", "a_h2")][1] == 1


def test_docs_generate(warehouse):
    tmp, db = warehouse
    res = run_dbt(tmp, db, "docs", "generate")
    assert res.success
    assert (tmp / "target" / "catalog.json").exists()


def test_window_end_var(warehouse):
    tmp, db = warehouse
    res = run_dbt(tmp, db, "show", "--select", "int_window", "--vars", '{"window_end": "2026-11-02", "window_days": 3}')
    assert res.success
    row = tuple(res.result.results[0].agate_table.rows[0])
    assert row[:2] == (datetime(2026, 10, 31).date(), datetime(2026, 11, 2).date())


def test_duckdb_memory_limit_comes_from_the_environment(tmp_path, monkeypatch):
    """THREATGRAPH_DUCKDB_MEMORY_LIMIT reaches the DuckDB that dbt builds with (big windows spill)."""
    monkeypatch.setenv("THREATGRAPH_DUCKDB_MEMORY_LIMIT", "1GB")
    res = run_dbt(tmp_path, tmp_path / "limit.duckdb", "run-operation", "duckdb_memory_limit")
    assert res.success
    log = (tmp_path / "logs" / "dbt.log").read_text()
    assert "duckdb memory_limit: 953.6 MiB" in log, log[-2000:]


def test_edge_times_outside_the_window_fail_a_check_of_their_own_model(warehouse, con):
    """times_in_window is a generic test on actor_edges and evidence_edges: Dagster shows it as a
    (blocking) check of each, and it fails on an edge whose evidence predates the window."""
    tmp, db = warehouse
    before = con.execute("SELECT min(first_seen) FROM marts.evidence_edges").fetchone()[0]
    assert before is not None
    con.execute("UPDATE marts.evidence_edges SET first_seen = first_seen - INTERVAL 30 DAY WHERE first_seen = ?", [before])
    try:
        res = run_dbt(tmp, db, "test", "--select", "test_name:times_in_window")
        status = {r.node.attached_node.split(".")[-1]: r.status for r in res.result}
        assert status == {"actor_edges": "pass", "evidence_edges": "fail"}
    finally:
        con.execute("UPDATE marts.evidence_edges SET first_seen = first_seen + INTERVAL 30 DAY WHERE first_seen = ?",
                    [before - timedelta(days=30)])
