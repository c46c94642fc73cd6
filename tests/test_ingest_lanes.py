"""The vectorised ingest lane (ingest_sql) gives exactly what the reference lane (LineValidator) gives.

Same bronze rows, same quarantine lines and reasons, same per-file counts, same
identity map: on generated data with every kind of corruption, and on lines
written to find where DuckDB's JSON reader and orjson part ways.
"""
from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from unittest import mock

import polars as pl
import pytest

from generator.synth import generate
from orchestration.ingest import _frame, parse_partition, read_raw_lines
from orchestration import ingest_sql
from orchestration.ingest_sql import hmac_pads, parse_partition_vectorised, split_lines, token_macro_sql
from orchestration.pseudonymize import Pseudonymizer

DAY = date(2026, 11, 3)
GOOD_TIME = "2026-11-03T10:00:00.000Z"


def identity_map(result) -> dict:
    """actor_key -> (account_id, username, seen at): what the partition writes to the identity map."""
    rows = result.identity_rows(Pseudonymizer(b"lane-key")).to_pylist()
    assert len({r["actor_key"] for r in rows}) == len(rows)
    return {r["actor_key"]: (r["account_id"], r["username"], r["username_seen_at"]) for r in rows}


def assert_same_result(source: str, landing: Path, dt: date | None) -> tuple:
    ref = parse_partition(source, landing, dt, Pseudonymizer(b"lane-key"))
    vec = parse_partition_vectorised(source, landing, dt, Pseudonymizer(b"lane-key"), min_lines=0)
    # The lane reads UTF-8 files as text and others as bytes it decodes itself: both ways agree.
    with mock.patch.object(ingest_sql, "lines_as_text", lambda lines: None):
        as_bytes = parse_partition_vectorised(source, landing, dt, Pseudonymizer(b"lane-key"), min_lines=0)
    for other in (vec, as_bytes):
        # bronze order carries no meaning: compare rows by their address
        a, b = (_frame(source, r).sort("source_file", "line_no") for r in (ref, other))
        assert a.columns == b.columns and a.dtypes == b.dtypes
        assert a.height == b.height, (ref.totals(), other.totals())
        for col in a.columns:
            assert a[col].to_list() == b[col].to_list(), f"{source} {dt}: column {col} differs"
        assert ref.quarantine == other.quarantine
        assert ref.files == other.files
        assert identity_map(ref) == identity_map(other)
    # and a small partition, read once, through LineValidator alone
    small = parse_partition_vectorised(source, landing, dt, Pseudonymizer(b"lane-key"), min_lines=10**9)
    assert small.rows == ref.rows and small.quarantine == ref.quarantine and small.files == ref.files
    assert identity_map(small) == identity_map(ref) and small.table is None
    return ref, vec


def test_lanes_agree_on_generated_data_with_corruption(tmp_path):
    landing = tmp_path / "landing"
    generate(landing, days=3, accounts=400, seed=11, corrupt_rate=0.04)
    checked = invalid = loaded = 0
    for source in ("accounts", "events", "sessions", "enforcement"):
        for day in sorted((landing / source).iterdir()):
            ref, _ = assert_same_result(source, landing, date.fromisoformat(day.name[3:]))
            checked += 1
            invalid += ref.totals()["invalid"]
            loaded += ref.totals()["loaded"]
    assert checked == 12
    assert invalid > 50 and loaded > 5000  # both lanes really met bad and good lines


def _event(i: int, **over) -> dict:
    rec = {"event_id": f"e{i}", "event_time": GOOD_TIME, "account_id": f"acct{i % 7}", "event_type": "comment",
           "video_id": "v1", "target_account_id": "owner9", "text": f"nice @fan{i % 3} acct{i % 7}",
           "hashtags": ["a"], "mention_account_ids": [f"fan{i % 3}"], "urls": []}
    rec.update(over)
    return rec


def _line(rec: dict | str | bytes) -> bytes:
    if isinstance(rec, bytes):
        return rec
    if isinstance(rec, str):
        return rec.encode()
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode()


# Lines where a JSON reader other than orjson could decide differently.
TRICKY_EVENTS = [
    '{"event_id":"n1","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":NaN}',
    '{"event_id":"n2","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":-Infinity}',
    '{"event_id":"n3","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like",}',
    '{"event_id":"n4","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":[1,2,]}',
    '{"event_id":"n5","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":1e999}',
    '{"event_id":"n6","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","event_type":"dance"}',
    '{"event_id":"n7","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"dance","event_type":"like"}',
    '{"event_id":"n8","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_typ\\u0065":"like"}',
    '{"event_id":"n9","event_time":"2026-11-03T10:00:00Z","account_id":"a\\ud800","event_type":"like"}',
    '{"event_id":"n10","event_time":"2026-11-03T10:00:00Z","account_id":"caf\\u00e9","event_type":"like"}',
    '{"event_id":"n11","event_time":"2026-11-03t10:00:00z","account_id":"a","event_type":"like"}',
    '{"event_id":"n12","event_time":"2026-11-03T10:00:00.1234567Z","account_id":"a","event_type":"like"}',
    '{"event_id":"n13","event_time":"2026-11-03T24:00:00Z","account_id":"a","event_type":"like"}',
    '{"event_id":"n14","event_time":"2026-11-03T10:00:60Z","account_id":"a","event_type":"like"}',
    '{"event_id":"n15","event_time":"2026-02-30T10:00:00Z","account_id":"a","event_type":"like"}',
    '{"event_id":"n16","event_time":"2026-11-03T10:00:00+24:00","account_id":"a","event_type":"like"}',
    '{"event_id":"n17","event_time":"2026-11-04T01:00:00+02:00","account_id":"a","event_type":"like"}',
    '{"event_id":"n18","event_time":"2026-10-30T10:00:00Z","account_id":"a","event_type":"like"}',
    '{"event_id":"n19","event_time":"2026-11-04T00:04:59Z","account_id":"a","event_type":"like"}',
    '{"event_id":"n20","event_time":"2026-11-04T00:05:01Z","account_id":"a","event_type":"like"}',
    '{"event_id":"n21","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","hashtags":null}',
    '{"event_id":"n22","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","hashtags":[1]}',
    '{"event_id":"n23","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","region_code":"US\\n"}',
    '{"event_id":"n24","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","region_code":"us"}',
    '{"event_id":"n25","event_time":"2026-11-03T10:00:00Z","account_id":"","event_type":"like"}',
    '{"event_id":5,"event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like"}',
    '{"event_id":"n27","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","share_channel":null}',
    '{"event_id":"n28","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","share_channel":"fax"}',
    '{"event_id":"n29","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","video_id":true}',
    '{"event_id":"n30" , "event_time" : "2026-11-03T10:00:00Z" , "account_id":"a", "event_type":"like" }',
    '  {"event_id":"n31","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like"}\r',
    '{"event_id":"n32","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like"}\r\r',
    '\ufeff{"event_id":"n33","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like"}',
    '[{"event_id":"n34"}]', '"just a string"', "null", "", "   ", "\r", "{", "{}",
    '{"event_id":"n35","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":{"y":[1,{"z":null}]}}',
    '{"event_id":"n36","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","text":"' + "é" * 5000 + '"}',
    '{"event_id":"n37","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","text":"' + "e\u0301" * 2500 + '"}',
    '{"event_id":"n38","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","text":"' + "😀" * 5001 + '"}',
    '{"event_id":"n39","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","mention_account_ids":["", "b"],"text":"hi @b and a"}',
    '{"event_id":"n40","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","mention_account_ids":[],"target_account_id":""}',
    '{"event_id":"n41","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":"\\"event_type\\":"}',
    '{"event_id":"n42","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","text":"say \\"hi\\", \\\\ ok"}',
    # duplicate keys: same content in another field order (duplicate), other content (conflict)
    '{"event_time":"2026-11-03T10:00:00Z","event_id":"e1","account_id":"acct1","event_type":"comment","video_id":"v1","target_account_id":"owner9","text":"nice @fan1 acct1","hashtags":["a"],"mention_account_ids":["fan1"],"urls":[]}',
    '{"event_id":"e2","event_time":"2026-11-03T10:00:00Z","account_id":"other","event_type":"like"}',
    # a key only orjson can read, the same as a clean line's key: the reference order must win
    '{"event_id":"e\\u0033","event_time":"2026-11-03T10:00:00Z","account_id":"other","event_type":"like"}',
    # escapes in values decode alike; in names, or a NUL, they go line by line
    '{"event_id":"u1","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","text":"\\ud83d\\ude00 \\u00e9t\\u00e9"}',
    '{"event_id":"u2","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","text":"\\ude00\\ud83d"}',
    '{"event_id":"u3","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","text":"nul \\u0000 here"}',
    '{"event_id":"u4","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","text":"\\u00e9 \\": x"}',
    '{"event_id":"u5","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x\\u0079z":1}',
    '{"event_id":"u6","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","event_type":"lik\\u0065"}',
    '{"event_id":"u7","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"lik\\u0065","region_code":"\\u0055S"}',
    '{"event_id":"u8","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","region_code":"\\u00dcS"}',
    # raw control characters (UTF-8, so the lane reads them as text): inside a string, and between tokens
    '{"event_id":"c1","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","text":"nul \x00 raw"}',
    '{"event_id":"c2","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","text":"tab \t raw"}',
    '{"event_id":"c3","event_time":"2026-11-03T10:00:00Z","account_id":"a",\t"event_type":"like"}',
    '{"event_id":"c4","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like"}\x00',
    # an extra field nested deeper than orjson reads (1024 levels): "not JSON" in both lanes; 1000 levels load
    '{"event_id":"d1","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":' + "[" * 1100 + "]" * 1100 + '}',
    '{"event_id":"d2","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":' + "[" * 1000 + "]" * 1000 + '}',
    # a number beyond a double with a short exponent: orjson rejects it (infinity), yyjson reads it
    '{"event_id":"b1","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":1' + "0" * 210 + 'e99}',
    '{"event_id":"b2","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":[-' + "9" * 299 + 'e10]}',
    '{"event_id":"b3","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","x":' + "9" * 99 + 'e99}',
    # an array or object where an enum value belongs
    '{"event_id":"b4","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":["like"]}',
    '{"event_id":"b5","event_time":"2026-11-03T10:00:00Z","account_id":"a","event_type":"like","share_channel":{}}',
    # offsets with 60 minutes or more are no RFC 3339; a UTC instant outside the years 1..9999
    '{"event_id":"b6","event_time":"2026-11-03T10:00:00+05:75","account_id":"a","event_type":"like"}',
    '{"event_id":"b7","event_time":"2026-11-03T10:00:00-00:60","account_id":"a","event_type":"like"}',
    '{"event_id":"b8","event_time":"9999-12-31T23:59:59-01:00","account_id":"a","event_type":"like"}',
    '{"event_id":"b9","event_time":"0001-01-01T00:00:00+01:00","account_id":"a","event_type":"like"}',
]


@pytest.mark.parametrize("utf8_only", [False, True], ids=["with-bad-utf8", "all-utf8"])
def test_lanes_agree_on_lines_where_json_readers_differ(tmp_path, utf8_only):
    landing = tmp_path / "landing"
    folder = landing / "events" / f"dt={DAY}"
    folder.mkdir(parents=True)
    clean = [_line(_event(i)) for i in range(60)]
    not_utf8 = [] if utf8_only else [b"\xff\xfe{not utf8}", b'{"event_id":"u","text":"\xc3"}']
    tricky = [_line(t) for t in TRICKY_EVENTS] + not_utf8
    (folder / "a.jsonl").write_bytes(b"\n".join(clean[:30] + tricky) + b"\n")
    (folder / "b.jsonl").write_bytes(b"\n".join(clean[30:] + clean[:5]))  # re-delivered lines, no final newline
    (folder / "c.jsonl.gz").write_bytes(gzip.compress(b"\n".join(clean[:40]) + b"\n")[:-30])  # truncated gzip
    (folder / "d.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")  # a bad gzip stream
    (folder / "e.jsonl").write_bytes(b"")
    more = [_line(_event(i)) for i in range(100, 120)]
    crc = bytearray(gzip.compress(b"\n".join(more[:10]) + b"\n"))
    crc[-6] ^= 0xFF  # a bad checksum after intact data
    (folder / "f.jsonl.gz").write_bytes(bytes(crc) + b"\0" * 64)  # none of its lines trusted
    (folder / "g.jsonl.gz").write_bytes(gzip.compress(b"\n".join(more[10:]) + b"\n") + b"\0" * 64)  # zero padding
    (folder / "h.json").write_bytes(clean[0] + b"\n")  # not .jsonl: not read, but listed
    (folder / "_SUCCESS").write_bytes(b"")
    ref, vec = assert_same_result("events", landing, DAY)
    totals = ref.totals()
    assert totals["loaded"] > 60 and totals["duplicates"] > 30 and totals["invalid"] > 30
    assert vec.table is not None  # the fast lane ran: no fallback to the reference lane
    reasons = {r.split(":")[0] for _, _, r, _ in ref.quarantine}
    assert {"not JSON", "unknown enum value", "bad timestamp", "impossible time",
            "wrong type", "duplicate key with different content", "truncated gzip", "corrupt gzip"} <= reasons
    assert ("not UTF-8" in reasons) != utf8_only
    assert [r for _, _, r, t in ref.quarantine if '"d1"' in t] == ["not JSON: depth limit exceeded"]
    reason_of = {json_id: r for _, _, r, t in ref.quarantine for json_id in ("b1", "b2", "b4", "b5", "b6", "b7", "b8", "b9")
                 if f'"{json_id}"' in t}
    assert reason_of["b1"].startswith("not JSON") and reason_of["b2"].startswith("not JSON")
    assert reason_of["b4"] == reason_of["b5"][:-len("share_channel")] + "event_type" == "unknown enum value: event_type"
    assert reason_of["b6"] == reason_of["b7"] == "bad timestamp: event_time is not an RFC 3339 date-time"
    assert reason_of["b8"] == reason_of["b9"] == "bad timestamp: event_time is outside the years 1 to 9999 in UTC"
    assert "b3" in _frame("events", ref)["event_id"].to_list()  # 1e198: large, but a double
    # JSON Schema patterns are ECMA-262: $ is the end of the string, not "before a final newline"
    assert [r for _, _, r, t in ref.quarantine if '"n23"' in t] == ["bad format: region_code does not match ^[A-Z]{2}$"]
    assert "d2" in _frame("events", ref)["event_id"].to_list()  # deep, but not too deep: it loads
    # an empty id names no account: no pseudonym for it, no identity row
    rows = {r["event_id"]: r for r in _frame("events", ref).filter(pl.col("event_id").is_in(["n39", "n40"])).to_dicts()}
    key = Pseudonymizer(b"lane-key").account
    assert rows["n39"]["mention_actor_keys"] == [key("b")] and rows["n40"]["target_actor_key"] is None
    assert rows["n40"]["mention_actor_keys"] is None
    assert "" not in {account for account, _, _ in identity_map(ref).values()}
    files = {f.source_file.split("/")[-1]: (f.lines_read, f.loaded, f.duplicates, f.invalid, f.file_status) for f in ref.files}
    assert files["f.jsonl.gz"] == (10, 0, 0, 10, "corrupt_gzip") and files["g.jsonl.gz"] == (10, 10, 0, 0, "ok")
    assert files["h.json"] == (0, 0, 0, 0, "skipped_not_jsonl") and ref.skipped() == [f"events/dt={DAY}/h.json"]


def test_a_key_only_orjson_reads_sends_the_partition_to_the_reference_lane(tmp_path):
    landing = tmp_path / "landing"
    clean = [_line(_event(i)) for i in range(20)]
    # DuckDB reads event_id "zz" (first), orjson "e5" (last): it meets the clean line e5
    named_twice = b'{"event_id":"zz","event_id":"e5","event_time":"2026-11-03T11:00:00Z","account_id":"b","event_type":"like"}'
    write_lines(landing / "events" / f"dt={DAY}" / "a.jsonl", clean + [named_twice])
    ref, vec = assert_same_result("events", landing, DAY)
    assert vec.table is None  # fell back: the whole partition through LineValidator
    assert ref.quarantine[-1][2] == "duplicate key with different content: event_id"


def test_producers_that_escape_all_non_ascii_keep_the_fast_lane(tmp_path):
    # Python's json.dumps default: every non-ASCII character as \\uXXXX, ", " and ": " separators
    landing = tmp_path / "landing"
    recs = [_event(i, text=f"caf\u00e9 {i} \U0001F600 @fan{i % 3}", account_id=f"\u00fcser{i % 4}") for i in range(50)]
    path = landing / "events" / f"dt={DAY}" / "a.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in recs))
    assert b"\\u00e9" in path.read_bytes()
    ref, vec = assert_same_result("events", landing, DAY)
    assert ref.totals()["loaded"] == 50 and vec.fast_loaded == 50


def test_lanes_agree_on_accounts_and_sessions_edge_values(tmp_path):
    landing = tmp_path / "landing"
    acc = landing / "accounts" / f"dt={DAY}"
    ses = landing / "sessions" / f"dt={DAY}"
    accounts = []
    for i in range(40):
        accounts.append({"account_id": f"acct{i}", "event_time": GOOD_TIME, "change_type": "snapshot",
                         "created_at": "2025-01-01T00:00:00Z", "username": f"user_{i}x{i * 7}",
                         "display_name": f"User {i}", "bio": f"I am User {i} (acct{i}), ask @user_{(i + 1) % 40}x" if i % 2 else None,
                         "signup_ip": ["10.0.0.1", "2001:db8::1", " 10.0.0.2", "010.0.0.3", "300.1.1.1", None][i % 6],
                         "signup_device_id": f"dev{i % 3}", "is_verified": bool(i % 3), "avatar_hash": "ab" * 8})
    # the same account renamed later in the day, then an older snapshot: the latest username wins
    accounts.append(dict(accounts[1], event_time="2026-11-03T11:00:00Z", change_type="updated", username="renamed"))
    accounts.append(dict(accounts[1], event_time="2026-11-03T09:00:00Z", username="older"))
    accounts.append(dict(accounts[2], created_at="2026-11-03T12:00:00Z"))  # created after event_time
    accounts.append(dict(accounts[3], is_verified=None))
    accounts.append(dict(accounts[4], event_time="2026-11-03T10:00:00Z", signup_country="DE"))  # same instant: a conflict
    # e-mail domains: only the domain lands, lower case (Python's lower() and DuckDB's differ beyond ASCII)
    domains = ["Jane.Doe@Example.ORG", "gmail.com", "a@b@Mail.Example.com", "x@", "", "İSTANBUL.ÖRG", None, "GMAIL.COM"]
    for i, domain in enumerate(domains):
        accounts.append(_account(100 + i, email_domain=domain))
    accounts.append(_account(200, display_name="Al", bio="Al says hi"))  # a name this short stays: it is a word too
    accounts.append(_account(201, display_name="Maria Sanchez", bio="Maria Sanchez here"))  # no '@': SQL must still route it
    write_lines(acc / "part.jsonl", accounts)
    sessions = []
    for i in range(40):
        sessions.append({"session_id": f"s{i}", "event_time": GOOD_TIME, "account_id": f"acct{i % 9}",
                         "ip": ["192.168.1.20", "::ffff:1.2.3.4", "fe80::1%eth0", "1.2.3.4 ", "8.8.8.8"][i % 5],
                         "asn": [64512, 4294967295, 4294967296, -1, 1.0, 10 ** 20, None, 7, 100.0, -0.0, 2.0 ** 64, 1.5][i % 12],
                         "success": i % 4 != 0, "login_method": ["sms", None, "pigeon", "token"][i % 4]})
    write_lines(ses / "part.jsonl", sessions)
    ref_a, _ = assert_same_result("accounts", landing, DAY)
    ref_s, _ = assert_same_result("sessions", landing, DAY)
    assert ref_a.identities["acct1"][0] == "renamed"
    emails = dict(_frame("accounts", ref_a).filter(pl.col("line_no").is_between(46, 45 + len(domains))).select("line_no", "email_domain").rows())
    assert list(emails.values()) == ["example.org", "gmail.com", "mail.example.com", "", "", "i\u0307stanbul.örg", None, "gmail.com"]
    # display names in bios are replaced whole, as the names' own pseudonyms
    bios = _frame("accounts", ref_a).select("bio").to_series().drop_nulls().to_list()
    assert not [b for b in bios if "User" in b or "acct" in b or "Maria" in b] and "Al says hi" in bios
    assert any(Pseudonymizer(b"lane-key").token("display_name", "User 3") in b for b in bios)
    assert ref_a.totals()["invalid"] >= 1 and ref_s.totals()["invalid"] >= 10
    # JSON Schema's integers include 1.0 and -0.0; bronze holds them as integers
    asn = dict(_frame("sessions", ref_s).select("session_id", "asn").rows())
    assert (asn["s4"], asn["s8"], asn["s9"], asn["s0"]) == (1, 100, 0, 64512)
    assert "s10" not in asn and "s11" not in asn  # 2^64 is out of range, 1.5 no integer
    reasons = {n: r for _, n, r, _ in ref_s.quarantine}
    assert reasons[11] == "out of range: asn outside [0, 4294967295]" and reasons[12].startswith("wrong type: asn is number")


def test_lanes_agree_on_a_partition_without_lines(tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "events" / f"dt={DAY}"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(b"")
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(b""))
    ref, vec = assert_same_result("events", landing, DAY)
    assert [(f.lines_read, f.file_status) for f in ref.files] == [(0, "empty"), (0, "empty")]


def _account(i: int, **over) -> dict:
    rec = {"account_id": f"acct{i}", "event_time": GOOD_TIME, "change_type": "snapshot",
           "created_at": "2025-01-01T00:00:00Z", "username": f"user{i}"}
    rec.update(over)
    return rec


def test_a_key_time_compares_as_an_instant_in_both_lanes(tmp_path):
    """(account_id, event_time): one instant written three ways is one key. The same record again
    is a duplicate (its bronze row would be the same), with other content a conflict."""
    landing = tmp_path / "landing"
    write_lines(landing / "accounts" / f"dt={DAY}" / "a.jsonl", [
        _account(1, event_time="2026-11-03T10:00:00Z"),
        _account(1, event_time="2026-11-03T10:00:00.000Z", created_at="2025-01-01T01:00:00+01:00"),  # duplicate
        _account(1, event_time="2026-11-03T11:00:00+01:00", username="other"),  # conflict
        _account(1, event_time="2026-11-03T10:00:00.001Z"),  # another instant: a row of its own
    ] + [_account(i) for i in range(2, 30)])
    ref, vec = assert_same_result("accounts", landing, DAY)
    (f,) = ref.files
    assert (f.lines_read, f.loaded, f.duplicates, f.invalid) == (32, 30, 1, 1)
    assert [(n, r) for _, n, r, _ in ref.quarantine] == [(3, "duplicate key with different content: account_id+event_time")]
    assert vec.fast_loaded == 29  # line 4 and the clean accounts went in bulk, the repeated key line by line
    assert _frame("accounts", ref).filter(pl.col("line_no") <= 4)["line_no"].sort().to_list() == [1, 4]


def test_a_key_time_only_orjson_reads_meets_a_fast_row_as_an_instant(tmp_path):
    # DuckDB reads the first event_time (09:00), orjson the last: the same instant as the clean
    # line 1, spelled otherwise. Only the reference lane orders that pair: the lane falls back.
    landing = tmp_path / "landing"
    named_twice = (b'{"account_id":"acct1","event_time":"2026-11-03T09:00:00Z","change_type":"snapshot",'
                   b'"created_at":"2025-01-01T00:00:00Z","username":"user1","event_time":"2026-11-03T10:00:00Z"}')
    write_lines(landing / "accounts" / f"dt={DAY}" / "a.jsonl", [_account(i) for i in range(1, 20)] + [named_twice])
    ref, vec = assert_same_result("accounts", landing, DAY)
    assert vec.table is None
    (f,) = ref.files
    assert (f.lines_read, f.loaded, f.duplicates, f.invalid) == (20, 19, 1, 0)


def write_lines(path: Path, recs: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(_line(r) + b"\n" for r in recs))


@pytest.mark.parametrize("data,status", [
    (b"", "ok"), (b"a\nb\n", "ok"), (b"a\nb", "ok"), (b"\n\n", "ok"), (b"a\r\nb\r\n", "ok"),
    (b"a\nb\npart", "truncated_gzip"), (b"", "truncated_gzip"),
])
def test_split_lines_matches_python_split(tmp_path, data, status):
    lines, raw = split_lines(data, status)
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    expected = read_raw_lines(path) if status == "ok" else None
    got = [l[:-1] if l.endswith(b"\n") else l for l in lines.to_pylist()]
    if expected is not None:
        assert got == expected.lines and raw.status == expected.status and raw.tail == expected.tail
    else:  # cut: what follows the last newline is the tail, never a line
        parts = data.split(b"\n")
        assert got == parts[:-1] and raw.tail == parts[-1]


@pytest.mark.parametrize("data,spans,untrusted", [
    (b"a\nb\nc\nd", [(4, 7)], {3, 4}),         # a damaged member gave "c\nd"
    (b"a\nb\nc\nd\n", [(3, 6)], {2, 3}),         # ... starting inside "b": b is not trusted either
    (b"a\nb\nc\nd\n", [(2, 4), (6, 6)], {2}),    # two damaged members, the second gave nothing
    (b"a\n", [(2, 2)], set()),                  # it gave nothing: end_of_file quarantines one empty line
    (b"xy", [(0, 2)], {1}),
])
def test_split_lines_marks_the_lines_of_damaged_members(tmp_path, data, spans, untrusted):
    got, raw = split_lines(data, "corrupt_gzip", spans)
    assert [l.rstrip(b"\n") for l in got.to_pylist()] == data.rstrip(b"\n").split(b"\n")
    assert raw.untrusted == frozenset(untrusted) and raw.tail is None


def test_a_damaged_member_between_good_ones_costs_only_its_own_lines(tmp_path):
    """Three gzip members in one file, the middle one with a bad checksum: the first and the last
    load, the middle one's lines are quarantined in their place, in both lanes."""
    landing = tmp_path / "landing"
    folder = landing / "events" / f"dt={DAY}"
    folder.mkdir(parents=True)
    lines = [_line(_event(i)) + b"\n" for i in range(30)]
    middle = bytearray(gzip.compress(b"".join(lines[10:20])))
    middle[-6] ^= 0xFF  # its CRC
    (folder / "m.jsonl.gz").write_bytes(gzip.compress(b"".join(lines[:10])) + bytes(middle) + gzip.compress(b"".join(lines[20:])))
    raw = read_raw_lines(folder / "m.jsonl.gz")
    assert raw.status == "corrupt_gzip" and len(raw.lines) == 30 and raw.untrusted == frozenset(range(11, 21))
    ref, vec = assert_same_result("events", landing, DAY)
    (f,) = ref.files
    assert (f.lines_read, f.loaded, f.invalid) == (30, 20, 10)
    assert [n for _, n, _, _ in ref.quarantine] == list(range(11, 21))
    assert sorted(_frame("events", ref)["line_no"].to_list()) == [*range(1, 11), *range(21, 31)]


def test_sql_pseudonyms_equal_python_pseudonyms():
    import duckdb

    for key in (b"k", b"x" * 64, b"long" * 40):  # short, block-sized, and hashed-first keys
        p = Pseudonymizer(key)
        con = duckdb.connect()
        con.execute(token_macro_sql(p))
        values = ["acct1", "", "café", "😀 x", "a" * 200]
        for kind in ("account", "username", "display_name", "device", "ip"):
            got = [con.execute("SELECT tg_token(?, ?)", [kind, v]).fetchall()[0][0] for v in values]
            assert got == [p.token(kind, v) for v in values]
        assert con.execute("SELECT tg_token('account', NULL)").fetchall()[0][0] is None
        con.close()
    inner, outer = hmac_pads(b"k")
    assert len(inner) == len(outer) == 64 and inner[0] == ord("k") ^ 0x36 and outer[1] == 0x5C


def test_lines_as_text_only_for_utf8():
    good, _ = split_lines("ok é 😀\nnext\n".encode(), "ok")
    bad, _ = split_lines(b"ok\n\xff\xfe\n", "ok")
    assert ingest_sql.lines_as_text(good).to_pylist() == ["ok é 😀\n", "next\n"]
    assert ingest_sql.lines_as_text(bad) is None


def test_bulk_insert_into_bronze_equals_the_reference_lane(tmp_path):
    """ingest_partition inserts the fast rows straight from DuckDB: bronze, quarantine, file counts
    and identity map equal those the reference lane writes."""
    import duckdb

    from orchestration.ingest import ingest_partition, write_partition
    from orchestration.warehouse import WarehousePaths

    landing = tmp_path / "landing"
    generate(landing, days=2, accounts=600, seed=5, corrupt_rate=0.03)
    ref_paths, vec_paths = WarehousePaths(tmp_path / "ref"), WarehousePaths(tmp_path / "vec")
    p = Pseudonymizer(b"lane-key")
    bulk = 0
    for source in ("accounts", "events", "sessions", "enforcement", "indicators"):
        days = [None] if source == "indicators" else [date.fromisoformat(d.name[3:]) for d in sorted((landing / source).iterdir())]
        for day in days:
            write_partition(parse_partition(source, landing, day, p), ref_paths, p)
            with mock.patch.object(ingest_sql, "VECTORISED_MIN_LINES", 0):  # small partitions too
                bulk += ingest_partition(source, landing, day, vec_paths, p).fast_loaded
    assert bulk > 5_000  # most rows took the bulk insert
    ignore = {"ingested_at"}
    for db, tables in ((lambda w: w.db, ["bronze.accounts", "bronze.events", "bronze.sessions", "bronze.enforcement",
                                          "bronze.indicators", "bronze.quarantine", "bronze.ingest_files"]),
                       (lambda w: w.identity_db, ["actor_identity"]), (lambda w: w.quarantine_db, ["quarantine_lines"])):
        ref, vec = duckdb.connect(str(db(ref_paths)), read_only=True), duckdb.connect(str(db(vec_paths)), read_only=True)
        for table in tables:
            cols = [c for (c,) in ref.execute(f"SELECT column_name FROM (DESCRIBE {table})").fetchall() if c not in ignore]
            q = f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL"
            a, b = ref.execute(q).fetchall(), vec.execute(q).fetchall()
            assert len(a) > 0 and a == b, table
        ref.close()
        vec.close()


def test_lanes_scrub_free_text_and_urls_alike(tmp_path):
    """Own ids and names in any letter case, other numeric ids (runs of 6+ digits), profile handles
    and addresses in shared URLs: replaced by the same pseudonyms in both lanes."""
    landing = tmp_path / "landing"
    p = Pseudonymizer(b"lane-key")
    events = []
    for i in range(30):
        events.append({"event_id": f"e{i}", "event_time": GOOD_TIME, "account_id": f"9000000000000000{i:03d}",
                       "event_type": "share", "text": None, "urls": ["https://news.example/a/1234567"]})
    events[1]["text"] = "say hi to 9000000000000000999 and ACCT-X, or call 0123456789"
    events[1]["mention_account_ids"] = ["acct-x"]
    events[2]["urls"] = ["https://platform.example/@Zelda.Q77", "mailto:Jane.Roe@Example.org", "https://x.example/p"]
    events[3]["text"] = "nothing personal here, 12345 is short"
    del events[3]["urls"]
    # the id in another letter case is all these texts hold: only a case-blind pre-filter sends them to Python
    events[4].update(text="hi ACCT-X", mention_account_ids=["acct-x"])
    events[5].update(text="\u2126\u03c2 hello", mention_account_ids=["\u03c9\u03c3"])  # Ohm sign, final sigma
    events[6].update(text="K\u017f", mention_account_ids=["ks"])  # Kelvin sign, long s
    events[7]["urls"] = ["https://promo@evil.example/landing"]  # user info goes, the host stays
    write_lines(landing / "events" / f"dt={DAY}" / "a.jsonl", events)
    accounts = [_account(i) for i in range(30)]
    accounts[1].update(account_id="9000000000000000001", username="Zelda.Q77", display_name="Zelda Quixote",
                       bio="I am zelda quixote aka ZELDA.Q77, my friend is 9000000000000000002")
    write_lines(landing / "accounts" / f"dt={DAY}" / "a.jsonl", accounts)
    ref_e, vec_e = assert_same_result("events", landing, DAY)
    ref_a, vec_a = assert_same_result("accounts", landing, DAY)
    assert vec_e.fast_loaded and vec_a.fast_loaded  # the bulk lane took them: both lanes were compared
    ev = {r["event_id"]: r for r in _frame("events", ref_e).to_dicts()}
    acct = lambda v: p.token("account", v)  # noqa: E731
    assert ev["e1"]["text"] == f"say hi to {acct('9000000000000000999')} and {acct('acct-x')}, or call {acct('0123456789')}"
    assert ev["e2"]["urls"] == [f"https://platform.example/@{acct('Zelda.Q77')}",
                                f"mailto:{p.token('email', 'jane.roe@example.org')}", "https://x.example/p"]
    assert ev["e3"]["text"] == "nothing personal here, 12345 is short" and ev["e3"]["urls"] is None
    assert ev["e4"]["text"] == f"hi {acct('acct-x')}"
    assert ev["e5"]["text"] == acct("\u03c9\u03c3") + " hello" and ev["e6"]["text"] == acct("ks")
    assert ev["e7"]["urls"] == ["https://evil.example/landing"]
    assert ev["e0"]["urls"] == ["https://news.example/a/1234567"]  # a link's own numbers stay: it reads the same for all
    (bio,) = _frame("accounts", ref_a).filter(pl.col("bio").is_not_null())["bio"].to_list()
    assert bio == (f"I am {p.token('display_name', 'Zelda Quixote')} aka {acct('Zelda.Q77')}, "
                   f"my friend is {acct('9000000000000000002')}")
