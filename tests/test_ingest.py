"""Ingestion: every line is accounted for, bad input lands in quarantine with its reason."""
from __future__ import annotations

import gzip
import json
import os
import stat
from datetime import date
from pathlib import Path

import duckdb
import jsonschema
import pytest

from orchestration.contract import CONTRACT_DIR, InvalidRecord, check_times, parse_rfc3339, schema_for
from orchestration.ingest import ingest_partition, read_raw_lines
from orchestration.pseudonymize import Pseudonymizer
from orchestration.warehouse import WarehousePaths

DAY = date(2026, 11, 3)
SHARED_CONTRACT = Path(__file__).resolve().parents[1].parent / "shared" / "contract"


def event(i, **over):
    rec = {"event_id": f"e{i}", "event_time": "2026-11-03T10:00:00.000Z", "account_id": f"acct{i % 5}",
           "event_type": "share", "video_id": "v1", "target_account_id": "owner9"}
    rec.update(over)
    return rec


def write(folder: Path, name: str, lines: list, gz=False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = b"".join((l if isinstance(l, bytes) else json.dumps(l).encode()) + b"\n" for l in lines)
    path = folder / name
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.fixture()
def pseudo():
    return Pseudonymizer(b"test-key")


def test_vendored_contract_matches_shared():
    for f in SHARED_CONTRACT.glob("*.schema.json"):
        assert (CONTRACT_DIR / f.name).read_text() == f.read_text(), f"{f.name} drifted from shared/contract"


@pytest.mark.parametrize(
    "rec,reason",
    [
        ({"event_time": "2026-11-03T10:00:00Z", "account_id": "a", "event_type": "like"}, "missing required field: event_id"),
        ({"event_id": 5, "event_time": "2026-11-03T10:00:00Z", "account_id": "a", "event_type": "like"}, "wrong type: event_id"),
        ({"event_id": "x", "event_time": "2026-11-03T10:00:00Z", "account_id": "a", "event_type": "dance"}, "unknown enum value: event_type"),
        ({"event_id": "x", "event_time": "2026-11-03 10:00", "account_id": "a", "event_type": "like"}, "bad timestamp: event_time"),
        ({"event_id": "x", "event_time": "2026-11-03T10:00:00Z", "account_id": "a", "event_type": "like", "hashtags": [1]}, "wrong type: item of hashtags"),
        ({"event_id": "x", "event_time": "2026-11-03T10:00:00Z", "account_id": "a", "event_type": "like", "region_code": "usa"}, "bad format: region_code"),
        ({"event_id": "x", "event_time": "2026-11-03T10:00:00Z", "account_id": "a", "event_type": ["like"]}, "unknown enum value: event_type"),
        ({"event_id": "x", "event_time": "2026-11-03T10:00:00Z", "account_id": "a", "event_type": {"like": 1}}, "unknown enum value: event_type"),
        ({"event_id": "x", "event_time": "2026-11-03T10:00:00+05:75", "account_id": "a", "event_type": "like"}, "bad timestamp: event_time"),
        ({"event_id": "x", "event_time": "2026-11-03T10:00:00-00:60", "account_id": "a", "event_type": "like"}, "bad timestamp: event_time"),
    ],
)
def test_validator_reasons_and_agreement_with_jsonschema(rec, reason):
    with pytest.raises(InvalidRecord, match=reason.replace("(", r"\(")):
        schema_for("events").check(rec)
    full = json.loads((CONTRACT_DIR / "events.schema.json").read_text())
    assert list(jsonschema.Draft202012Validator(full, format_checker=jsonschema.FormatChecker()).iter_errors(rec)), \
        "jsonschema accepts what we reject"


def test_valid_records_with_extra_fields_pass():
    schema_for("events").check(event(1, extra_field={"x": 1}, share_channel=None))
    schema_for("sessions").check({"session_id": "s", "event_time": "2026-11-03T10:00:00+02:00", "account_id": "a",
                                  "ip": "10.0.0.1", "success": True, "asn": 64512, "login_method": None})


def test_integers_and_times_jsonschema_accepts():
    """JSON Schema's integer includes 1.0; a well-formed time may still have no UTC instant we can hold."""
    sessions = json.loads((CONTRACT_DIR / "sessions.schema.json").read_text())
    standard = jsonschema.Draft202012Validator(sessions, format_checker=jsonschema.FormatChecker())
    for asn, stored in ((64512.0, 64512), (-0.0, 0), (1e2, 100)):
        rec = {"session_id": "s", "event_time": "2026-11-03T10:00:00+23:59", "account_id": "a", "ip": "10.0.0.1",
               "success": True, "asn": asn}
        assert not list(standard.iter_errors(rec))
        schema_for("sessions").check(rec)
        assert rec["asn"] == stored and type(rec["asn"]) is int
    with pytest.raises(InvalidRecord, match="out of range: asn"):  # 2^64 read as a float: a number, too big
        schema_for("sessions").check({"session_id": "s", "event_time": "2026-11-03T10:00:00Z", "account_id": "a",
                                      "ip": "10.0.0.1", "success": True, "asn": 2.0 ** 64})
    for t in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        with pytest.raises(InvalidRecord, match="bad timestamp: created_at is outside the years 1 to 9999 in UTC"):
            schema_for("accounts").check({"account_id": "a", "event_time": "2026-11-03T10:00:00Z",
                                          "change_type": "created", "created_at": t, "username": "u"})


def test_time_rules():
    t = lambda s: {"event_time": parse_rfc3339(s)}
    check_times("events", t("2026-11-04T00:04:59Z"), DAY)  # within skew
    check_times("events", t("2026-10-31T00:00:00Z"), DAY)  # 72 h late is allowed
    with pytest.raises(InvalidRecord, match="after the partition's end"):
        check_times("events", t("2026-11-04T00:05:01Z"), DAY)
    with pytest.raises(InvalidRecord, match="72h before"):
        check_times("events", t("2026-10-30T23:59:59Z"), DAY)
    with pytest.raises(InvalidRecord, match="created_at after event_time"):
        check_times("accounts", {"event_time": parse_rfc3339("2026-11-03T10:00:00Z"),
                                 "created_at": parse_rfc3339("2026-11-03T10:00:01Z")}, DAY)
    assert parse_rfc3339("2026-11-03T12:00:00+02:00") == parse_rfc3339("2026-11-03T10:00:00Z")


def bad_partition(landing: Path) -> None:
    folder = landing / "events" / f"dt={DAY}"
    good = [event(i) for i in range(10)]
    write(folder, "a.jsonl", good + [
        b"{not json",
        b'{"event_id": "u1", "event_time": "2026-11-03T10:00:00Z", "account_id": "caf\xe9", "event_type": "like"}',
        {"event_time": "2026-11-03T10:00:00Z", "account_id": "a", "event_type": "like"},  # missing event_id
        event(100, event_type="teleport"),
        event(101, account_id=42),
        event(102, event_time="2026-11-05T00:00:00Z"),
        event(3),  # exact duplicate of a line above
        event(4, video_id="v2"),  # same id, different content
        event(103, brand_new_field=[1, 2]),  # unknown extra field: loaded
    ])
    write(folder, "b.jsonl.gz", [event(200 + i) for i in range(5)], gz=True)
    full = gzip.compress(b"".join(json.dumps(event(300 + i)).encode() + b"\n" for i in range(50)))
    (folder / "c.jsonl.gz").write_bytes(full[: len(full) // 2])  # truncated gzip
    (folder / "d.jsonl").write_bytes(b"")
    (folder / "_SUCCESS").write_bytes(b"")
    write(folder / "_truth", "x.jsonl", [event(999)])  # not data


def test_bad_input_lands_in_quarantine_with_reasons(tmp_path, pseudo):
    landing, wh = tmp_path / "landing", WarehousePaths(tmp_path / "wh")
    bad_partition(landing)
    result = ingest_partition("events", landing, DAY, wh, pseudo)
    files = {f.source_file.split("/")[-1]: f for f in result.files}
    assert set(files) == {"a.jsonl", "b.jsonl.gz", "c.jsonl.gz", "d.jsonl"}
    a = files["a.jsonl"]
    assert (a.lines_read, a.loaded, a.duplicates, a.invalid) == (19, 11, 1, 7)
    assert files["b.jsonl.gz"].loaded == 5
    c = files["c.jsonl.gz"]
    assert c.file_status == "truncated_gzip" and c.invalid == 1 and c.loaded > 0 and c.loaded < 50
    assert files["d.jsonl"].file_status == "empty" and files["d.jsonl"].lines_read == 0
    for f in result.files:
        assert f.reconciles()
    reasons = result.invalid_by_reason()
    assert reasons == {"duplicate key with different content": 1, "impossible time": 1, "missing required field": 1,
                       "not JSON": 1, "not UTF-8": 1, "truncated gzip": 1, "unknown enum value": 1, "wrong type": 1}

    con = duckdb.connect(str(wh.db), read_only=True)
    n_rows = con.execute("select count(*) from bronze.events").fetchone()[0]
    assert n_rows == sum(f.loaded for f in result.files)
    q = con.execute("select count(*) from bronze.quarantine").fetchone()[0]
    assert q == sum(f.invalid for f in result.files)
    totals = con.execute("select sum(lines_read), sum(loaded) + sum(duplicates) + sum(invalid) from bronze.ingest_files").fetchone()
    assert totals[0] == totals[1]
    assert con.execute("select count(*) from bronze.events where event_id = 'e999'").fetchone()[0] == 0
    # the first of two conflicting records is kept, the second quarantined
    assert con.execute("select video_id from bronze.events where event_id = 'e4'").fetchall() == [("v1",)]
    qcon = duckdb.connect(str(wh.quarantine_db), read_only=True)
    raw = dict(qcon.execute("select reason, raw_text from quarantine_lines").fetchall())
    assert any("{not json" in v for v in raw.values())
    assert stat.S_IMODE(os.stat(wh.quarantine_db).st_mode) == 0o600


def test_rerun_and_redelivery_replace_the_partition(tmp_path, pseudo):
    landing, wh = tmp_path / "landing", WarehousePaths(tmp_path / "wh")
    folder = landing / "events" / f"dt={DAY}"
    write(folder, "a.jsonl", [event(i) for i in range(20)])
    ingest_partition("events", landing, DAY, wh, pseudo)
    ingest_partition("events", landing, DAY, wh, pseudo)
    con = lambda: duckdb.connect(str(wh.db), read_only=True)
    c = con()
    assert c.execute("select count(*), count(distinct event_id) from bronze.events").fetchone() == (20, 20)
    assert c.execute("select count(*) from bronze.ingest_files").fetchone()[0] == 1
    c.close()
    # corrected re-delivery: fewer lines, one changed
    write(folder, "a.jsonl", [event(i) for i in range(15)] + [event(15, video_id="v9")])
    ingest_partition("events", landing, DAY, wh, pseudo)
    c = con()
    assert c.execute("select count(*) from bronze.events").fetchone()[0] == 16
    assert c.execute("select video_id from bronze.events where event_id='e15'").fetchone()[0] == "v9"


def test_truncated_gzip_keeps_complete_lines(tmp_path):
    data = b"".join(json.dumps(event(i)).encode() + b"\n" for i in range(200))
    p = tmp_path / "x.jsonl.gz"
    p.write_bytes(gzip.compress(data)[:-30])
    raw = read_raw_lines(p)
    assert raw.status == "truncated_gzip"
    assert 150 < len(raw.lines) < 200 and all(l.startswith(b"{") and l.endswith(b"}") for l in raw.lines)
    p2 = tmp_path / "y.jsonl.gz"  # concatenated gzip members are one valid stream
    p2.write_bytes(gzip.compress(data[:1000]) + gzip.compress(data[1000:]))
    assert read_raw_lines(p2).status == "ok" and len(read_raw_lines(p2).lines) == 200


def test_personal_data_is_pseudonymised(tmp_path, pseudo):
    landing, wh = tmp_path / "landing", WarehousePaths(tmp_path / "wh")
    acc = {"account_id": "alice_id_771", "event_time": "2026-11-03T08:00:00Z", "change_type": "created",
           "created_at": "2026-11-03T08:00:00Z", "username": "alice1987", "display_name": "Alice",
           "signup_ip": "203.0.113.77", "signup_device_id": "dev-abc-123", "bio": "friend of @bob_id_5",
           "avatar_hash": None}
    write(landing / "accounts" / f"dt={DAY}", "a.jsonl", [acc])
    write(landing / "events" / f"dt={DAY}", "a.jsonl", [event(1, account_id="alice_id_771", target_account_id="bob_id_5",
                                                           mention_account_ids=["bob_id_5"], text="hey @bob_id_5 and bob_id_5")])
    write(landing / "sessions" / f"dt={DAY}", "a.jsonl", [{"session_id": "s1", "event_time": "2026-11-03T08:00:00Z",
                                                             "account_id": "alice_id_771", "ip": "2001:db8:1:2::7",
                                                             "device_id": "dev-abc-123", "success": True, "asn": 64500}])
    for s in ("accounts", "events", "sessions"):
        ingest_partition(s, landing, DAY, wh, pseudo)
    con = duckdb.connect(str(wh.db), read_only=True)
    dump = str(con.execute("select * from bronze.accounts").fetchall()) + str(con.execute("select * from bronze.events").fetchall()) \
        + str(con.execute("select * from bronze.sessions").fetchall())
    for raw in ("alice_id_771", "alice1987", "bob_id_5", "203.0.113.77", "2001:db8:1:2::7", "dev-abc-123", "Alice"):
        assert raw not in dump, raw
    assert "203.0.113.0/24" in dump and "2001:db8:1::/48" in dump
    a_key = pseudo.account("alice_id_771")
    assert con.execute("select actor_key, username_shape, username_digit_run from bronze.accounts").fetchone() == (a_key, "a9", 4)
    text = con.execute("select text from bronze.events").fetchone()[0]
    assert text == f"hey @{pseudo.account('bob_id_5')} and {pseudo.account('bob_id_5')}"
    ident = duckdb.connect(str(wh.identity_db), read_only=True)
    rows = dict((k, (a, u)) for k, a, u in ident.execute("select actor_key, account_id, username from actor_identity").fetchall())
    assert rows[a_key] == ("alice_id_771", "alice1987")
    assert rows[pseudo.account("bob_id_5")] == ("bob_id_5", None)
    assert stat.S_IMODE(os.stat(wh.identity_db).st_mode) == 0o600


def test_identity_map_keeps_the_latest_username_across_partitions(tmp_path, pseudo):
    """The identity map's merge rule, over partitions written in any order: the latest username
    wins, an older snapshot written later does not undo it, an id seen without one never erases it."""
    from datetime import datetime

    from orchestration.ingest import PartitionResult, write_restricted

    wh = WarehousePaths(tmp_path / "wh")

    def write(day: int, identities: dict) -> dict:
        write_restricted(PartitionResult("accounts", date(2026, 11, day), identities=identities), wh, pseudo)
        with duckdb.connect(str(wh.identity_db), read_only=True) as con:
            return {a: (u, w and w.day) for a, u, w in con.execute(
                "SELECT account_id, username, username_seen_at FROM actor_identity").fetchall()}

    seen = lambda day: datetime(2026, 11, day, 12)  # noqa: E731
    assert write(1, {"a1": ("old_name", seen(1)), "a2": (None, None)}) == {"a1": ("old_name", 1), "a2": (None, None)}
    assert write(2, {"a1": (None, None), "a2": (None, None)}) == {"a1": ("old_name", 1), "a2": (None, None)}
    assert write(3, {"a1": ("new_name", seen(3)), "a2": ("named", seen(3))}) == {"a1": ("new_name", 3), "a2": ("named", 3)}
    assert write(1, {"a1": ("old_name", seen(1)), "a3": (None, None)}) == {
        "a1": ("new_name", 3), "a2": ("named", 3), "a3": (None, None)}
    with duckdb.connect(str(wh.identity_db), read_only=True) as con:
        keys = dict(con.execute("SELECT account_id, actor_key FROM actor_identity").fetchall())
    assert keys == {a: pseudo.account(a) for a in ("a1", "a2", "a3")}


def test_key_file_is_created_private_and_stable(tmp_path, monkeypatch):
    from orchestration.pseudonymize import KEY_ENV, load_or_create_key

    monkeypatch.delenv(KEY_ENV, raising=False)
    k = tmp_path / "restricted" / "pseudonym.key"
    key1 = load_or_create_key(k)
    assert stat.S_IMODE(os.stat(k).st_mode) == 0o600 and len(key1) == 64
    assert load_or_create_key(k) == key1
    monkeypatch.setenv(KEY_ENV, "from-env")
    assert load_or_create_key(k) == b"from-env"
    assert Pseudonymizer(b"k1").account("x") != Pseudonymizer(b"k2").account("x")


def test_ip_prefix_and_username_shape():
    from orchestration.pseudonymize import ip_network_prefix, username_shape

    assert ip_network_prefix("192.0.2.200") == ("192.0.2.0/24", 4)
    assert ip_network_prefix("2001:db8:abcd:12::1") == ("2001:db8:abcd::/48", 6)
    assert ip_network_prefix("not-an-ip") == (None, None)
    assert username_shape("anna_1987") == (9, 4, "a_9")
    assert username_shape("x12y345") == (7, 3, "a9a9")


def _lines(n: int) -> bytes:
    return b"".join(json.dumps(event(i)).encode() + b"\n" for i in range(n))


def test_a_bad_gzip_checksum_trusts_none_of_the_members_lines(tmp_path, pseudo):
    """A checksum that fails says some byte of the member is wrong, not which: a flipped byte in
    the data may look like a valid record (acct0017 -> acct0016). So no line of the member loads;
    each is quarantined, its text kept in the restricted store."""
    landing, wh = tmp_path / "landing", WarehousePaths(tmp_path / "wh")
    folder = landing / "events" / f"dt={DAY}"
    folder.mkdir(parents=True)
    intact = _lines(50)
    first = gzip.compress(intact)  # a good member first: it loads
    data = _lines(200)
    stored = bytearray(gzip.compress(data, compresslevel=0))  # stored blocks: the bytes as they are
    pos = bytes(stored).index(b'"e17"')
    stored[pos + 2] ^= 0x01  # "e17" -> "e07"-like: still valid JSON, now the wrong record
    (folder / "crc.jsonl.gz").write_bytes(first + bytes(stored))
    raw = read_raw_lines(folder / "crc.jsonl.gz")
    assert raw.status == "corrupt_gzip" and raw.lines[:50] == intact.split(b"\n")[:-1] and raw.tail is None
    assert raw.untrusted == frozenset(range(51, 251)) and len(raw.lines) == 250
    assert b'"e17"' not in b"".join(raw.lines[50:])  # zlib gave every byte, one of them wrong
    result = ingest_partition("events", landing, DAY, wh, pseudo)
    (f,) = result.files
    assert (f.lines_read, f.loaded, f.duplicates, f.invalid, f.file_status) == (250, 50, 0, 200, "corrupt_gzip")
    reason = "corrupt gzip: a member fails its integrity check, its lines are not trusted"
    assert [(n, r) for _, n, r, _ in result.quarantine] == [(n, reason) for n in range(51, 251)]
    with duckdb.connect(str(wh.db), read_only=True) as con:
        assert con.execute("select count(*) from bronze.events").fetchone()[0] == 50
    with duckdb.connect(str(wh.quarantine_db), read_only=True) as con:
        assert con.execute("select raw_text from quarantine_lines order by line_no limit 1").fetchone()[0] == raw.lines[50].decode()


def test_damaged_gzip_data_quarantines_what_was_decoded_before_the_damage(tmp_path, pseudo):
    """A broken block header in the middle of the stream: what zlib decoded before it is kept,
    line by line, in the quarantine (nothing in the member can be checked), the cut line too."""
    data = _lines(3000)
    gz = bytearray(gzip.compress(data, compresslevel=0))  # stored blocks: LEN, NLEN, then the bytes as they are
    first_len = int.from_bytes(gz[11:13], "little")
    assert gz[10] == 0 and first_len < len(data)  # gzip.compress writes a 10-byte header, no file name
    gz[15 + first_len + 3] ^= 0xFF  # the second block's NLEN no longer matches its LEN
    landing, wh = tmp_path / "landing", WarehousePaths(tmp_path / "wh")
    folder = landing / "events" / f"dt={DAY}"
    folder.mkdir(parents=True)
    (folder / "mid.jsonl.gz").write_bytes(bytes(gz))
    kept = data[:first_len].split(b"\n")
    assert 100 < len(kept) < 3000 and kept[-1]  # the damage cuts a line
    raw = read_raw_lines(folder / "mid.jsonl.gz")
    assert (raw.status, raw.lines, raw.untrusted) == ("corrupt_gzip", kept, frozenset(range(1, len(kept) + 1)))
    result = ingest_partition("events", landing, DAY, wh, pseudo)
    (f,) = result.files
    assert (f.lines_read, f.loaded, f.invalid) == (len(kept), 0, len(kept))
    with duckdb.connect(str(wh.quarantine_db), read_only=True) as con:
        assert [r[0].encode() for r in con.execute("select raw_text from quarantine_lines order by line_no").fetchall()] == kept


def test_zero_padding_after_a_gzip_member_is_not_a_line(tmp_path):
    data = _lines(200)
    padded = tmp_path / "pad.jsonl.gz"  # tape/block padding, which gzip(1) ignores
    padded.write_bytes(gzip.compress(data) + b"\0" * 512)
    between = tmp_path / "between.jsonl.gz"  # padding between concatenated members, as Python's gzip reads it
    between.write_bytes(gzip.compress(data[:1000]) + b"\0" * 7 + gzip.compress(data[1000:]))
    for path in (padded, between):
        raw = read_raw_lines(path)
        assert (raw.status, raw.tail, raw.lines) == ("ok", None, data.split(b"\n")[:-1])
    garbage = tmp_path / "garbage.jsonl.gz"  # anything else after a member is still damage
    garbage.write_bytes(gzip.compress(data) + b"\0\0junk")
    raw = read_raw_lines(garbage)
    assert (raw.status, len(raw.lines), raw.untrusted) == ("corrupt_gzip", 200, frozenset())  # end_of_file: one empty line


def test_files_with_other_endings_are_not_read_but_leave_a_trace(tmp_path, capsys):
    import dagster as dg

    from orchestration.assets.ingest import ingest_assets
    from orchestration.resources import PlatformStorage

    landing, wh = tmp_path / "landing", WarehousePaths(tmp_path / "wh")
    folder = landing / "events" / f"dt={DAY}"
    write(folder, "part-0.jsonl", [event(1)])
    write(folder, "part-1.JSONL", [event(2)])
    write(folder, "part-2.json", [event(3)])
    write(folder, "part-3.jsonl.gzip", [event(4)], gz=True)
    write(folder, "_part-4.json", [event(5)])  # names starting with '_' or '.' are not data: silent
    write(folder, ".part-5.json", [event(6)])
    (folder / "_SUCCESS").write_bytes(b"")
    (asset,) = [a for a in ingest_assets if a.key.path == ["bronze", "events"]]
    meta = asset(dg.build_asset_context(partition_key=DAY.isoformat()),
                 storage=PlatformStorage(landing=str(landing), warehouse=str(wh.root))).metadata
    skipped = [f"events/dt={DAY}/{n}" for n in ("part-1.JSONL", "part-2.json", "part-3.jsonl.gzip")]
    warnings = [line for line in capsys.readouterr().err.splitlines() if " - WARNING - " in line]  # Dagster's console log
    assert len(warnings) == 1 and warnings[0].endswith(
        f"events {DAY}: not read, the contract's data files end .jsonl or .jsonl.gz: " + ", ".join(skipped))
    with duckdb.connect(str(wh.db), read_only=True) as con:
        assert con.execute("select event_id from bronze.events").fetchall() == [("e1",)]
        assert con.execute("select source_file, lines_read, loaded, duplicates, invalid, file_status from bronze.ingest_files "
                           "order by source_file").fetchall() == [
            (f"events/dt={DAY}/part-0.jsonl", 1, 1, 0, 0, "ok")] + [(f, 0, 0, 0, 0, "skipped_not_jsonl") for f in skipped]
    assert meta["skipped_files"].data == skipped and meta["files"] == 1 and meta["lines_read"] == 1
    assert "| events/dt=2026-11-03/part-2.json | skipped_not_jsonl | 0 | 0 | 0 | 0 |" in meta["files_detail"].value


def test_email_domain_keeps_only_the_lower_case_domain():
    from orchestration.ingest import email_domain

    assert email_domain("Jane.Doe@Example.ORG") == "example.org"
    assert email_domain('"a@b"@mail.example.com') == "mail.example.com"  # the last '@' ends the local part
    assert email_domain("GMail.com") == "gmail.com"
    assert email_domain("jane@") == ""
    assert email_domain(None) is None


def test_schema_patterns_read_as_ecma_262():
    from orchestration.contract import python_pattern

    assert python_pattern("^[A-Z]{2}$") == r"^[A-Z]{2}\Z"
    assert python_pattern(r"^a[$]b\$$") == r"^a[$]b\$\Z"  # a $ in a class or escaped is a dollar sign
    with pytest.raises(InvalidRecord, match=r"bad format: region_code does not match \^\[A-Z\]\{2\}\$"):
        schema_for("events").check({"event_id": "x", "event_time": "2026-11-03T10:00:00Z", "account_id": "a",
                                    "event_type": "like", "region_code": "US\n"})
    schema_for("events").check({"event_id": "x", "event_time": "2026-11-03T10:00:00Z", "account_id": "a",
                                "event_type": "like", "region_code": "US"})
