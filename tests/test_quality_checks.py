"""Quality gates: GX suites run for real, catch planted violations, and gate Dagster runs."""
import json
from datetime import date, datetime, timedelta

import dagster as dg
import duckdb
import pandas as pd
import pytest

from expectations.runner import (NON_ASCII_LETTER, PATTERNS, columns_to_read, load_suite, pseudonym_columns, redact_example, redact_text,
                                 run_suite, suite_names, volume_verdict)
from orchestration.checks import VOLUME_CHECK_NAME, bronze_checks, gx_asset_checks, mart_checks_for
from orchestration.checks.gx_checks import suite_check_result
from orchestration.contract import CONTRACT_DIR
from orchestration.pseudonymize import DIGIT_RUN
from orchestration.partitions import daily_partitions
from orchestration.resources import PlatformStorage
from orchestration.warehouse import ensure_bronze

A1, A2, A3 = ("a_" + c * 20 for c in "0ab")
N1, N2 = "net_" + "1" * 16, "net_" + "2" * 16


def events_frame(n: int = 4, day: str = "2026-01-02") -> pd.DataFrame:
    keys = [A1, A2, A3]
    return pd.DataFrame({
        "dt": [date.fromisoformat(day)] * n,
        "source_file": [f"events/dt={day}/part-0.jsonl"] * n,
        "line_no": list(range(1, n + 1)),
        "event_id": [f"e{i}" for i in range(n)],
        "event_time": [datetime.fromisoformat(day) + timedelta(minutes=i) for i in range(n)],
        "actor_key": [keys[i % 3] for i in range(n)],
        "event_type": ["share" if i % 2 else "post" for i in range(n)],
        "video_id": [f"v{i}" for i in range(n)],
        "target_actor_key": [keys[(i + 1) % 3] for i in range(n)],
        "text": [f"vote early @{A2} Chrome/120.0.0.0 at 12:30:45" for _ in range(n)],
        "hashtags": [["vote"]] * n,
        "mention_actor_keys": [[A2]] * n,
        "urls": [[]] * n,
        "sound_id": [None] * n,
        "share_channel": ["dm" if i % 2 else None for i in range(n)],
        "session_id": [f"s{i}" for i in range(n)],
        "region_code": ["DE"] * n,
    })


def networks_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "network_id": [N1, N2], "window_start": [date(2026, 1, 1)] * 2, "window_end": [date(2026, 1, 7)] * 2,
        "n_actors": [3, 2], "n_edges": [3, 1], "density": [1.0, 1.0], "risk_score": [0.8, 0.1],
        "flagged": [True, False], "signals": [["shared_devices", "creation_burst"], []],
        "explanation": ["3 accounts; signals: shared_devices", "2 accounts linked by repeated co-activity"],
    })


def members_frame() -> pd.DataFrame:
    return pd.DataFrame({"network_id": [N1, N1, N1], "actor_key": [A1, A2, A3],
                         "role": ["seeder", "amplifier", "infrastructure_hub"], "pagerank": [0.5, 0.3, 0.2]})


@pytest.fixture()
def marts_con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.register("n", networks_frame())
    con.execute("CREATE TABLE marts.networks AS SELECT * FROM n")
    con.execute("CREATE TABLE marts.actors AS SELECT unnest([?, ?, ?]) AS actor_key", [A1, A2, A3])
    yield con
    con.close()


# --------------------------------------------------------------------------- #
# Suites
# --------------------------------------------------------------------------- #
def test_every_suite_loads_and_names_itself():
    names = suite_names()
    for expected in ("bronze_accounts", "bronze_events", "bronze_sessions", "bronze_enforcement", "bronze_indicators",
                     "actors", "actor_edges", "networks", "network_members", "actor_metrics"):
        assert expected in names
    for name in names:
        suite = load_suite(name)
        assert suite["name"] == name
        assert all(e["meta"]["severity"] in ("error", "warning") for e in suite["expectations"])


@pytest.mark.parametrize("source,field", [("events", "event_type"), ("events", "share_channel"),
                                          ("accounts", "change_type"), ("enforcement", "action"),
                                          ("enforcement", "policy"), ("enforcement", "source"),
                                          ("sessions", "login_method"), ("indicators", "indicator_type")])
def test_enum_expectations_follow_the_contract(source, field):
    schema = json.loads((CONTRACT_DIR / f"{source}.schema.json").read_text())
    contract = {v for v in schema["properties"][field]["enum"] if v is not None}
    suite = load_suite(f"bronze_{source}")
    sets = [e["kwargs"]["value_set"] for e in suite["expectations"]
            if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == field]
    assert sets and set(sets[0]) == contract


def test_clean_events_pass():
    out = run_suite(load_suite("bronze_events"), events_frame())
    assert out.success, out.to_markdown()
    assert out.row_count == 4 and len(out.results) > 15  # string scans were expanded per column


def _failed(out, severity="error"):
    return {r.name for r in out.failed if r.severity == severity}


@pytest.mark.parametrize("plant,expected", [
    (lambda df: df.assign(event_id=[None, "e1", "e2", "e3"]), "expect_column_values_to_not_be_null(event_id)"),
    (lambda df: df.assign(event_type=["post", "dance", "post", "like"]), "expect_column_values_to_be_in_set(event_type)"),
    (lambda df: df.assign(event_id=["e0", "e0", "e2", "e3"]), "expect_column_values_to_be_unique(event_id)"),
    (lambda df: df.assign(actor_key=["acct_17", A1, A2, A3]), "expect_column_values_to_match_regex(actor_key)"),
    (lambda df: df.assign(video_id=["v0", "203.0.113.7", "v2", "v3"]),
     "expect_column_values_to_not_match_regex(video_id)[no_ipv4_literal]"),
    (lambda df: df.assign(session_id=["s0", "s1", "2001:db8::17", "s3"]),
     "expect_column_values_to_not_match_regex(session_id)[no_ipv6_literal]"),
    (lambda df: df.assign(text=["hi @bob", "x", "y", "z"]), "expect_column_values_to_not_match_regex(text)[no_raw_mention]"),
    (lambda df: df.assign(text=["x", "ask 9000000000000000002", "y", "z"]),
     "expect_column_values_to_not_match_regex(text)[no_numeric_id_in_free_text]"),
    (lambda df: df.drop(columns=["event_type"]), "expect_column_values_to_not_be_null(event_type)"),
])
def test_planted_event_violations_fail_the_gate(plant, expected):
    out = run_suite(load_suite("bronze_events"), plant(events_frame()))
    assert not out.passed
    assert expected in _failed(out), out.to_markdown()
    bad = next(r for r in out.failed if r.name == expected)
    assert bad.error or bad.unexpected_count >= 1


def test_failures_carry_examples():
    out = run_suite(load_suite("bronze_events"), events_frame().assign(event_type=["post", "dance", "post", "like"]))
    bad = next(r for r in out.failed if r.column == "event_type")
    assert bad.unexpected_count == 1 and bad.examples == ["dance"]
    assert "dance" in out.to_markdown()


@pytest.mark.parametrize("raw,shown", [
    ("Mozilla/5.0 (X11) client-ip 198.51.100.23", "Mozilla/5.0 (X11) client-ip <ipv4>"),
    ("john.doe@gmail.com", "<email>"),
    ("write to maria.sanchez.1984@gmail.com or @Ольга_Петрова", "write to <email> or <handle>"),
    ("maria.sanchez.1984@a_d0a90aa5dc162771be6d", "<email>"),  # domain pseudonymised, local part personal
    ("from 2001:db8::17 via ::ffff:10.0.0.1.", "from <ipv6> via ::ffff:<ipv4>."),
    ("call +49 1701234567, account 9000123456", "call +49 <digits>, account <digits>"),
    (f"vote early @{A2} at 12:30:45 in {N1}", f"vote early @{A2} at 12:30:45 in {N1}"),  # published ids stay
])
def test_redact_text_masks_personal_values(raw, shown):
    assert redact_text(raw) == shown


def test_raw_identifiers_in_pseudonym_columns_show_no_characters():
    ids = pseudonym_columns(load_suite("bronze_events"))
    assert {"actor_key", "target_actor_key"} <= ids and "event_type" not in ids
    assert redact_example("maria_s", ids, "actor_key") == "<not a pseudonym: 7 chars>"
    assert redact_example("198.51.100.23", ids, "actor_key") == "<ipv4>"
    assert redact_example(A1, ids, "actor_key") == A1
    assert (redact_example({"actor_key": "maria_s", "event_id": "e1"}, ids, "actor_key,event_id")
            == {"actor_key": "<not a pseudonym: 7 chars>", "event_id": "e1"})
    assert redact_example(["bob@example.org", None, 3], ids, "text") == ["<email>", None, 3]


def test_failed_personal_data_gates_show_no_personal_value_in_check_metadata():
    """The gates that catch personal data fail on it; the Dagster metadata says what was found, not the value."""
    planted = events_frame().assign(
        session_id=["s0", "client-ip 198.51.100.23", "s2", "s3"],
        video_id=["v0", "v1", "2001:db8::17", "v3"],
        text=["write to john.doe@gmail.com", "hi @maria_s", "x", "y"],
        actor_key=["9000123456", "maria_s", A2, A3],
    )
    result = suite_check_result({"2026-01-02": run_suite(load_suite("bronze_events"), planted)})
    assert not result.passed
    examples = {f["expectation"]: f["examples"] for f in result.metadata["failed_expectations"].value}
    scan = "expect_column_values_to_not_match_regex"
    assert examples[f"{scan}(session_id)[no_ipv4_literal]"] == ["client-ip <ipv4>"]
    assert examples[f"{scan}(video_id)[no_ipv6_literal]"] == ["<ipv6>"]
    assert examples[f"{scan}(text)[no_email_address]"] == ["write to <email>"]
    assert examples[f"{scan}(text)[no_raw_mention]"] == ["hi <handle>"]
    assert sorted(examples["expect_column_values_to_match_regex(actor_key)"]) == ["<digits>", "<not a pseudonym: 7 chars>"]
    report = result.metadata["report"].value
    assert "client-ip <ipv4>" in report
    shown = json.dumps(result.metadata["failed_expectations"].value) + report
    for raw in ("198.51.100.23", "2001:db8::17", "john.doe", "gmail.com", "maria_s", "9000123456"):
        assert raw not in shown


def test_long_examples_show_only_what_surrounds_the_finding():
    """A failed free-text scan shows where the finding sits, not the rest of somebody's post."""
    from expectations.runner import redact_example, shorten_around_masks

    post = "Dear Zelda Quixote, as promised here is the server: 198.51.100.23 - see you at the Lindenstrasse 12 party"
    shown = redact_example(post, column="text")
    assert shown == "…sed here is the server: <ipv4> - see you at the Linden…"
    assert "Zelda" not in shown and "198.51" not in shown
    assert shorten_around_masks("short text <ipv4> stays") == "short text <ipv4> stays"
    two = "a" * 80 + " <email> " + "b" * 10 + " <digits> " + "c" * 80
    assert shorten_around_masks(two, 6) == "…aaaaa <email> bbbbbbbbbb <digits> ccccc…"  # touching windows merge
    assert shorten_around_masks(two, 5) == "…aaaa <email> bbbb…bbbb <digits> cccc…"
    assert shorten_around_masks("x" * 100, 5) == "xxxxx…"


def test_counts_come_with_failures_and_with_tolerated_misses_only():
    """GX runs pass/fail first and details only where reported: a failure and a `mostly`
    expectation carry counts, a clean pass does not pay for them; all are evaluated."""
    suite = {"name": "t", "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "event_type", "value_set": ["post", "share"]}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "event_type", "value_set": ["post", "share", "dance"], "mostly": 0.5}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "event_type", "value_set": ["post", "like"], "mostly": 0.9}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "event_id"}},
    ]}
    out = run_suite(suite, events_frame().assign(event_type=["post", "dance", "post", "like"]))
    strict, tolerant_pass, tolerant_fail, clean = out.results
    assert (strict.success, strict.unexpected_count, strict.examples) == (False, 2, ["dance", "like"])
    assert (tolerant_pass.success, tolerant_pass.unexpected_count, tolerant_pass.examples) == (True, 1, ["like"])
    assert (tolerant_fail.success, tolerant_fail.unexpected_count, tolerant_fail.examples) == (False, 1, ["dance"])
    assert clean.success and clean.unexpected_count is None and not clean.error
    assert out.failed == [strict, tolerant_fail]


def test_checks_read_only_the_columns_the_suite_looks_at():
    table = {"dt": "DATE", "source_file": "VARCHAR", "text": "VARCHAR", "note": "VARCHAR", "n": "BIGINT",
             "hashtags": "VARCHAR[]", "mention_actor_keys": "VARCHAR[]", "kind": "ENUM('a', 'b')"}
    suite = {"name": "t", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "dt"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "mention_actor_keys"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "gone"}},
    ], "meta": {"string_column_scans": [{"pattern": "ipv4_literal", "exclude_columns": ["note"]},
                                        {"pattern": "raw_mention", "columns": ["text"]}]}}
    # text columns for the scans, the list column only because an expectation names it; a
    # column missing from the table stays missing (run_suite reports it)
    assert columns_to_read(suite, table) == ["dt", "source_file", "text", "mention_actor_keys", "kind"]
    assert columns_to_read({"name": "t", "expectations": suite["expectations"]}, table) == ["dt", "mention_actor_keys"]
    # table-level expectations: the column set needs every column, a row count at least one
    columns_match = {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["dt"]}}
    assert columns_to_read({"name": "t", "expectations": [columns_match]}, table) == list(table)
    row_count = {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}
    assert columns_to_read({"name": "t", "expectations": [row_count]}, table) == ["dt"]
    frame = events_frame()  # noqa: F841 (DuckDB reads it by name)
    events = columns_to_read(load_suite("bronze_events"), dict(
        (c, t) for c, t, *_ in duckdb.sql("DESCRIBE SELECT * FROM frame").fetchall()))
    assert not {"hashtags", "mention_actor_keys", "urls"} & set(events) and {"text", "actor_key", "event_id"} <= set(events)


def test_ip_literal_in_free_text_is_a_warning_in_bronze_but_an_error_in_marts():
    out = run_suite(load_suite("bronze_events"), events_frame().assign(text=["call 198.51.100.23 now", "a", "b", "c"]))
    assert out.passed and not out.success
    assert "expect_column_values_to_not_match_regex(text)[no_ipv4_literal_in_free_text]" in _failed(out, "warning")

    nets = networks_frame()
    nets.loc[0, "explanation"] = "accounts logged in from 198.51.100.23"
    out = run_suite(load_suite("networks"), nets)
    assert "expect_column_values_to_not_match_regex(explanation)[no_ipv4_literal]" in _failed(out)


@pytest.mark.parametrize("value,is_ip", [
    ("10.1.2.3", True), ("see 192.168.0.1.", True), ("2001:db8::1", True), ("fe80::1ff:fe23:4567:890a", True),
    ("10.1.2.0/24", False), ("2001:db8:1::/48", False), ("Chrome/120.0.0.0 Safari/537.36", False),
    ("at 12:30:45", False), ("v1.2.3.4", False), ("999.1.1.1", False), ("ip_0123456789abcdef0123", False),
])
def test_ip_literal_patterns(value, is_ip):
    import re
    hit = bool(re.search(PATTERNS["ipv4_literal"], value) or re.search(PATTERNS["ipv6_literal"], value))
    assert hit is is_ip


def test_networks_suite_risk_score_range():
    assert run_suite(load_suite("networks"), networks_frame()).success
    out = run_suite(load_suite("networks"), networks_frame().assign(risk_score=[1.5, 0.1]))
    assert "expect_column_values_to_be_between(risk_score)" in _failed(out)


def test_network_members_must_reference_existing_networks_and_actors(marts_con):
    suite = load_suite("network_members")
    assert run_suite(suite, members_frame(), con=marts_con).success

    orphan = members_frame()
    orphan.loc[2, "network_id"] = "net_" + "f" * 16
    out = run_suite(suite, orphan, con=marts_con)
    ref = next(r for r in out.failed if r.kind == "reference")
    assert ref.name == "reference(network_id -> marts.networks.network_id)" and ref.severity == "error"
    assert ref.unexpected_count == 1 and ref.examples == ["net_" + "f" * 16]

    # without a connection the reference cannot be evaluated: that is a failure, never a silent pass
    assert not run_suite(suite, members_frame()).passed


def test_actor_edges_edge_type_and_self_loops():
    edges = pd.DataFrame({"src_actor_key": [A1, A2], "dst_actor_key": [A2, A3], "edge_type": ["co_share", "follow"],
                          "weight": [2.0, 1.0], "first_seen": pd.to_datetime(["2026-01-01", "2026-01-02"]),
                          "last_seen": pd.to_datetime(["2026-01-03", "2026-01-02"])})
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.actors AS SELECT unnest([?, ?, ?]) AS actor_key", [A1, A2, A3])
    suite = load_suite("actor_edges")
    assert run_suite(suite, edges, con=con).success
    bad = edges.assign(edge_type=["co_share", "telepathy"], dst_actor_key=[A1, A3])
    failed = _failed(run_suite(suite, bad, con=con))
    assert "expect_column_values_to_be_in_set(edge_type)" in failed
    assert "expect_column_values_to_be_null(src_actor_key)" in failed  # the self-loop guard


# --------------------------------------------------------------------------- #
# Volume
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("current,previous,passed", [
    (100, [100, 90, 110], True),
    (19, [100, 100, 100], False),  # collapse: < 20%
    (20, [100, 100, 100], True),   # exactly 20% is fine
    (501, [100, 100, 100], False),  # flood: > 500%
    (500, [100, 100, 100], True),
    (0, [50], False),
    (10, [], True),                # nothing to compare with
    (10, [0, 0], True),            # empty history: no baseline
])
def test_volume_verdict(current, previous, passed):
    assert volume_verdict(current, previous).passed is passed


def test_volume_verdict_uses_the_median_of_the_last_seven():
    v = volume_verdict(100, [10_000, 1, 1, 100, 100, 100, 100, 100, 100])  # the oldest two fall out of the window
    assert v.baseline == 100 and v.ratio == 1.0 and v.passed
    assert volume_verdict(100, [1, 1, 1, 1000, 1000, 1000, 1000]).baseline == 1000  # median, not mean
    with pytest.raises(ValueError):
        volume_verdict(-1, [])


# --------------------------------------------------------------------------- #
# Dagster: checks as blocking gates on the bronze asset
# --------------------------------------------------------------------------- #
def _insert_events(con, day: str, n: int, bad: bool = False):
    df = events_frame(n, day)
    if bad:
        df.loc[0, "event_type"] = "dance"
    con.register("df", df)
    con.execute("INSERT INTO bronze.events BY NAME SELECT * FROM df")
    con.unregister("df")


def test_checks_gate_a_partitioned_bronze_asset(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_bronze(con)
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        _insert_events(con, day, 10)
    _insert_events(con, "2026-01-04", 1, bad=True)  # a planted bad enum and a collapse
    con.close()

    @dg.asset(key=["bronze", "events"], partitions_def=daily_partitions)
    def events_stub() -> None:
        """Stands in for the ingest asset: the table is already there."""

    downstream_ran = []

    @dg.asset(deps=[dg.AssetKey(["bronze", "events"])], partitions_def=daily_partitions)
    def downstream() -> None:
        downstream_ran.append(True)

    checks = gx_asset_checks(dg.AssetKey(["bronze", "events"]), "bronze_events", "bronze.events", partitioned=True)
    resources = {"storage": PlatformStorage(landing=str(tmp_path / "landing"), warehouse=str(tmp_path))}

    good = dg.materialize([events_stub, downstream, *checks], partition_key="2026-01-03", resources=resources)
    evals = {e.check_name: e for e in good.get_asset_check_evaluations()}
    assert set(evals) == {"gx_bronze_events", VOLUME_CHECK_NAME}
    assert all(e.passed for e in evals.values())
    assert evals["gx_bronze_events"].metadata["rows_validated"].value == 10
    assert evals[VOLUME_CHECK_NAME].metadata["ratio"].value == 1.0
    assert downstream_ran == [True]

    bad = dg.materialize([events_stub, downstream, *checks], partition_key="2026-01-04", resources=resources,
                         raise_on_error=False)
    assert not bad.success
    evals = {e.check_name: e for e in bad.get_asset_check_evaluations()}
    gx_eval, vol_eval = evals["gx_bronze_events"], evals[VOLUME_CHECK_NAME]
    assert not gx_eval.passed and gx_eval.severity == dg.AssetCheckSeverity.ERROR
    assert "dance" in gx_eval.metadata["report"].value
    assert any(f["expectation"] == "expect_column_values_to_be_in_set(event_type)"
               for f in gx_eval.metadata["failed_expectations"].value)
    assert not vol_eval.passed and vol_eval.metadata["ratio"].value == pytest.approx(0.1)
    assert downstream_ran == [True]  # blocked: the downstream asset did not run again


def test_check_definitions_are_keyed_per_asset():
    keys = {k for c in bronze_checks for k in c.check_keys}
    names = {(k.asset_key.to_user_string(), k.name) for k in keys}
    assert ("bronze/events", "gx_bronze_events") in names
    assert ("bronze/events", VOLUME_CHECK_NAME) in names
    assert ("bronze/indicators", "gx_bronze_indicators") in names
    assert not any(a == "bronze/indicators" and n == VOLUME_CHECK_NAME for a, n in names)
    marts = mart_checks_for({"networks": dg.AssetKey(["marts", "networks"]),
                             "network_members": dg.AssetKey(["marts", "network_members"])})
    mkeys = {(k.asset_key.to_user_string(), k.name) for c in marts for k in c.check_keys}
    assert mkeys == {("marts/networks", "gx_networks"), ("marts/network_members", "gx_network_members")}
    with pytest.raises(ValueError):
        mart_checks_for({"nope": dg.AssetKey(["marts", "nope"])})


def test_mart_checks_evaluate_references_in_the_warehouse(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA marts")
    con.register("n", networks_frame())
    con.register("m", members_frame())
    con.execute("CREATE TABLE marts.networks AS SELECT * FROM n")
    con.execute("CREATE TABLE marts.network_members AS SELECT * FROM m")
    con.execute("CREATE TABLE marts.actors AS SELECT unnest([?, ?]) AS actor_key", [A1, A2])  # A3 is missing
    con.close()

    stubs = [dg.AssetSpec(key=["marts", name]) for name in ("networks", "network_members")]

    @dg.multi_asset(specs=stubs)
    def marts_stub():
        yield dg.MaterializeResult(asset_key=["marts", "networks"])
        yield dg.MaterializeResult(asset_key=["marts", "network_members"])

    checks = mart_checks_for({"networks": dg.AssetKey(["marts", "networks"]),
                              "network_members": dg.AssetKey(["marts", "network_members"])})
    result = dg.materialize([marts_stub, *checks], raise_on_error=False,
                            resources={"storage": PlatformStorage(landing=str(tmp_path), warehouse=str(tmp_path))})
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evals["gx_networks"].passed
    members = evals["gx_network_members"]
    assert not members.passed and members.severity == dg.AssetCheckSeverity.ERROR
    failed = {f["expectation"]: f for f in members.metadata["failed_expectations"].value}
    assert failed["reference(actor_key -> marts.actors.actor_key)"]["examples"] == [A3]
    assert "reference(network_id -> marts.networks.network_id)" not in failed


# The scan patterns' specification, with lookarounds; PATTERNS are their RE2-friendly forms.
SPEC_PATTERNS = {
    "ipv4_literal": r"(?<![0-9A-Za-z./_-])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
                    r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![0-9A-Za-z/_-]|\.[0-9A-Za-z])",
    "ipv6_literal": r"(?<![0-9A-Za-z:._-])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
                    r"|(?:[0-9A-Fa-f]{1,4}:){1,7}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?"
                    r"|::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6}))(?![0-9A-Za-z:./_-])",
    "raw_mention": r"(?<![0-9A-Za-z_.\-])@(?!a_[0-9a-f]{20}(?![0-9A-Za-z_]))(?:[A-Za-z0-9_]|" + NON_ASCII_LETTER + ")",
    "numeric_id": DIGIT_RUN,  # what ingest replaces, so what the gate must find
}


def _scan_corpus(n=30000, seed=7):
    import random

    rng = random.Random(seed)
    pieces = ["1", "25", "255", "256", "10", "0", ".", ".", ":", "::", "/", "_", "-", "@", "a", "a_", "f", "e8",
              " ", "x", "Z", "\n", "0123456789abcdef", "1.2.3.4", "fe80::1", "@a_", "0123456789abcdef0123",
              "Ж", "é", "李", "🙂", "×"]
    corpus = ["@a_0123456789abcdef0123", "@a_0123456789abcdef0123x", "@a_0123456789abcdef012", "@a", "@a\n",
              "x@a_0123456789abcdef0123", "1.2.3.4\n", "1.2.3.4.", "1.2.3.4.5", "::", "a::1", "@_", "@"]
    for _ in range(n):
        corpus.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 9))))
    return corpus


@pytest.mark.parametrize("name", sorted(SPEC_PATTERNS))
def test_scan_patterns_equal_their_lookaround_specification(name):
    import re

    import pandas as pd

    corpus = _scan_corpus()
    spec = [bool(re.search(SPEC_PATTERNS[name], s)) for s in corpus]
    assert [bool(re.search(PATTERNS[name], s)) for s in corpus] == spec
    # and as GX's pandas engine evaluates them (pyarrow's RE2 for str columns)
    assert pd.Series(corpus, dtype="str").str.contains(PATTERNS[name], regex=True).tolist() == spec
    assert 200 < sum(spec) < len(corpus) - 200  # the corpus holds both verdicts in number


def test_error_messages_of_checks_are_redacted_too(monkeypatch):
    """An expectation that cannot be evaluated reports the engine's message, which may quote a value."""
    import expectations.runner as runner

    failing = runner.ExpectationOutcome("reference(x -> y)", "reference", "x", "error", False,
                                        error="cannot evaluate: Conversion Error: 'jane.doe@example.org' to INT32", kind="reference")
    monkeypatch.setattr(runner, "check_references", lambda suite, df, con: [failing])
    out = run_suite(load_suite("bronze_events"), events_frame())
    (ref,) = [r for r in out.results if r.kind == "reference"]
    assert ref.error == "cannot evaluate: Conversion Error: '<email>' to INT32"
