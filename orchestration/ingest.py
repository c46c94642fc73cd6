"""Land one source's partition: read, validate, deduplicate, pseudonymise, load.

Every input line ends in exactly one place: a bronze row (loaded), a counted
duplicate, or the quarantine (invalid, with its reason). Per file,
lines_read = loaded + duplicates + invalid. Re-running a partition replaces it.
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import orjson
import polars as pl
import pyarrow as pa

from .contract import ALL_SOURCES, RECORD_KEY, InvalidRecord, check_times, schema_for
from .pseudonymize import Pseudonymizer, ip_network_prefix, username_shape
from .warehouse import WarehousePaths, connect_restricted, connect_warehouse, ensure_bronze, ensure_restricted

RAW_TEXT_LIMIT = 10_000  # quarantine keeps this much of a bad line


# --------------------------------------------------------------------------- landing files

def is_data_name(name: str) -> bool:
    """Contract: names starting with '_' or '.' are not data (_SUCCESS, _truth/)."""
    return not name.startswith(("_", "."))


def partition_dir(landing: Path, source: str, dt: date) -> Path:
    return Path(landing) / source / f"dt={dt.isoformat()}"


def partition_files(landing: Path, source: str, dt: date | None) -> list[Path]:
    """Data files of one partition (or the indicators file), in a stable order."""
    if source == "indicators":
        ref = Path(landing) / "reference"
        if not ref.is_dir():
            return []
        return sorted(p for p in ref.iterdir() if p.is_file() and is_data_name(p.name) and p.name.startswith("indicators"))
    return [p for p in _partition_entries(landing, source, dt) if is_jsonl_name(p.name)]


def is_jsonl_name(name: str) -> bool:
    """Contract: data files are <any>.jsonl or <any>.jsonl.gz (case and spelling as written)."""
    return name.endswith((".jsonl", ".jsonl.gz"))


def skipped_files(landing: Path, source: str, dt: date | None) -> list[Path]:
    """Files in a partition folder with a data name but another ending (part.JSONL, part.json):
    not contract data, so never read, but an operator must see they were there."""
    if source == "indicators":
        return []
    return [p for p in _partition_entries(landing, source, dt) if not is_jsonl_name(p.name)]


def _partition_entries(landing: Path, source: str, dt: date | None) -> list[Path]:
    folder = partition_dir(landing, source, dt)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and is_data_name(p.name))


def landed_partitions(landing: Path, sources=("accounts", "events", "sessions", "enforcement")) -> list[date]:
    """Every dt=YYYY-MM-DD folder found under the partitioned sources."""
    days = set()
    for source in sources:
        root = Path(landing) / source
        if not root.is_dir():
            continue
        for d in root.iterdir():
            if d.is_dir() and d.name.startswith("dt="):
                try:
                    days.add(date.fromisoformat(d.name[3:]))
                except ValueError:
                    continue
    return sorted(days)


# The quarantine reason of a damaged gzip file's lost or untrusted lines, by file status.
GZIP_DAMAGE = {
    "truncated_gzip": "truncated gzip: file ends before the end-of-stream marker, rest of file lost",
    "corrupt_gzip": "corrupt gzip: a member fails its integrity check, its lines are not trusted",
}


@dataclass
class RawFile:
    lines: list[bytes]
    status: str  # ok | empty | truncated_gzip | corrupt_gzip
    tail: bytes | None = None  # truncated_gzip: the partial last line
    untrusted: frozenset[int] = frozenset()  # corrupt_gzip: numbers of the lines a damaged member gave


GZIP_MAGIC = b"\x1f\x8b\x08"


def read_file_bytes(path: Path) -> tuple[bytes, str, list[tuple[int, int]]]:
    """The file's content, gunzipped when .gz, its status (ok, truncated_gzip or corrupt_gzip) and
    the byte spans of it that are not trusted.

    A truncated file (a cut upload) keeps what was decoded: only its partial last line is lost.
    A member that fails zlib's checks (CRC, length, a bad block) is decoded as far as zlib goes,
    but none of it is trusted: a checksum says some byte is wrong, not which. Its lines are
    quarantined one by one, their text kept (untrusted_line_numbers). Reading goes on at the next
    member that decodes whole, its own checksum proving it."""
    data = path.read_bytes()
    if not path.name.endswith(".gz"):
        return data, "ok", []
    out: list[bytes] = []
    spans: list[tuple[int, int]] = []
    rest = data
    while rest:
        d = zlib.decompressobj(wbits=31)
        try:
            out.append(d.decompress(rest))  # one call per member: the fast path
        except zlib.error:
            start = sum(map(len, out))
            # zlib drops the whole call's output on an error: decode the member again in steps.
            out.append(_decode_until_damage(rest))
            spans.append((start, start + len(out[-1])))
            resume = _next_whole_member(rest)
            if resume is None:
                break
            rest = rest[resume:]
            continue
        if not d.eof:
            out.append(d.flush())
            if spans:  # cut after a damaged member: the cut member is not trusted either
                spans.append((sum(map(len, out[:-1])), sum(map(len, out))))
                break
            return b"".join(out), "truncated_gzip", []
        # Concatenated members may follow; zero padding (tape/block) is not data, as in gzip(1).
        rest = d.unused_data.lstrip(b"\0")
    return b"".join(out), "corrupt_gzip" if spans else "ok", spans


def _next_whole_member(stream: bytes) -> int | None:
    """Offset of the first later gzip member in `stream` that decodes to its end without error."""
    at = stream.find(GZIP_MAGIC, 1)
    while at != -1:
        d = zlib.decompressobj(wbits=31)
        try:
            d.decompress(stream[at:])
            if d.eof:
                return at
        except zlib.error:
            pass
        at = stream.find(GZIP_MAGIC, at + 1)
    return None


def _decode_until_damage(member: bytes, step: int = 16_384) -> bytes:
    """All a damaged gzip stream yields before zlib's error, to the byte: steps of `step` bytes,
    and the step that fails again one byte at a time from a copy of the state before it."""
    d = zlib.decompressobj(wbits=31)
    out = []
    for start in range(0, len(member), step):
        before = d.copy()
        try:
            out.append(d.decompress(member[start:start + step]))
        except zlib.error:
            for i in range(start, min(start + step, len(member))):
                try:
                    out.append(before.decompress(member[i:i + 1]))
                except zlib.error:
                    break
            break
    return b"".join(out)


def untrusted_line_numbers(line_ends: np.ndarray, spans: list[tuple[int, int]]) -> frozenset[int]:
    """1-based numbers of the lines (ending at byte offsets `line_ends`, exclusive, in order) that
    share a byte with an untrusted span: a line a damaged member started or ended is not trusted."""
    if not spans:
        return frozenset()
    starts = np.concatenate(([0], line_ends[:-1]))
    out: set[int] = set()
    for lo, hi in spans:
        if hi > lo:  # lines with start < hi and end > lo
            first, last = np.searchsorted(line_ends, lo, side="right"), np.searchsorted(starts, hi, side="left")
            out.update(range(int(first) + 1, int(last) + 1))
    return frozenset(out)


def read_raw_lines(path: Path) -> RawFile:
    data, status, spans = read_file_bytes(path)
    if not data:
        return RawFile([], "empty" if status == "ok" else status, b"" if status == "truncated_gzip" else None)
    lines = data.split(b"\n")
    tail = None
    if lines and lines[-1] == b"":
        lines.pop()
    elif status == "truncated_gzip":
        tail = lines.pop()  # the partial last line of a cut file
    if status == "truncated_gzip" and tail is None:
        tail = b""
    ends = np.cumsum([len(line) + 1 for line in lines], dtype=np.int64) if spans else None
    return RawFile(lines, status, tail, untrusted_line_numbers(ends, spans))


# --------------------------------------------------------------------------- transform per source

def email_domain(value: str | None) -> str | None:
    """Contract: the sign-up e-mail's domain only, lower case. A producer that sends the whole
    address must not land its local part (personal data): keep what follows the last '@'."""
    return None if value is None else value.rpartition("@")[2].lower()


def _account_row(rec, times, p: Pseudonymizer):
    username = rec["username"]
    length, digit_run, shape = username_shape(username)
    prefix, _ = ip_network_prefix(rec.get("signup_ip"))
    return (
        p.account(rec["account_id"]), times["event_time"], rec["change_type"], times["created_at"],
        p.token("username", username), length, digit_run, shape,
        p.maybe("display_name", rec.get("display_name")),
        p.free_text(rec.get("bio"), (rec["account_id"], username), (rec.get("display_name"),)),
        email_domain(rec.get("email_domain")), rec.get("signup_country"), rec.get("language"), rec.get("is_verified"),
        p.maybe("ip", rec.get("signup_ip")), prefix, p.maybe("device", rec.get("signup_device_id")),
        rec.get("avatar_hash"),
    )


def _event_row(rec, times, p: Pseudonymizer):
    # An empty id names no account: no pseudonym for it, or every such event would point at one
    # made-up actor (a hub in the interaction graph, missing from the identity map).
    mentions = [m for m in rec.get("mention_account_ids") or [] if m]
    target = rec.get("target_account_id") or None
    known = mentions + ([target] if target else []) + [rec["account_id"]]
    return (
        rec["event_id"], times["event_time"], p.account(rec["account_id"]), rec["event_type"],
        rec.get("video_id"), p.account(target), p.free_text(rec.get("text"), known),
        rec.get("hashtags"), [p.account(m) for m in mentions] or None,
        None if rec.get("urls") is None else [p.url(u) for u in rec["urls"]],
        rec.get("sound_id"), rec.get("share_channel"), rec.get("session_id"), rec.get("region_code"),
    )


def _session_row(rec, times, p: Pseudonymizer):
    prefix, version = ip_network_prefix(rec["ip"])
    return (
        rec["session_id"], times["event_time"], p.account(rec["account_id"]), p.token("ip", rec["ip"]),
        prefix, version, rec.get("asn"), rec.get("ip_country"), p.maybe("device", rec.get("device_id")),
        rec.get("user_agent"), rec.get("login_method"), rec["success"],
    )


def _enforcement_row(rec, times, p: Pseudonymizer):
    return (
        rec["action_id"], times["event_time"], p.account(rec["account_id"]), rec["action"], rec["policy"],
        rec.get("source"), rec.get("campaign_label"),
    )


def _indicator_row(rec, times, p: Pseudonymizer):
    value = rec["value"]
    if rec["indicator_type"] == "account_id":
        value = p.account(value)
    elif rec["indicator_type"] in ("domain", "hashtag"):
        value = value.lower()
    return (rec["indicator_type"], value, rec.get("threat_actor"), rec["source"], rec.get("confidence"), times.get("first_seen"))


TRANSFORM = {
    "accounts": _account_row,
    "events": _event_row,
    "sessions": _session_row,
    "enforcement": _enforcement_row,
    "indicators": _indicator_row,
}

_ts_type = pl.Datetime("us")
_list = pl.List(pl.Utf8)
COLUMNS = {
    "accounts": [("actor_key", pl.Utf8), ("event_time", _ts_type), ("change_type", pl.Utf8), ("created_at", _ts_type),
                 ("username_key", pl.Utf8), ("username_length", pl.Int32), ("username_digit_run", pl.Int32),
                 ("username_shape", pl.Utf8), ("display_name_key", pl.Utf8), ("bio", pl.Utf8), ("email_domain", pl.Utf8),
                 ("signup_country", pl.Utf8), ("language", pl.Utf8), ("is_verified", pl.Boolean),
                 ("signup_ip_key", pl.Utf8), ("signup_ip_prefix", pl.Utf8), ("signup_device_key", pl.Utf8),
                 ("avatar_hash", pl.Utf8)],
    "events": [("event_id", pl.Utf8), ("event_time", _ts_type), ("actor_key", pl.Utf8), ("event_type", pl.Utf8),
               ("video_id", pl.Utf8), ("target_actor_key", pl.Utf8), ("text", pl.Utf8), ("hashtags", _list),
               ("mention_actor_keys", _list), ("urls", _list), ("sound_id", pl.Utf8), ("share_channel", pl.Utf8),
               ("session_id", pl.Utf8), ("region_code", pl.Utf8)],
    "sessions": [("session_id", pl.Utf8), ("event_time", _ts_type), ("actor_key", pl.Utf8), ("ip_key", pl.Utf8),
                 ("ip_prefix", pl.Utf8), ("ip_version", pl.Int32), ("asn", pl.Int64), ("ip_country", pl.Utf8),
                 ("device_key", pl.Utf8), ("user_agent", pl.Utf8), ("login_method", pl.Utf8), ("success", pl.Boolean)],
    "enforcement": [("action_id", pl.Utf8), ("event_time", _ts_type), ("actor_key", pl.Utf8), ("action", pl.Utf8),
                    ("policy", pl.Utf8), ("source", pl.Utf8), ("campaign_label", pl.Utf8)],
    "indicators": [("indicator_type", pl.Utf8), ("value", pl.Utf8), ("threat_actor", pl.Utf8), ("source", pl.Utf8),
                   ("confidence", pl.Float64), ("first_seen", _ts_type)],
}


IDENTITY_COLUMNS = [("actor_key", pl.Utf8), ("account_id", pl.Utf8), ("username", pl.Utf8), ("username_seen_at", _ts_type)]


def identities_of(source: str, rec: dict, times: dict) -> Iterator[tuple[str, str | None, datetime | None]]:
    """(account_id, username, when) for every account a record names: the identity map's input."""
    if source == "accounts":
        yield rec["account_id"], rec["username"], times["event_time"]
    elif source == "indicators":
        if rec["indicator_type"] == "account_id":
            yield rec["value"], None, None
    else:
        yield rec["account_id"], None, None
        if source == "events":
            if rec.get("target_account_id"):
                yield rec["target_account_id"], None, None
            for m in rec.get("mention_account_ids") or []:
                if m:
                    yield m, None, None


# --------------------------------------------------------------------------- one partition

SKIPPED_NOT_JSONL = "skipped_not_jsonl"


@dataclass
class FileCounts:
    source_file: str
    lines_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    invalid: int = 0
    file_status: str = "ok"  # ok | empty | truncated_gzip | corrupt_gzip | skipped_not_jsonl

    def reconciles(self) -> bool:
        return self.lines_read == self.loaded + self.duplicates + self.invalid


@dataclass
class PartitionResult:
    source: str
    dt: date | None
    files: list[FileCounts] = field(default_factory=list)
    quarantine: list[tuple] = field(default_factory=list)  # (source_file, line_no, reason, raw_text)
    rows: list[tuple] = field(default_factory=list)
    identities: dict[str, tuple[str | None, datetime | None]] = field(default_factory=dict)
    table: pa.Table | None = None  # the rows as Arrow, when the vectorised lane made them (then rows is empty)
    fast_loaded: int = 0  # rows the vectorised lane loaded in bulk (the rest went line by line)
    # The identity map rows, pseudonyms included, when the vectorised lane made them in SQL
    # (then `identities` is empty): IDENTITY_COLUMNS.
    identity_table: pa.Table | None = None

    def identity_rows(self, p: Pseudonymizer) -> pa.Table:
        """The partition's identity map rows (IDENTITY_COLUMNS), whichever lane made them."""
        if self.identity_table is not None:
            return self.identity_table
        return pl.DataFrame([(p.account(a), a, u, w) for a, (u, w) in self.identities.items()],
                            schema=IDENTITY_COLUMNS, orient="row").to_arrow()

    def totals(self) -> dict[str, int]:
        keys = ("lines_read", "loaded", "duplicates", "invalid")
        return {k: sum(getattr(f, k) for f in self.files) for k in keys} | {"files": len(self.files) - len(self.skipped())}

    def skipped(self) -> list[str]:
        """The partition's files that were not read: not .jsonl or .jsonl.gz."""
        return [f.source_file for f in self.files if f.file_status == SKIPPED_NOT_JSONL]

    def invalid_by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, _, reason, _ in self.quarantine:
            kind = reason.split(":")[0]
            out[kind] = out.get(kind, 0) + 1
        return dict(sorted(out.items()))


def skipped_file_counts(landing: Path, source: str, dt: date | None) -> list[FileCounts]:
    """A zero-count row per skipped file: it shows in bronze.ingest_files and the asset's metadata."""
    return [FileCounts(str(p.relative_to(landing)), file_status=SKIPPED_NOT_JSONL) for p in skipped_files(landing, source, dt)]


class LineValidator:
    """The per-line rules: decode, parse, validate, deduplicate, transform. Line by line, in order.

    This is the reference implementation of the contract. The vectorised lane
    (ingest_sql) hands it every line it cannot prove valid on its own.
    """

    def __init__(self, source: str, dt: date | None, p: Pseudonymizer, result: PartitionResult):
        self.source, self.dt, self.p, self.result = source, dt, p, result
        self.schema = schema_for(source)
        self.key_fields = RECORD_KEY[source]
        self.transform = TRANSFORM[source]
        self.seen: dict[tuple, bytes] = {}  # record key -> content digest, across the partition's files
        self.identity_pos: dict[str, tuple] = {}  # account -> (when, file_idx, line_no) of its identity row

    def quarantine(self, counts: FileCounts, line_no: int, reason: str, raw_bytes: bytes) -> None:
        counts.invalid += 1
        text = raw_bytes[:RAW_TEXT_LIMIT].decode("utf-8", errors="backslashreplace")
        self.result.quarantine.append((counts.source_file, line_no, reason, text))

    def feed(self, counts: FileCounts, file_idx: int, i: int, line: bytes) -> None:
        """One input line (without its newline), line number i of the file."""
        counts.lines_read += 1
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip():
            return self.quarantine(counts, i, "not JSON: empty line", line)
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            return self.quarantine(counts, i, f"not UTF-8: invalid byte at offset {e.start}", line)
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            return self.quarantine(counts, i, f"not JSON: {str(e).split(':')[0]}", line)
        try:
            times = self.schema.check(rec)
            check_times(self.source, times, self.dt)
        except InvalidRecord as e:
            return self.quarantine(counts, i, str(e), line)
        # Date-time fields compare as instants (times holds them in UTC): "10:00:00Z", "10:00:00.000Z"
        # and "11:00:00+01:00" are one key. The digest reads them so too: two spellings of one
        # record give the same bronze row, so the second is a duplicate, not a conflict.
        key = tuple(times[k] if k in times else rec[k] for k in self.key_fields)
        try:
            canonical = orjson.dumps(rec | times, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # nested deeper than orjson writes (255; it reads 1024): the line as sent
            canonical = line
        digest = hashlib.blake2b(canonical, digest_size=16).digest()
        prior = self.seen.get(key)
        if prior is not None:
            if prior == digest:
                counts.duplicates += 1
                return None
            # no key in the reason: some keys (accounts) are personal data; the raw line is in the restricted store
            return self.quarantine(counts, i, f"duplicate key with different content: {'+'.join(self.key_fields)}", line)
        self.seen[key] = digest
        self.result.rows.append((self.dt, counts.source_file, i) + self.transform(rec, times, self.p))
        counts.loaded += 1
        for account_id, username, when in identities_of(self.source, rec, times):
            self.remember_identity(account_id, username, when, (file_idx, i))
        return None

    def remember_identity(self, account_id, username, when, pos) -> None:
        """The latest username wins (ties: the later line); an id seen without one never erases it."""
        identities = self.result.identities
        if account_id not in identities:
            identities[account_id] = (username, when)
            self.identity_pos[account_id] = pos
        elif username is not None:
            old_username, old_when = identities[account_id]
            if old_username is None or old_when is None or (when is not None and when >= old_when):
                identities[account_id] = (username, when)
                self.identity_pos[account_id] = pos

    def distrust(self, counts: FileCounts, i: int, line: bytes) -> None:
        """Line i came from a gzip member that failed its checks: quarantined, never validated."""
        counts.lines_read += 1
        self.quarantine(counts, i, GZIP_DAMAGE["corrupt_gzip"], line)

    def end_of_file(self, counts: FileCounts, raw: RawFile, n_lines: int) -> None:
        """After a file's n_lines: a truncated file's partial last line is one more (invalid) line;
        a damaged member that gave no line at all is one empty quarantined line, so it shows."""
        if raw.status == "truncated_gzip" or (raw.status == "corrupt_gzip" and not raw.untrusted):
            counts.lines_read += 1
            self.quarantine(counts, n_lines + 1, GZIP_DAMAGE[raw.status], raw.tail or b"")
        assert counts.reconciles(), counts


def parse_partition(source: str, landing: Path, dt: date | None, p: Pseudonymizer) -> PartitionResult:
    """The reference lane: every line through LineValidator."""
    if source not in ALL_SOURCES:
        raise ValueError(f"unknown source {source!r}")
    result = PartitionResult(source, dt)
    validator = LineValidator(source, dt, p, result)
    landing = Path(landing)
    for file_idx, path in enumerate(partition_files(landing, source, dt)):
        counts = FileCounts(str(path.relative_to(landing)))
        result.files.append(counts)
        raw = read_raw_lines(path)
        counts.file_status = raw.status
        for i, line in enumerate(raw.lines, start=1):
            if i in raw.untrusted:
                validator.distrust(counts, i, line)
            else:
                validator.feed(counts, file_idx, i, line)
        validator.end_of_file(counts, raw, len(raw.lines))
    result.files += skipped_file_counts(landing, source, dt)
    return result


def _frame(source: str, result: PartitionResult) -> pl.DataFrame:
    schema = [("dt", pl.Date), ("source_file", pl.Utf8), ("line_no", pl.Int64)] + COLUMNS[source]
    frame = pl.from_arrow(result.table) if result.table is not None else pl.DataFrame(result.rows, schema=schema, orient="row")
    return frame.drop("dt") if source == "indicators" else frame


def write_restricted(result: PartitionResult, paths: WarehousePaths, p: Pseudonymizer) -> None:
    """The partition's raw personal data: quarantined lines' text and the identity map."""
    source, dt = result.source, result.dt
    with connect_restricted(paths.quarantine_db) as qcon:
        ensure_restricted(None, qcon)
        qcon.execute("BEGIN")
        qcon.execute("DELETE FROM quarantine_lines WHERE source = ? AND dt IS NOT DISTINCT FROM ?", [source, dt])
        if result.quarantine:
            qcon.executemany(
                "INSERT INTO quarantine_lines VALUES (?, ?, ?, ?, ?, ?)",
                [(dt, source, f, n, r, t) for f, n, r, t in result.quarantine],
            )
        qcon.execute("COMMIT")
    identity = result.identity_rows(p)
    if not identity.num_rows:
        return
    with connect_restricted(paths.identity_db) as icon:
        ensure_restricted(icon, None)
        icon.register("tg_identity", identity)
        # Latest username wins; an id seen without a username never erases one.
        icon.execute("""
            MERGE INTO actor_identity a USING tg_identity e ON a.actor_key = e.actor_key
            WHEN MATCHED AND e.username IS NOT NULL AND (a.username_seen_at IS NULL OR e.username_seen_at >= a.username_seen_at)
              THEN UPDATE SET username = e.username, username_seen_at = e.username_seen_at
            WHEN NOT MATCHED THEN INSERT VALUES (e.actor_key, e.account_id, e.username, e.username_seen_at)
        """)


def write_partition(result: PartitionResult, paths: WarehousePaths, p: Pseudonymizer,
                    con: duckdb.DuckDBPyConnection | None = None, fast_rows: str | None = None) -> None:
    """Replace the partition in bronze, the quarantine and the identity map.

    `con`: an open connection to the warehouse (else one is opened); `fast_rows`: a relation of
    `con` holding more bronze rows (the vectorised lane's), inserted along with result's own.
    """
    source, dt = result.source, result.dt
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    frame = _frame(source, result)
    files = pl.DataFrame(
        [(dt, source, f.source_file, f.lines_read, f.loaded, f.duplicates, f.invalid, f.file_status, now) for f in result.files],
        schema=[("dt", pl.Date), ("source", pl.Utf8), ("source_file", pl.Utf8), ("lines_read", pl.Int64), ("loaded", pl.Int64),
                ("duplicates", pl.Int64), ("invalid", pl.Int64), ("file_status", pl.Utf8), ("ingested_at", _ts_type)],
        orient="row",
    )
    quarantine = pl.DataFrame(
        [(dt, source, f, n, r) for f, n, r, _ in result.quarantine],
        schema=[("dt", pl.Date), ("source", pl.Utf8), ("source_file", pl.Utf8), ("line_no", pl.Int64), ("reason", pl.Utf8)],
        orient="row",
    )
    # Raw personal data first (restricted store): no analyst-side row names an actor the identity map lacks.
    write_restricted(result, paths, p)
    own = con is None
    if own:
        paths.root.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(paths.db))
    try:
        ensure_bronze(con)
        con.execute("BEGIN")
        if source == "indicators":
            con.execute("DELETE FROM bronze.indicators")
        else:
            con.execute(f"DELETE FROM bronze.{source} WHERE dt = ?", [dt])
            con.execute("DELETE FROM bronze.verified_days WHERE dt = ?", [dt])  # until its checks pass again
        con.execute("DELETE FROM bronze.ingest_files WHERE source = ? AND dt IS NOT DISTINCT FROM ?", [source, dt])
        con.execute("DELETE FROM bronze.quarantine WHERE source = ? AND dt IS NOT DISTINCT FROM ?", [source, dt])
        con.register("tg_rows", frame.to_arrow())
        con.register("tg_files", files.to_arrow())
        con.register("tg_quarantine", quarantine.to_arrow())
        if fast_rows is not None:
            con.execute(f"INSERT INTO bronze.{source} SELECT * FROM {fast_rows}")
        if frame.height:
            con.execute(f"INSERT INTO bronze.{source} SELECT * FROM tg_rows")
        con.execute("INSERT INTO bronze.ingest_files SELECT * FROM tg_files")
        con.execute("INSERT INTO bronze.quarantine SELECT * FROM tg_quarantine")
        con.execute("COMMIT")
    finally:
        if own:
            con.close()


def mark_days_verified(paths: WarehousePaths, days: list[date]) -> None:
    con = connect_warehouse(paths.db)
    try:
        ensure_bronze(con)
        con.executemany("INSERT OR REPLACE INTO bronze.verified_days VALUES (?, now()::TIMESTAMP)", [[d] for d in days])
    finally:
        con.close()


def ingest_partition(source: str, landing: Path, dt: date | None, paths: WarehousePaths, p: Pseudonymizer) -> PartitionResult:
    """Validate, transform and write one partition: the lane works inside the warehouse connection,
    so its bulk rows go from DuckDB's JSON reader into bronze without passing through Python."""
    from .ingest_sql import FAST_ROWS, run_vectorised_lane  # it builds on this module

    paths.root.mkdir(parents=True, exist_ok=True)
    con = connect_warehouse(paths.db)
    try:
        result = run_vectorised_lane(con, source, landing, dt, p)
        write_partition(result, paths, p, con=con, fast_rows=FAST_ROWS if result.fast_loaded else None)
    finally:
        con.close()
    return result
