"""dbt models: what a window may see. Everything an actor row says is as known at the window end.

- the window ends on the newest day ingested (any partitioned bronze source or the ingest log),
  not on the newest day with events: a re-landed day whose events were all quarantined still ends it;
- a reinstatement cancels the enforcement actions of its policy before it;
- indicators count only once first seen (before the window end);
- account profiles are the latest record before the window end;
- ip_prefix indicators are canonical CIDR and match login prefixes inside a wider range.

One planted bronze; `dbt build` runs on it twice: the default window (ends on DAY3, the newest
day ingested) and a historical one (window_end = DAY1), as a re-run of an old window would.
"""
from __future__ import annotations

import ipaddress
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from orchestration.warehouse import ensure_bronze

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DAY1, DAY2, DAY3 = "2026-11-02", "2026-11-03", "2026-11-04"
OLD = "2025-01-01 00:00:00"

IP_INDICATORS = [
    " 177.40.0.0/16 ",                              # wider than a login /24: a_ip1's two prefixes lie in it
    "198.51.100.77/24",                             # host bits set: canonical 198.51.100.0/24 (a_ip2)
    "2001:DB8:0:0::/32",                            # upper case, wider than a login /48 (a_ip3)
    "2001:0DB8:00AA:0000:0000:0000:0000:0000/48",   # uncompressed: 2001:db8:aa::/48 (a_ip4)
    "203.0.113.128/25",                             # narrower than a_ip5's /24: cannot be placed, no hit
    "2001:db8:0:0:1:0:0:1/128",                     # compression picks the first of two equal zero runs
    "1:0:0:2:0:0:0:0/64",
]


def _account(con, key, event_time, change_type="snapshot", created_at=OLD, dt=DAY1, country="US"):
    con.execute(
        "insert into bronze.accounts values (?, 'accounts/f.jsonl', 1, ?, ?, ?, ?, 'u_' || ?, 9, 4, 'a9', null, null,"
        " 'mail.example', ?, 'en', false, null, null, null, null)",
        [dt, key, event_time, change_type, created_at, key, country],
    )


def _event(con, event_id, t, actor, etype="post", urls=(), hashtags=(), dt=DAY1):
    con.execute(
        "insert into bronze.events values (?, 'events/f.jsonl', 1, ?, ?, ?, ?, null, null, 'text', ?, [], ?, null, null, null, 'US')",
        [dt, event_id, t, actor, etype, list(hashtags), list(urls)],
    )


def _session(con, session_id, t, actor, prefix, success=True, dt=DAY2):
    con.execute(
        "insert into bronze.sessions values (?, 'sessions/f.jsonl', 1, ?, ?, ?, 'ip_' || ?, ?, 4, 3320, 'DE', 'd_' || ?, 'ua',"
        " 'password', ?)",
        [dt, session_id, t, actor, session_id, prefix, session_id, success],
    )


def _enforcement(con, action_id, t, actor, action, policy="coordinated_inauthentic_behavior", dt=DAY1):
    con.execute(
        "insert into bronze.enforcement values (?, 'enforcement/f.jsonl', 1, ?, ?, ?, ?, ?, 'automated', null)",
        [dt, action_id, t, actor, action, policy],
    )


def _indicator(con, n, indicator_type, value, first_seen, confidence=0.8):
    con.execute("insert into bronze.indicators values ('reference/indicators.jsonl', ?, ?, ?, null, 'vendor', ?, ?)",
                [n, indicator_type, value, confidence, first_seen])


def _ingest_log(con, dt, source, loaded, invalid):
    con.execute("insert into bronze.ingest_files values (?, ?, ?, ?, ?, 0, ?, 'ok', now()::timestamp)",
                [dt, source, f"{source}/dt={dt}/part-0000.jsonl", loaded + invalid, loaded, invalid])


def build_bronze(path: Path) -> None:
    con = duckdb.connect(str(path))
    ensure_bronze(con)
    keys = ["a_x", "a_y", "a_gone", "a_fp", "a_re", "a_late_re"] + [f"a_ip{i}" for i in range(1, 7)]
    for key in keys:
        _account(con, key, "2026-11-01 10:00:00")
        _event(con, f"e_{key}", "2026-11-02 09:00:00", key)
    # DAY2: events and logins
    _event(con, "e_x_late_url", "2026-11-02 09:30:00", "a_x", urls=["http://www.late.example/x"])
    _event(con, "e_x_tag", "2026-11-02 09:40:00", "a_x", hashtags=["#EarlyTag"])
    _event(con, "e_y_day2", "2026-11-03 09:00:00", "a_y", dt=DAY2)
    t = datetime(2026, 11, 3, 8, 0)
    for n, (actor, prefix, ok) in enumerate([
            ("a_ip1", "177.40.5.0/24", True), ("a_ip1", "177.40.200.0/24", True), ("a_ip1", "177.40.9.0/24", False),
            ("a_ip2", "198.51.100.0/24", True), ("a_ip3", "2001:db8:abcd::/48", True), ("a_ip4", "2001:db8:aa::/48", True),
            ("a_ip5", "203.0.113.0/24", True), ("a_ip6", "177.41.6.0/24", True)]):
        _session(con, f"s{n}", t.replace(minute=n), actor, prefix, ok)
    # DAY3: re-landed with bad events: every events line quarantined, so bronze.events has no
    # DAY3 rows, while its accounts, logins and enforcement rows stay
    _ingest_log(con, DAY1, "events", loaded=9, invalid=0)
    _ingest_log(con, DAY3, "events", loaded=0, invalid=5)
    _ingest_log(con, DAY3, "sessions", loaded=1, invalid=0)
    _session(con, "s_day3", "2026-11-04 07:00:00", "a_x", "192.0.2.0/24", dt=DAY3)
    _account(con, "a_x", "2026-11-04 09:00:00", change_type="updated", country="FR", dt=DAY3)  # after DAY1 and DAY2
    _account(con, "a_gone", "2026-11-04 08:00:00", change_type="deleted", country=None, dt=DAY3)
    _account(con, "a_late", "2026-11-04 07:00:00", change_type="created", created_at="2026-11-04 07:00:00", dt=DAY3)

    # enforcement: a reinstated false positive; an account reinstated, then enforced again;
    # an account reinstated only after DAY1
    _enforcement(con, "x_fp", "2026-11-02 10:00:00", "a_fp", "restrict")
    _enforcement(con, "x_fp_r", "2026-11-02 10:40:00", "a_fp", "reinstate")
    _enforcement(con, "x_re1", "2026-11-02 09:00:00", "a_re", "warn", policy="spam")
    _enforcement(con, "x_re2", "2026-11-02 10:00:00", "a_re", "restrict")
    _enforcement(con, "x_re_r", "2026-11-02 11:00:00", "a_re", "reinstate")
    _enforcement(con, "x_re3", "2026-11-03 12:00:00", "a_re", "ban", dt=DAY2)
    _enforcement(con, "x_lr", "2026-11-02 10:00:00", "a_late_re", "ban")
    _enforcement(con, "x_lr_r", "2026-11-04 10:00:00", "a_late_re", "reinstate", dt=DAY3)

    # indicators: first seen after DAY1 (count in the DAY3 window only), long after every window,
    # and one value with a confident late record and a weak early one
    _indicator(con, 1, "domain", "late.example", "2026-11-03 06:00:00")
    _indicator(con, 2, "account_id", "a_y", "2026-11-03 12:00:00")
    _indicator(con, 3, "domain", "future.example", "2026-12-01 00:00:00")
    _indicator(con, 4, "hashtag", "#earlytag", "2026-11-03 06:00:00", confidence=0.9)
    _indicator(con, 5, "hashtag", "EarlyTag", "2026-10-01 00:00:00", confidence=0.3)
    _indicator(con, 6, "ip_prefix", "not-a-prefix", None)
    for n, value in enumerate(IP_INDICATORS, start=10):
        _indicator(con, n, "ip_prefix", value, "2026-10-01 00:00:00")
    con.close()


def run_dbt(tmp: Path, db: Path, *args: str):
    old = os.environ.get("THREATGRAPH_WAREHOUSE_DB")
    os.environ["THREATGRAPH_WAREHOUSE_DB"] = str(db)
    try:
        return dbtRunner().invoke([*args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
                                   "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")])
    finally:
        if old is None:
            os.environ.pop("THREATGRAPH_WAREHOUSE_DB", None)
        else:
            os.environ["THREATGRAPH_WAREHOUSE_DB"] = old


def _build(tmp: Path, db: Path, *args: str) -> Path:
    res = run_dbt(tmp, db, "build", *args)
    assert res.success, [(r.node.name, r.status, r.message) for r in (res.result or []) if r.status not in ("pass", "success")]
    return db


@pytest.fixture(scope="module")
def bronze(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("window_semantics")
    db = tmp / "planted.duckdb"  # not bronze.duckdb: the catalog would shadow schema bronze
    build_bronze(db)
    return tmp, db


def _connect_built(tmp_path_factory, bronze, name, *args):
    tmp = tmp_path_factory.mktemp(name)
    db = tmp / "warehouse.duckdb"
    shutil.copy(bronze[1], db)
    _build(tmp, db, *args)
    c = duckdb.connect(str(db))
    return c


@pytest.fixture(scope="module")
def current(tmp_path_factory, bronze):
    """The default window: it ends on the newest day ingested."""
    c = _connect_built(tmp_path_factory, bronze, "current")
    yield c
    c.close()


@pytest.fixture(scope="module")
def historical(tmp_path_factory, bronze):
    """An old window re-run: it ends on DAY1."""
    c = _connect_built(tmp_path_factory, bronze, "historical", "--vars", f'{{"window_end": "{DAY1}"}}')
    yield c
    c.close()


def actor(con, key):
    cur = con.execute("select * from marts.actors where actor_key = ?", [key])
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    return dict(zip(cols, row)) if row else None


# 1. the window end


def test_window_ends_on_newest_ingested_day_not_newest_events_day(current):
    # bronze.events ends on DAY2; DAY3 was ingested (its events all quarantined)
    assert current.execute("select max(dt) from bronze.events").fetchone()[0] == date(2026, 11, 3)
    assert current.execute("select window_start, window_end from intermediate.int_window").fetchone() == (
        date(2026, 10, 29), date(2026, 11, 4))
    assert current.execute("select distinct window_end from marts.actors").fetchall() == [(date(2026, 11, 4),)]


def test_window_end_from_the_ingest_log_alone(tmp_path):
    """A newest day that left no bronze row at all (every file of it quarantined) still ends the window."""
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    ensure_bronze(con)
    _account(con, "a_1", "2026-11-01 10:00:00")
    _event(con, "e_1", "2026-11-02 09:00:00", "a_1")
    _ingest_log(con, DAY1, "events", loaded=1, invalid=0)
    _ingest_log(con, DAY2, "events", loaded=0, invalid=7)
    con.execute("insert into bronze.ingest_files values (null, 'indicators', 'reference/indicators.jsonl', 1, 1, 0, 0, 'ok',"
                " now()::timestamp)")
    con.close()
    assert run_dbt(tmp_path, db, "run", "--select", "int_window").success
    con = duckdb.connect(str(db))
    try:
        assert con.execute("select window_start, window_end from intermediate.int_window").fetchone() == (
            date(2026, 10, 28), date(2026, 11, 3))
    finally:
        con.close()


def test_window_end_var_still_wins(historical):
    assert historical.execute("select window_start, window_end from intermediate.int_window").fetchone() == (
        date(2026, 10, 27), date(2026, 11, 2))


# 2. reinstatements


def test_reinstated_action_does_not_count(current):
    fp = actor(current, "a_fp")
    assert (fp["n_enforcement_actions"], fp["n_cib_enforcement_actions"]) == (0, 0)


def test_reinstate_cancels_earlier_actions_of_its_policy_only(current):
    # the CIB reinstate cancels the CIB restrict before it, not the spam warning (the contract
    # links a reinstate to its account and policy only); the CIB ban after it counts again
    re = actor(current, "a_re")
    assert (re["n_enforcement_actions"], re["n_cib_enforcement_actions"]) == (2, 1)


def test_reinstate_after_the_window_end_cancels_nothing_in_it(current, historical):
    assert (actor(current, "a_late_re")["n_cib_enforcement_actions"]) == 0
    late = actor(historical, "a_late_re")
    assert (late["n_enforcement_actions"], late["n_cib_enforcement_actions"]) == (1, 1)


# 3. indicators known at the window end


def test_indicators_first_seen_after_the_window_do_not_count(current, historical):
    x_now, x_then = actor(current, "a_x"), actor(historical, "a_x")
    assert x_now["n_indicator_domain_hits"] == 1 and x_then["n_indicator_domain_hits"] == 0
    assert actor(current, "a_y")["is_indicator_account"] is True
    assert actor(historical, "a_y")["is_indicator_account"] is False
    # future.example (first seen after both windows) never counts
    assert historical.execute("select count(*) from intermediate.int_indicators_window where value = 'future.example'"
                              ).fetchone()[0] == 0
    assert current.execute("select count(*) from intermediate.int_indicators_window where value = 'future.example'"
                           ).fetchone()[0] == 0


def test_indicator_known_only_from_an_early_weaker_record(historical):
    # the confident #earlytag record is first seen after DAY1; the weak early one still counts then
    assert actor(historical, "a_x")["n_indicator_hashtag_hits"] == 1
    assert historical.execute("select confidence from intermediate.int_indicators_window where value = 'earlytag'"
                              ).fetchall() == [(0.3,)]


# 4. account profiles as of the window end


def test_historical_window_uses_the_profile_known_then(current, historical):
    assert actor(historical, "a_x")["country"] == "US"
    assert actor(current, "a_x")["country"] == "FR"
    assert actor(historical, "a_gone")["is_deleted"] is False
    assert actor(current, "a_gone")["is_deleted"] is True
    assert actor(historical, "a_late") is None and actor(current, "a_late")["has_account_record"] is True
    assert historical.execute("select country from marts.actors where actor_key = 'a_x'").fetchone() == ("US",)
    assert historical.execute("select count(*) from intermediate.int_accounts_current where actor_key in ('a_late')"
                              ).fetchone()[0] == 0


# 5. ip_prefix indicators


def test_ip_prefix_indicators_are_canonical(current):
    got = {v for (v,) in current.execute("select value from staging.stg_indicators where indicator_type = 'ip_prefix'").fetchall()}
    expected = {str(ipaddress.ip_network(v.strip(), strict=False)) for v in IP_INDICATORS} | {"not-a-prefix"}
    assert got == expected
    assert "2001:db8::1:0:0:1/128" in got and "1:0:0:2::/64" in got


def test_login_prefix_inside_a_wider_indicator_range(current):
    hits = {k: actor(current, k)["n_indicator_ip_prefix_hits"] for k in [f"a_ip{i}" for i in range(1, 7)]}
    # a_ip1: two successful logins in two /24s inside 177.40.0.0/16 (its failed login does not count)
    assert hits == {"a_ip1": 2, "a_ip2": 1, "a_ip3": 1, "a_ip4": 1, "a_ip5": 0, "a_ip6": 0}
    assert actor(current, "a_ip1")["n_indicator_hits"] == 2
