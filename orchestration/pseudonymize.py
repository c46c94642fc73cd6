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
from functools import lru_cache
from pathlib import Path

KEY_ENV = "THREATGRAPH_PSEUDONYM_KEY"

# Prefix per kind: a pseudonym says what it stands for.
PREFIX = {"account": "a_", "username": "u_", "display_name": "n_", "device": "d_", "ip": "ip_"}
DIGEST_HEX_CHARS = 20  # 80 bits: collisions are negligible at hundreds of millions of accounts

_MENTION = re.compile(r"@([A-Za-z0-9_.\-]{1,128})")


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

    def free_text(self, text: str | None, known_ids: list[str] | tuple = ()) -> str | None:
        """Keep the text, but replace @mentions and raw account ids in it by pseudonyms."""
        if not text:
            return text
        for raw in known_ids:
            if raw and raw in text:
                text = text.replace(raw, self.token("account", raw))
        return _MENTION.sub(lambda m: "@" + self._mention(m.group(1)), text)

    def _mention(self, handle: str) -> str:
        # Already a pseudonym (from known_ids above): keep it.
        if handle.startswith(PREFIX["account"]) and len(handle) == len(PREFIX["account"]) + DIGEST_HEX_CHARS:
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


_RUN = re.compile(r"[A-Za-z]+|[0-9]+|.", re.S)


def username_shape(username: str) -> tuple[int, int, str]:
    """(length, longest digit run, shape): letter runs become 'a', digit runs '9'."""
    shape = []
    longest_digits = 0
    for m in _RUN.finditer(username):
        tok = m.group(0)
        if tok.isdigit() and tok.isascii():
            shape.append("9")
            longest_digits = max(longest_digits, len(tok))
        elif tok.isalpha() and tok.isascii():
            shape.append("a")
        else:
            shape.append(tok)
    return len(username), longest_digits, "".join(shape)[:64]
