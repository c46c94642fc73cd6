"""Keyed pseudonyms for personal data (HMAC-SHA-256).

The same value always maps to the same pseudonym for a given key, so joins keep
working across days, while nobody without the key can reverse or recompute it.
The key comes from THREATGRAPH_PSEUDONYM_KEY, or from a key file created with
mode 0600 on first use inside the restricted store.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import unicodedata
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

KEY_ENV = "THREATGRAPH_PSEUDONYM_KEY"

# Prefix per kind: a pseudonym says what it stands for.
PREFIX = {"account": "a_", "username": "u_", "display_name": "n_", "device": "d_", "ip": "ip_", "email": "e_"}
DIGEST_HEX_CHARS = 20  # 80 bits: collisions are negligible at hundreds of millions of accounts
MIN_NAME_CHARS = 3


def bmp_char_class(keep) -> str:
    """The non-ASCII BMP characters `keep` accepts, as literal ranges for a regex character class
    (Python's re and RE2 read them alike)."""
    out, start = [], None
    for c in range(0x80, 0x10001):
        ok = c < 0x10000 and not 0xD800 <= c < 0xE000 and keep(chr(c))
        if ok and start is None:
            start = c
        elif not ok and start is not None:
            out.append(chr(start) if c - 1 == start else f"{chr(start)}-{chr(c - 1)}")
            start = None
    return "".join(out)


# Python's \w is Unicode but leaves out combining marks (Devanagari vowel signs, Thai tone marks,
# a decomposed accent): without them a handle would end mid-name and leave the rest in the text.
COMBINING_MARKS = bmp_char_class(lambda ch: unicodedata.category(ch).startswith("M"))
_WORD = rf"[\w{COMBINING_MARKS}]"
# An address goes first, whole (the lookbehind starts it once, not at every letter of a long word),
# so its domain is not read as a mention and its local part does not stay behind.
_EMAIL = re.compile(rf"(?<![\w{COMBINING_MARKS}.%+\-])[\w{COMBINING_MARKS}.%+\-]+@[\w{COMBINING_MARKS}\-]+(?:\.[\w{COMBINING_MARKS}\-]+)+")
# A handle starts on a letter or digit and ends on one (or a mark): "@bob." is bob and a full stop.
# No length cap, so a long handle leaves no tail.
_MENTION = re.compile(rf"@(\w(?:[\w{COMBINING_MARKS}.\-]*{_WORD})?)")
_ACCOUNT_PSEUDONYM = re.compile(rf"{PREFIX['account']}[0-9a-f]{{{DIGEST_HEX_CHARS}}}")
# A run of 6 or more digits standing alone is how platform account ids (and phone numbers) look in
# text: it is taken for an account id. ASCII digits only, as the SQL pre-filter reads them.
MIN_DIGIT_RUN = 6
DIGIT_RUN = rf"(?<![0-9A-Za-z_])[0-9]{{{MIN_DIGIT_RUN},}}(?![0-9A-Za-z_])"
_DIGIT_RUN = re.compile(DIGIT_RUN)


def load_or_create_key(key_file: Path) -> bytes:
    """The pseudonym key: from the environment, else from a 0600 key file made on first use."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode()
    key_file = Path(key_file)
    if key_file.exists():
        return key_file.read_bytes().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(key_file.parent, 0o700)
    key = secrets.token_hex(32).encode()
    # O_EXCL: two writers racing must not both create a key.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


class PseudonymKeyMismatch(RuntimeError):
    """The key differs from the one the warehouse's pseudonyms were made with."""


def key_fingerprint(key: bytes) -> str:
    """Names a key without revealing it (HMAC of a constant): two keys, two fingerprints."""
    return hmac.new(key, b"threatgraph pseudonym key fingerprint", hashlib.sha256).hexdigest()[:16]


def check_key_fingerprint(fingerprint_file: Path, key: bytes) -> None:
    """Refuse a key other than the warehouse's: its pseudonyms would split every account in two
    (the same account under two actor keys). The first key used is recorded."""
    fingerprint_file = Path(fingerprint_file)
    mine = key_fingerprint(key)
    if fingerprint_file.exists():
        recorded = fingerprint_file.read_text().strip()
        if recorded != mine:
            raise PseudonymKeyMismatch(
                f"the pseudonym key (fingerprint {mine}) is not the one this warehouse was built with "
                f"({recorded}, in {fingerprint_file}): its pseudonyms would not match bronze's. Set "
                f"{KEY_ENV} to the original key (or unset it to use {fingerprint_file.with_suffix('')}), "
                "or use a new warehouse")
        return
    fingerprint_file.parent.mkdir(parents=True, exist_ok=True)
    fingerprint_file.write_text(mine + "\n")
    os.chmod(fingerprint_file, 0o600)


class Pseudonymizer:
    def __init__(self, key: bytes):
        if not key:
            raise ValueError("empty pseudonym key")
        self._key = key
        # One cache per instance: hashing dominates ingest, and ids repeat a lot.
        self.token = lru_cache(maxsize=2_000_000)(self._token)

    def _token(self, kind: str, value: str) -> str:
        digest = hmac.new(self._key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()
        return PREFIX[kind] + digest[:DIGEST_HEX_CHARS]

    def account(self, account_id: str | None) -> str | None:
        return None if account_id is None else self.token("account", account_id)

    def maybe(self, kind: str, value: str | None) -> str | None:
        return None if value is None else self.token(kind, value)

    def free_text(self, text: str | None, known_ids: list[str] | tuple = (), names: list[str] | tuple = ()) -> str | None:
        """Keep the text, but replace display names (`names`), the record's raw account ids, any
        other run of 6+ digits, e-mail addresses and @mentions in it by pseudonyms. Names and ids
        match in any letter case ("ZELDA.Q77" is Zelda.Q77); the pseudonym is that of the value given."""
        if not text:
            return text
        values = {(r, "account") for r in known_ids if r}
        values |= {(n, "display_name") for n in names if n and len(n.strip()) >= MIN_NAME_CHARS}
        folded = text.casefold()
        # Names and ids in one pass, longest first: one inside a longer one ("maria" in "maria_1990")
        # must not leave the longer one's rest in plain text, and no pseudonym is searched again.
        present = sorted((v for v in values if v[0].casefold() in folded), key=lambda v: (-len(v[0]), v))
        if present:
            # an id is replaced wherever it stands; a name as a whole word ("Ann", not the start of
            # "Annual"); under MIN_NAME_CHARS it would hit words
            alternatives = "|".join(
                f"(?P<v{i}>{re.escape(value) if kind == 'account' else rf'(?<!{_WORD}){re.escape(value)}(?!{_WORD})'})"
                for i, (value, kind) in enumerate(present))
            tokens = [self.token(kind, value) for value, kind in present]
            text = re.sub(alternatives, lambda m: tokens[int(m.lastgroup[1:])], text, flags=re.IGNORECASE)
        if "@" in text:
            # mentions before digit runs: "@john.1234567" is one handle, pseudonymised whole as in a URL
            text = self._mentions(self._emails(text))
        return _DIGIT_RUN.sub(lambda m: self.token("account", m.group(0)), text)

    def url(self, url: str | None) -> str | None:
        """A shared URL with the people in it pseudonymised: user info before the host (dropped),
        profile handles (a path segment `@name`, as mentions) and e-mail addresses (of a `mailto:`,
        or in the query). The host and the rest stay, so the same link reads the same for every
        sharer and domain indicators still match."""
        if not url or "@" not in url:
            return url
        try:
            parts = urlsplit(url)
        except ValueError:  # not a URL (an unbalanced '[' in the host): treat it as text
            return self.free_text(url)
        if parts.scheme.lower() == "mailto":
            return urlunsplit(parts._replace(path=self._emails(parts.path), query=self._emails(parts.query)))
        netloc = parts.netloc.rsplit("@", 1)[-1]  # user:password@host -> host
        path = "/".join(self._mentions(seg) if _MENTION.fullmatch(seg) else seg for seg in parts.path.split("/"))
        return urlunsplit(parts._replace(netloc=netloc, path=path, query=self._emails(parts.query),
                                         fragment=self._emails(parts.fragment)))

    def _emails(self, text: str) -> str:
        return _EMAIL.sub(lambda m: self.token("email", m.group(0).lower()), text)

    def _mentions(self, text: str) -> str:
        return _MENTION.sub(lambda m: "@" + self._mention(m.group(1)), text)

    def _mention(self, handle: str) -> str:
        # Already a pseudonym (from known_ids above): keep it.
        if _ACCOUNT_PSEUDONYM.fullmatch(handle):
            return handle
        # A mention is an account id or a username; either way it identifies a person.
        return self.token("account", handle)


def ip_network_prefix(ip: str | None) -> tuple[str | None, int | None]:
    """(CIDR of the /24 for IPv4 or /48 for IPv6, IP version); (None, None) when not an IP."""
    if not ip:
        return None, None
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None, None
    bits = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{bits}", strict=False)), addr.version


_RUN = re.compile(r"[^\W\d_]+|\d+|.", re.S)  # letter runs (any script), digit runs, one other character
SHAPE_PUNCTUATION = frozenset("_.-")  # what templated usernames are made of; any other character is '~'


def username_shape(username: str) -> tuple[int, int, str]:
    """(length, longest digit run, shape): letter runs of any script become 'a', digit runs '9',
    '_', '.' and '-' stay, anything else is '~'. The shape goes to analysts: no character of the
    username itself may reach it but that punctuation."""
    shape = []
    longest_digits = 0
    for m in _RUN.finditer(username):
        tok = m.group(0)
        if tok[0].isdigit():
            shape.append("9")
            longest_digits = max(longest_digits, len(tok))
        elif tok[0].isalpha():
            shape.append("a")
        else:
            shape.append(tok if tok in SHAPE_PUNCTUATION else "~")
    return len(username), longest_digits, "".join(shape)[:64]
