"""Deterministic injection of malformed lines (and one valid kind: extra fields)."""
from __future__ import annotations

import gzip

import numpy as np
import orjson

from .population import DAY

LINE_KINDS = ("not_json", "non_utf8", "missing_required_field", "wrong_type", "unknown_enum",
              "event_time_after_partition", "duplicate_identical", "duplicate_conflicting",
              "unknown_extra_fields")
FILE_KINDS = ("truncated_gzip", "empty_file")
ALL_KINDS = LINE_KINDS + FILE_KINDS

KEY_FIELD = {"events": "event_id", "sessions": "session_id", "enforcement": "action_id", "accounts": None}
REQUIRED = {
    "events": ("event_time", "account_id", "event_type"),
    "sessions": ("event_time", "account_id", "ip", "success"),
    "enforcement": ("event_time", "account_id", "action", "policy"),
    "accounts": ("change_type", "created_at", "username"),
}
WRONG_TYPE = {
    "events": (("event_time", 1762000000), ("account_id", 12345), ("hashtags", "a,b"), ("urls", None)),
    "sessions": (("success", "true"), ("asn", "AS64601"), ("ip", 3232235777)),
    "enforcement": (("account_id", 42), ("event_time", None), ("action", ["ban"])),
    "accounts": (("is_verified", "yes"), ("username", 1234), ("created_at", 1700000000)),
}
BAD_ENUM = {
    "events": (("event_type", "livestream"), ("share_channel", "sms")),
    "sessions": (("login_method", "passkey"),),
    "enforcement": (("action", "shadowban"), ("policy", "hate_speech")),
    "accounts": (("change_type", "merged"),),
}
TEXT_FIELD = {"events": "text", "sessions": "user_agent", "enforcement": "campaign_label", "accounts": "bio"}
CONFLICT_FIELD = {"events": "text", "sessions": "ip", "enforcement": "action", "accounts": "bio"}


def _ts(ms: int) -> str:
    return np.datetime_as_string(np.array(ms, dtype="datetime64[ms]"), unit="ms").item() + "Z"


class Corruptor:
    def __init__(self, seed: int, rate: float):
        self.rng = np.random.default_rng([seed, 0xC0FFEE])
        self.rate = rate
        self.counts = {k: 0 for k in ALL_KINDS}
        self.lines: list[dict] = []
        self.files: list[dict] = []
        self.pending = list(LINE_KINDS) if rate > 0 else []
        self.serial = 0

    def _fresh(self, source: str, rec: dict) -> dict:
        r = dict(rec)
        self.serial += 1
        key = KEY_FIELD[source]
        if key:
            r[key] = f"{rec[key]}-x{self.serial}"
        else:
            # accounts: shift event_time by a few ms so the key is new
            ms = int(np.datetime64(rec["event_time"][:-1], "ms").astype(np.int64))
            r["event_time"] = _ts(ms + 1 + self.serial % 7)
        return r

    def make(self, kind: str, source: str, rec: dict, raw: bytes, day_start_ms: int):
        """Return (line_bytes, replaces_original)."""
        rng = self.rng
        if kind == "not_json":
            if rng.random() < 0.3:
                return b"<html><body>502 Bad Gateway</body></html>", False
            return raw[: max(1, int(len(raw) * rng.uniform(0.2, 0.9)))], False
        if kind == "non_utf8":
            r = self._fresh(source, rec)
            r[TEXT_FIELD[source]] = "@@BAD@@"
            return orjson.dumps(r).replace(b"@@BAD@@", b"caf\xe9 \xff\xfe"), False
        if kind == "missing_required_field":
            r = self._fresh(source, rec)
            opts = REQUIRED[source]
            del r[opts[int(rng.integers(len(opts)))]]
            return orjson.dumps(r), False
        if kind == "wrong_type":
            r = self._fresh(source, rec)
            f, v = WRONG_TYPE[source][int(rng.integers(len(WRONG_TYPE[source])))]
            r[f] = v
            return orjson.dumps(r), False
        if kind == "unknown_enum":
            r = self._fresh(source, rec)
            f, v = BAD_ENUM[source][int(rng.integers(len(BAD_ENUM[source])))]
            r[f] = v
            return orjson.dumps(r), False
        if kind == "event_time_after_partition":
            r = self._fresh(source, rec)
            r["event_time"] = _ts(day_start_ms + DAY + int(rng.integers(6 * 60_000, 30 * 3_600_000)))
            return orjson.dumps(r), False
        if kind == "duplicate_identical":
            return raw, False
        if kind == "duplicate_conflicting":
            r = dict(rec)
            f = CONFLICT_FIELD[source]
            r[f] = {"text": "edited: ", "ip": "10.0.0.", "action": "", "bio": "changed "}[f]
            if f == "action":
                r[f] = "warn" if rec.get("action") != "warn" else "restrict"
            elif f == "ip":
                r[f] = f"10.0.0.{int(rng.integers(1, 255))}"
            else:
                r[f] = r[f] + str(rec.get(f) or "") + f" v{int(rng.integers(2, 9))}"
            return orjson.dumps(r), False
        if kind == "unknown_extra_fields":
            r = dict(rec)
            r["client_version"] = f"34.{int(rng.integers(0, 9))}.{int(rng.integers(0, 9))}"
            r["_ingest_debug"] = {"shard": int(rng.integers(0, 64)), "retry": bool(rng.random() < 0.5)}
            r["experiment_ids"] = [int(x) for x in rng.integers(1000, 9999, 2)]
            return orjson.dumps(r), True
        raise ValueError(kind)

    def apply(self, source: str, rel: str, recs: list, lines: list, day_start_ms: int) -> list:
        """Return the final list of lines for one file, with corruptions inserted."""
        n = len(lines)
        if self.rate <= 0 or n == 0:
            return lines
        kinds = []
        k = int(self.rng.binomial(n, min(1.0, self.rate)))
        while self.pending and len(kinds) < 3:
            kinds.append(self.pending.pop(0))
        for _ in range(k):
            kinds.append(LINE_KINDS[int(self.rng.integers(len(LINE_KINDS)))])
        # (position in original, kind); inserted after the original line
        pos = self.rng.integers(0, n, len(kinds))
        extra: dict[int, list] = {}
        replaced: dict[int, bytes] = {}
        for p, kind in zip(pos.tolist(), kinds):
            line, replaces = self.make(kind, source, recs[p], lines[p], day_start_ms)
            if replaces:
                if p in replaced:
                    continue
                replaced[p] = line
            else:
                extra.setdefault(p, []).append((kind, line))
            self.counts[kind] += 1
            if replaces:
                extra.setdefault(p, [])
                extra[p].insert(0, (kind, None))
        out = []
        for i in range(n):
            out.append(replaced.get(i, lines[i]))
            for kind, line in extra.get(i, ()):
                if line is None:
                    self.lines.append({"file": rel, "line": len(out), "reason": kind})
                else:
                    out.append(line)
                    self.lines.append({"file": rel, "line": len(out), "reason": kind})
        return out

    def truncated_gzip(self, lines: list) -> tuple[bytes, int]:
        data = gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1, mtime=0)
        cut = int(len(data) * self.rng.uniform(0.3, 0.8))
        self.counts["truncated_gzip"] += 1
        return data[:cut], len(lines)
