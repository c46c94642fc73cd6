"""What pseudonymisation leaves of personal data in the fields analysts see: nothing.

username_shape reaches the published actors table; free_text reaches bronze and staging texts.
"""
import re

import pytest

from expectations.runner import PATTERNS
from orchestration.pseudonymize import Pseudonymizer, username_shape

P = Pseudonymizer(b"test-key")
SHAPE_ALPHABET = set("a9_.-~")


@pytest.mark.parametrize("username, expected", [
    ("anna_1987", (9, 4, "a_9")),
    ("Ольга_Петрова", (13, 0, "a_a")),          # Cyrillic letters are letters
    ("李小龙", (3, 0, "a")),
    ("josé_garcía", (11, 0, "a_a")),             # one run, not a, é, a
    ("علي٣٤٥", (6, 3, "a9")),                    # Arabic-Indic digits are digits
    ("anna★1987 x", (11, 4, "a~9~a")),           # a symbol or a space is '~', never itself
    ("x.y-z", (5, 0, "a.a-a")),
])
def test_username_shape_keeps_no_character_of_the_name(username, expected):
    assert username_shape(username) == expected
    assert set(username_shape(username)[2]) <= SHAPE_ALPHABET


def test_free_text_replaces_addresses_whole_and_case_insensitively():
    text = P.free_text("write to Jane.Doe@Example.org or jane.doe@example.org, not @ me")
    token = P.token("email", "jane.doe@example.org")
    assert text == f"write to {token} or {token}, not @ me"
    assert not re.search(PATTERNS["email_address"], text) and not re.search(PATTERNS["raw_mention"], text)


@pytest.mark.parametrize("handle", ["Ольга_Петрова", "李小龙", "josé_garcía", "x" * 300,
                                    "प्रिया_शर्मा", "วิชัย", "Jose\u0301phine", "Ірина", "Nguyễn"])  # combining marks, any script
def test_free_text_replaces_mentions_in_any_script_and_of_any_length(handle):
    assert P.free_text(f"hey @{handle}!") == f"hey @{P.token('account', handle)}!"
    # the gate on analyst tables sees the raw mention, and not what ingest leaves
    assert re.search(PATTERNS["raw_mention"], f"hey @{handle}!")
    assert not re.search(PATTERNS["raw_mention"], P.free_text(f"hey @{handle}!"))


def test_a_mention_ends_on_a_word_character():
    # "@bob." at the end of a sentence is bob's mention, the same pseudonym as "@bob"
    assert P.free_text("thanks @bob. and @bob") == f"thanks @{P.token('account', 'bob')}. and @{P.token('account', 'bob')}"


def test_an_address_with_combining_marks_goes_whole():
    address = "jose\u0301.garcia@correo.es"
    assert P.free_text(f"write {address}") == "write " + P.token("email", address)


def test_a_handle_shaped_like_a_pseudonym_but_not_one_is_replaced():
    # only a_ + 20 hex is a pseudonym; anything else after @ is somebody's handle (and trips the gate)
    assert P.free_text("dm @a_zzzzzzzzzzzzzzzzzzzz") == f"dm @{P.token('account', 'a_zzzzzzzzzzzzzzzzzzzz')}"


def test_names_and_ids_are_replaced_longest_first_and_names_as_words():
    text = P.free_text("I am maria.garcia.1990 aka maria.garcia. Annual report by Ann, not   x",
                       ["maria.garcia.1990"], ["maria.garcia", "Ann", "   "])
    assert text == (f"I am {P.token('account', 'maria.garcia.1990')} aka {P.token('display_name', 'maria.garcia')}. "
                    f"Annual report by {P.token('display_name', 'Ann')}, not   x")


def test_known_ids_inside_longer_ones_leave_no_rest():
    # acc_1 is inside acc_10: replaced first, it would leave "...0" of acc_10 behind
    text = P.free_text("acc_10 follows acc_1", ["acc_1", "acc_10"])
    assert text == f"{P.token('account', 'acc_10')} follows {P.token('account', 'acc_1')}"


def test_pseudonyms_already_in_the_text_stay():
    once = P.free_text("cc @acc_7 and mail me at a@b.io", ["acc_7"])
    assert P.free_text(once) == once


@pytest.mark.parametrize("field, value", [("change_type", "jane.roe@example.com"), ("signup_country", "Jane Roe"),
                                          ("event_time", "user 555-0100 jane")])
def test_quarantine_reasons_name_the_rule_not_the_value(field, value):
    # reasons are analyst-side (bronze.quarantine); a value in the wrong field may be anyone's data
    from orchestration.contract import InvalidRecord, schema_for

    rec = {"account_id": "acc_1", "event_time": "2026-11-03T10:00:00Z", "change_type": "snapshot",
           "created_at": "2020-01-01T00:00:00Z", "username": "jane_roe", field: value}
    with pytest.raises(InvalidRecord) as e:
        schema_for("accounts").check(rec)
    reason = str(e.value)
    assert reason.split(":")[0] in {"unknown enum value", "bad format", "bad timestamp"} and field in reason
    assert "jane" not in reason.lower() and "555" not in reason


def test_display_names_in_free_text_are_replaced_whole():
    text = P.free_text("I am José García López, or José for short. Al says hi", (), ("José García López", "Al"))
    assert text == f"I am {P.token('display_name', 'José García López')}, or José for short. Al says hi"


def test_an_out_of_range_number_is_not_in_the_reason():
    from orchestration.contract import InvalidRecord, schema_for

    rec = {"session_id": "s1", "event_time": "2026-11-03T10:00:00Z", "account_id": "acc_1", "ip": "10.0.0.1",
           "success": True, "asn": -15551234567}
    with pytest.raises(InvalidRecord) as e:
        schema_for("sessions").check(rec)
    assert str(e.value).startswith("out of range: asn") and "1555" not in str(e.value)


def test_a_warehouse_refuses_a_second_pseudonym_key(tmp_path, monkeypatch):
    from orchestration.pseudonymize import PseudonymKeyMismatch, key_fingerprint
    from orchestration.resources import PlatformStorage

    storage = PlatformStorage(landing=str(tmp_path), warehouse=str(tmp_path / "wh"))
    monkeypatch.setenv("THREATGRAPH_PSEUDONYM_KEY", "first-key")
    first = storage.pseudonymizer()
    fingerprint = storage.paths.key_fingerprint_file
    assert fingerprint.read_text().strip() == key_fingerprint(b"first-key") != key_fingerprint(b"other-key")
    assert "first-key" not in fingerprint.read_text() and oct(fingerprint.stat().st_mode)[-3:] == "600"
    assert storage.pseudonymizer().account("x") == first.account("x")  # same key: fine, every time
    monkeypatch.setenv("THREATGRAPH_PSEUDONYM_KEY", "other-key")
    with pytest.raises(PseudonymKeyMismatch, match="not the one this warehouse was built with"):
        storage.pseudonymizer()
    monkeypatch.delenv("THREATGRAPH_PSEUDONYM_KEY")  # the key file made now would be a third key
    with pytest.raises(PseudonymKeyMismatch):
        storage.pseudonymizer()


def test_own_names_and_ids_are_replaced_in_any_letter_case():
    text = P.free_text("I am zelda quixote aka ZELDA.Q77", ("9000000000000000001", "Zelda.Q77"), ("Zelda Quixote",))
    assert text == f"I am {P.token('display_name', 'Zelda Quixote')} aka {P.token('account', 'Zelda.Q77')}"


def test_runs_of_six_digits_or_more_are_taken_for_account_ids():
    text = P.free_text("friend 9000000000000000002, call 0123456, not 12345, v2_1234567 or 1234567x", ())
    assert text == (f"friend {P.token('account', '9000000000000000002')}, call {P.token('account', '0123456')}, "
                    "not 12345, v2_1234567 or 1234567x")
    assert P.free_text(text) == text  # pseudonyms hold digit runs inside, never standing alone


def test_a_pseudonym_is_not_searched_again_for_a_shorter_id():
    token = P.token("account", "acc_10")
    short = next(d for d in ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9") if d in token[2:])
    assert P.free_text("acc_10", ["acc_10", short]) == token


def test_urls_lose_profile_handles_and_addresses_only():
    assert P.url("https://platform.example/@Zelda.Q77/video/1234567") == \
        f"https://platform.example/@{P.token('account', 'Zelda.Q77')}/video/1234567"
    assert P.url("mailto:Jane.Roe@Example.org") == f"mailto:{P.token('email', 'jane.roe@example.org')}"
    assert P.url("https://news.example/a/1234567?id=9") == "https://news.example/a/1234567?id=9"
    assert P.url(None) is None
    # user info names a person and hides the host from domain indicators: it goes, the host stays
    assert P.url("https://promo@evil.example/landing") == "https://evil.example/landing"
    assert P.url("https://user:pw@evil.example/x?to=Jane@x.org") == f"https://evil.example/x?to={P.token('email', 'jane@x.org')}"
    assert P.url("https://maps.example/maps/@52.52,13.40,15z") == "https://maps.example/maps/@52.52,13.40,15z"  # no handle


def test_a_handle_reads_the_same_in_text_and_in_a_link():
    token = P.token("account", "john.1234567")
    assert P.free_text("cc @john.1234567") == f"cc @{token}"
    assert P.url("https://p.example/@john.1234567") == f"https://p.example/@{token}"
