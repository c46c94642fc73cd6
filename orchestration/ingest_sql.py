"""The vectorised ingest lane: DuckDB validates and transforms the lines it can prove valid.

Per-line Python (LineValidator in ingest.py) runs at ~50k lines/s; DuckDB's JSON
reader at ~300k. So every line of a partition goes through DuckDB once, and a
line takes this fast lane only when SQL can show it passes every contract rule
exactly as LineValidator would decide. Everything else goes to LineValidator,
in file order: invalid lines (so every quarantine reason comes from one place),
repeated record keys (duplicate or conflict), and whatever SQL's JSON reader
might read differently from orjson (\\u escapes, NaN/Infinity literals,
trailing commas, a contract field named twice in one object, odd timestamps).
The rules are generated from the compiled contract (contract.RecordSchema), so
a schema change needs no edit here. tests/test_ingest_lanes.py holds both
lanes to byte-identical bronze, quarantine and identity tables.
"""
from __future__ import annotations

import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from .contract import CLOCK_SKEW, LATE_DATA, RECORD_KEY, RecordSchema, _FieldRule, schema_for
from .ingest import (COLUMNS, FileCounts, LineValidator, PartitionResult, RawFile, email_domain, parse_partition,
                     partition_files, read_file_bytes, skipped_file_counts, untrusted_line_numbers)
from .pseudonymize import DIGEST_HEX_CHARS, MIN_DIGIT_RUN, MIN_NAME_CHARS, PREFIX, Pseudonymizer, ip_network_prefix, username_shape

# Anything yyjson (DuckDB) accepts but orjson rejects, or may read differently: NaN/Infinity
# literals, numbers beyond a double (orjson rejects them as infinity: a 3-digit exponent, or 100
# digits in a row, since under both a number stays below 1e198), trailing commas, an escaped NUL,
# and a \u escape inside a field name (an escaped name could repeat a contract field unseen). Escapes in values decode alike
# (lone surrogates fail json_valid), so producers that escape all non-ASCII keep the fast lane.
# False alarms only cost a line a trip through LineValidator.
NOT_PLAIN_JSON = r"(?i),\s*[}\]]|[:\[,]\s*([-+]?(nan|inf)|-?\d+(\.\d+)?e[-+]?\d{3})|\d{100}"
# Escapes are rare: this one is only searched for in lines that hold a backslash-u.
ESCAPES_TO_CHECK = r"(?i)\\u0000|\\u[0-9a-f]{4}[^\"]*\"\s*:"
# The RFC 3339 subset both DuckDB's cast and Python's fromisoformat read alike.
PLAIN_TIMESTAMP = (r"^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
                   r"(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$")
_OCTET = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
PLAIN_IPV4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
LINES_PER_BATCH = 32_768
READ_THREADS = min(4, os.cpu_count() or 1)
VECTORISED_MIN_LINES = 5_000
PLAIN_NUMBER_CHARS = 15  # longer numbers go to Python: exact int/float comparison there
# orjson refuses documents nested deeper than 1024 levels; DuckDB reads them. A line with that many
# brackets goes to LineValidator, and only a long line can have them: strlen first, then the count.
ORJSON_MAX_DEPTH = 1024
DEEP_NESTING = (f"CASE WHEN strlen(txt) > {2 * ORJSON_MAX_DEPTH} THEN "
                f"strlen(txt) - strlen(replace(replace(txt, '[', ''), '{{', '')) >= {ORJSON_MAX_DEPTH} ELSE false END")


# --------------------------------------------------------------------------- reading lines

def split_lines(data: bytes, status: str, spans: list[tuple[int, int]] = ()) -> tuple[pa.Array, RawFile]:
    """The file's lines as one zero-copy Arrow array (each keeps its newline), and the RawFile
    bookkeeping of read_raw_lines (status, a cut file's tail, the untrusted line numbers from
    read_file_bytes' `spans`) without the lines."""
    if not data:
        return pa.array([], pa.large_binary()), RawFile([], "empty" if status == "ok" else status,
                                                        b"" if status == "truncated_gzip" else None)
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    rest = data[int(offsets[-1]):]
    tail = None
    if rest and status != "truncated_gzip":  # a last line without newline is still a line
        offsets = np.append(offsets, len(data))
    elif status == "truncated_gzip":
        tail = rest
    n = len(offsets) - 1
    lines = pa.LargeBinaryArray.from_buffers(pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return lines, RawFile([], status, tail, untrusted_line_numbers(offsets[1:], list(spans)))


# --------------------------------------------------------------------------- rules as SQL

def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _nullable(rule: _FieldRule) -> bool:
    if rule.types:
        return "null" in rule.types
    return rule.enum is None or None in rule.enum


def field_is_valid_sql(rule: _FieldRule, required: bool) -> str:
    """SQL that is true only when the field (JSON fragment `r."name"` of line `txt`) passes the rule.

    It may be false for a valid value (LineValidator then decides), never true for an invalid one.
    """
    f = f'r."{rule.name}"'
    s = f"({f}->>'$')"
    if required:
        when_null = "false"
    elif _nullable(rule):
        when_null = "true"
    else:
        # Missing and JSON null look alike here; null is invalid, so the name must not appear.
        when_null = f"NOT contains(txt, {_q(chr(34) + rule.name + chr(34))})"
    checks: list[str] = []
    is_string = f"left({f}, 1) = '\"'"
    if rule.enum is not None:
        names = [e for e in rule.enum if e is not None]
        if not all(isinstance(e, str) for e in names):
            return f"({f} IS NULL AND {when_null})"  # a non-string enum: always LineValidator
        checks += [is_string, f"{s} IN ({', '.join(_q(e) for e in names)})"]
    types = set(rule.types) - {"null"}
    if types == {"string"}:
        checks.append(is_string)
        if rule.min_length is not None:
            checks.append(f"length({s}) >= {rule.min_length}")
        if rule.max_length is not None:
            checks.append(f"length({s}) <= {rule.max_length}")
        if rule.pattern is not None:
            checks.append(f"regexp_matches({s}, {_q(rule.pattern_text)})")
        if rule.date_time:
            checks.append(f"regexp_matches({s}, {_q(PLAIN_TIMESTAMP)}) AND try_cast({s} AS TIMESTAMPTZ) IS NOT NULL")
    elif types == {"boolean"}:
        checks.append(f"{f} IN ('true', 'false')")
    elif types in ({"integer"}, {"number"}):
        kinds = "('BIGINT', 'UBIGINT')" if types == {"integer"} else "('BIGINT', 'UBIGINT', 'DOUBLE')"
        checks += [f"length({f}) <= {PLAIN_NUMBER_CHARS}", f"json_type({f}) IN {kinds}"]
        if rule.minimum is not None:
            checks.append(f"TRY_CAST({f} AS DOUBLE) >= {rule.minimum}")
        if rule.maximum is not None:
            checks.append(f"TRY_CAST({f} AS DOUBLE) <= {rule.maximum}")
    elif types == {"array"}:
        checks.append(f"left({f}, 1) = '['")
        if rule.item_types:
            if set(rule.item_types) != {"string"}:
                return f"({f} IS NULL AND {when_null})"
            # try(): SQL's AND does not short-circuit, and these fail on a non-array
            item_ok = "list_bool_and(list_transform(try(json_type({f}, '$[*]')), lambda t: t = 'VARCHAR'))".format(f=f)
            if rule.item_max_length is not None:
                item_ok += (f" AND list_bool_and(list_transform(try(from_json({f}, '[\"VARCHAR\"]')), "
                            f"lambda x: length(x) <= {rule.item_max_length}))")
            checks.append(f"({f} = '[]' OR ({item_ok}))")
    elif types:
        return f"({f} IS NULL AND {when_null})"  # type unions the fast lane does not prove
    nonnull = " AND ".join(checks) if checks else "true"
    return f"(CASE WHEN {f} IS NULL THEN {when_null} ELSE coalesce({nonnull}, false) END)"


def times_are_valid_sql(schema: RecordSchema, dt: date | None) -> str:
    """check_times in SQL, over the parsed timestamps t_<name>."""
    times = [n for n, r in schema.fields.items() if r.date_time]
    conds = []
    if "event_time" in times and dt is not None:
        start = datetime(dt.year, dt.month, dt.day)
        conds.append(f"t_event_time <= TIMESTAMP '{start + timedelta(days=1) + CLOCK_SKEW}'")
        conds.append(f"t_event_time >= TIMESTAMP '{start - LATE_DATA}'")
    if "event_time" in times:
        for other in ("created_at", "first_seen"):
            if other in times:
                conds.append(f"(t_{other} IS NULL OR t_{other} <= t_event_time)")
    return " AND ".join(conds) or "true"


def struct_spec(schema: RecordSchema) -> str:
    return "{" + ", ".join(f'"{n}": "JSON"' for n in schema.fields) + "}"


def checked_lines_sql(schema: RecordSchema, dt: date | None, text: bool = False) -> str:
    """One row per input line: its typed fields and `fast`, true when the fast lane may load it.

    tg_lines.raw holds each line with its newline: as VARCHAR when `text` (the file was proven
    UTF-8 already; JSON ignores the trailing whitespace), else as BLOB, decoded here.
    """
    names = list(schema.fields)
    field_ok = " AND ".join(field_is_valid_sql(r, n in schema.required) for n, r in schema.fields.items())
    # orjson keeps the last of a repeated field, DuckDB the first: such lines go to LineValidator.
    named_twice = "|".join(f'"{re.escape(n)}"\\s*:.*"{re.escape(n)}"\\s*:' for n in names)
    times = [n for n, r in schema.fields.items() if r.date_time]
    parsed_times = ", ".join(f"try_cast(r.\"{n}\"->>'$' AS TIMESTAMPTZ)::TIMESTAMP AS t_{n}" for n in times)
    keys = RECORD_KEY[schema.source]
    # Record keys as LineValidator.feed compares them: date-time fields as UTC instants.
    key_cols = ", ".join(f"t_{k} AS k_{k}" if k in times else f"CASE WHEN left(r.\"{k}\", 1) = '\"' THEN r.\"{k}\"->>'$' END AS k_{k}"
                         for k in keys)
    return f"""
        WITH decoded AS (
            SELECT file_idx, line_no, {"raw" if text else "rtrim(try(decode(raw)), chr(13) || chr(10))"} AS txt FROM tg_lines
        ), parsed AS (
            -- json_valid first: cheaper than try(); a top-level array or scalar reads as an empty struct
            SELECT file_idx, line_no, txt, CASE WHEN json_valid(txt) AND starts_with(ltrim(txt), '{{')
                   THEN from_json(txt, {_q(struct_spec(schema))}) END AS r FROM decoded
        ), checked AS (
            SELECT file_idx, line_no, r, {parsed_times}, {key_cols},
                   r IS NOT NULL AND NOT regexp_matches(txt, {_q(NOT_PLAIN_JSON)})
                     AND NOT regexp_matches(txt, {_q(named_twice)})
                     AND NOT (CASE WHEN contains(txt, '\\u') THEN regexp_matches(txt, {_q(ESCAPES_TO_CHECK)}) ELSE false END)
                     AND NOT ({DEEP_NESTING})
                     AND {field_ok} AS fields_ok
            FROM parsed
        )
        SELECT *, coalesce(fields_ok AND {times_are_valid_sql(schema, dt)}, false)
                  AND count(*) OVER (PARTITION BY {', '.join('k_' + k for k in keys)}) = 1 AS fast
        FROM checked
    """


# --------------------------------------------------------------------------- pseudonyms in SQL

def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA-256's inner and outer padded keys (RFC 2104)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


TOKEN_FIELDS = {  # (pseudonym kind, field) of the fast rows' personal data
    "events": [("account", "account_id"), ("account", "target_account_id")],
    "accounts": [("account", "account_id"), ("username", "username"), ("display_name", "display_name"),
                 ("ip", "signup_ip"), ("device", "signup_device_id")],
    "sessions": [("account", "account_id"), ("ip", "ip"), ("device", "device_id")],
    "enforcement": [("account", "account_id")],
}


def tokens_table_sql(source: str) -> str:
    """tg_tokens(kind, v, token): every distinct personal value of the fast rows, hashed once."""
    values = " UNION ".join(f"SELECT '{kind}' AS kind, {_s(field)} AS v FROM tg_fast WHERE r.\"{field}\" IS NOT NULL"
                            for kind, field in TOKEN_FIELDS[source])
    return f"CREATE OR REPLACE TEMP TABLE tg_tokens AS SELECT kind, v, tg_token(kind, v) AS token FROM (SELECT DISTINCT * FROM ({values}))"


def token_macro_sql(p: Pseudonymizer) -> str:
    """tg_token(kind, value): Pseudonymizer.token in SQL, same output."""
    inner, outer = hmac_pads(p._key)
    prefixes = " ".join(f"WHEN {_q(k)} THEN {_q(v)}" for k, v in PREFIX.items())
    return f"""
        CREATE OR REPLACE TEMP MACRO tg_token(kind, v) AS CASE WHEN v IS NULL THEN NULL ELSE
          (CASE kind {prefixes} END) || left(sha256(unhex('{outer.hex()}') || unhex(sha256(
            unhex('{inner.hex()}') || encode(kind || chr(31) || v)))), {DIGEST_HEX_CHARS}) END
    """


# --------------------------------------------------------------------------- per source

def _s(name: str) -> str:
    return f"(r.\"{name}\"->>'$')"


def _list(name: str) -> str:
    return f"CASE WHEN r.\"{name}\" IS NOT NULL THEN from_json(r.\"{name}\", '[\"VARCHAR\"]') END"


def _mentioned() -> str:
    """The mentioned account ids but the empty ones (an empty id names no account)."""
    return f"list_filter({_list('mention_account_ids')}, lambda m: m <> '')"


def bronze_select_sql(source: str) -> str:
    """The fast lane's bronze rows (COLUMNS order), from table tg_fast; helper tables from python_side.

    Pseudonyms come from tg_tokens (one HMAC per distinct value, not per row): tok() names the
    joined column and the join is added to the FROM clause.
    """
    joins: list[str] = []

    def tok(kind: str, field: str, empty_names_none: bool = False) -> str:
        alias = f"tok_{field}"
        joins.append(f"LEFT JOIN tg_tokens {alias} ON {alias}.kind = '{kind}' AND {alias}.v = {_s(field)}")
        if empty_names_none:  # ingest._event_row: an empty id names no account
            return f"CASE WHEN {_s(field)} <> '' THEN {alias}.token END AS {alias}"
        return f"{alias}.token AS {alias}"

    if source == "events":
        return f"""
            SELECT f.dt, f.source_file, f.line_no, {_s('event_id')}, t_event_time, {tok('account', 'account_id')},
                   {_s('event_type')}, {_s('video_id')}, {tok('account', 'target_account_id', empty_names_none=True)},
                   coalesce(tx.clean_text, {_s('text')}), {_list('hashtags')},
                   CASE WHEN len({_mentioned()}) > 0 THEN
                     list_transform({_mentioned()}, lambda m: tg_token('account', m)) END,
                   coalesce(tx.clean_urls, {_list('urls')}), {_s('sound_id')}, {_s('share_channel')}, {_s('session_id')},
                   {_s('region_code')}
            FROM tg_fast f LEFT JOIN tg_text tx USING (file_idx, line_no) {" ".join(joins)}
        """
    if source == "accounts":
        return f"""
            SELECT f.dt, f.source_file, f.line_no, {tok('account', 'account_id')}, t_event_time,
                   {_s('change_type')}, t_created_at, {tok('username', 'username')},
                   u.username_length, u.username_digit_run, u.username_shape,
                   {tok('display_name', 'display_name')}, coalesce(tx.clean_text, {_s('bio')}), em.email_domain,
                   {_s('signup_country')}, {_s('language')}, CAST(r."is_verified" AS BOOLEAN),
                   {tok('ip', 'signup_ip')}, ip.ip_prefix, {tok('device', 'signup_device_id')},
                   {_s('avatar_hash')}
            FROM tg_fast f LEFT JOIN tg_text tx USING (file_idx, line_no)
              LEFT JOIN tg_username u ON u.username = {_s('username')}
              LEFT JOIN tg_email_domain em ON em.value = {_s('email_domain')}
              LEFT JOIN tg_ip ip ON ip.ip = {_s('signup_ip')} {" ".join(joins)}
        """
    if source == "sessions":
        return f"""
            SELECT f.dt, f.source_file, f.line_no, {_s('session_id')}, t_event_time, {tok('account', 'account_id')},
                   {tok('ip', 'ip')}, ip.ip_prefix, ip.ip_version, CAST(r."asn" AS BIGINT), {_s('ip_country')},
                   {tok('device', 'device_id')}, {_s('user_agent')}, {_s('login_method')},
                   CAST(r."success" AS BOOLEAN)
            FROM tg_fast f LEFT JOIN tg_ip ip ON ip.ip = {_s('ip')} {" ".join(joins)}
        """
    if source == "enforcement":
        return f"""
            SELECT f.dt, f.source_file, f.line_no, {_s('action_id')}, t_event_time, {tok('account', 'account_id')},
                   {_s('action')}, {_s('policy')}, {_s('source')}, {_s('campaign_label')}
            FROM tg_fast f {" ".join(joins)}
        """
    raise ValueError(f"no vectorised lane for {source!r}")


def identity_observations_sql(source: str) -> str:
    """(account_id, username, when, file_idx, line_no) for every account a fast row names."""
    if source == "accounts":
        return f"SELECT {_s('account_id')} AS account_id, {_s('username')} AS username, t_event_time AS seen_at, file_idx, line_no FROM tg_fast"
    parts = [f"SELECT {_s('account_id')} AS account_id, NULL::VARCHAR AS username, NULL::TIMESTAMP AS seen_at, file_idx, line_no FROM tg_fast"]
    if source == "events":
        parts.append(f"SELECT {_s('target_account_id')}, NULL, NULL::TIMESTAMP, file_idx, line_no FROM tg_fast WHERE {_s('target_account_id')} <> ''")
        parts.append(f"SELECT unnest({_mentioned()}), NULL, NULL::TIMESTAMP, file_idx, line_no FROM tg_fast WHERE r.\"mention_account_ids\" IS NOT NULL")
    return " UNION ALL ".join(parts)


def _holds(text: str, value: str) -> str:
    """SQL: `value` is in `text` in some letter case, as free_text matches it (Python's re with
    IGNORECASE). Upper then lower case folds what re treats as one letter and a single case mapping
    does not: long s and s, final sigma and sigma, the Kelvin sign and k, the Ohm sign and omega."""
    return f"contains(lower(upper({text})), lower(upper({value})))"


def _mentions_someone(text: str, ids: list[str], id_list: str | None = None, names: tuple[str, ...] = ()) -> str:
    """SQL: the text holds an @, a run of digits, one of the (non-empty) raw ids or one of the names
    free_text replaces, so Pseudonymizer.free_text may change it."""
    conds = [f"contains({text}, '@')", f"regexp_matches({text}, '[0-9]{{{MIN_DIGIT_RUN}}}')"]
    conds += [f"({i} <> '' AND {_holds(text, i)})" for i in ids]
    conds += [f"(length(trim({n})) >= {MIN_NAME_CHARS} AND {_holds(text, n)})" for n in names]
    if id_list is not None:
        conds.append(f"coalesce(list_bool_or(list_transform({id_list}, lambda m: m <> '' AND {_holds(text, 'm')})), false)")
    return f"({text} IS NOT NULL AND ({' OR '.join(conds)}))"


def _python_side_tables(con: duckdb.DuckDBPyConnection, source: str, p: Pseudonymizer) -> None:
    """What stays in Python (one implementation with LineValidator): free-text scrubbing,
    username shapes and IP prefixes, over the fast rows that have them."""
    # Only texts with an @mention or a raw id in them change: the rest keep their text in SQL.
    if source == "events":
        rows = con.execute(f"""
            SELECT file_idx, line_no, {_s('text')}, {_list('mention_account_ids')}, {_s('target_account_id')}, {_s('account_id')},
                   {_list('urls')}
            FROM tg_fast WHERE {_mentions_someone(_s('text'), [_s('account_id'), _s('target_account_id')], _list('mention_account_ids'))}
               OR coalesce(list_bool_or(list_transform({_list('urls')}, lambda u: contains(u, '@'))), false)
        """).fetchall()
        texts = [(fi, ln, p.free_text(t, [m for m in (ms or []) if m] + ([tg] if tg else []) + [a]),
                  None if us is None else [p.url(u) for u in us]) for fi, ln, t, ms, tg, a, us in rows]
    elif source == "accounts":
        rows = con.execute(f"""
            SELECT file_idx, line_no, {_s('bio')}, {_s('account_id')}, {_s('username')}, {_s('display_name')}
            FROM tg_fast WHERE {_mentions_someone(_s('bio'), [_s('account_id'), _s('username')], names=(_s('display_name'),))}""").fetchall()
        texts = [(fi, ln, p.free_text(t, (a, u), (n,)), None) for fi, ln, t, a, u, n in rows]
    else:
        texts = []
    con.register("tg_text", pl.DataFrame(texts, schema=[("file_idx", pl.Int32), ("line_no", pl.Int64), ("clean_text", pl.Utf8),
                                                        ("clean_urls", pl.List(pl.Utf8))], orient="row").to_arrow())
    if source == "accounts":
        names = [u for (u,) in con.execute(f"SELECT DISTINCT {_s('username')} FROM tg_fast").fetchall()]
        shapes = [(u, *username_shape(u)) for u in names]
        con.register("tg_username", pl.DataFrame(shapes, schema=[("username", pl.Utf8), ("username_length", pl.Int32), ("username_digit_run", pl.Int32), ("username_shape", pl.Utf8)], orient="row").to_arrow())
        # One rule for both lanes (Python's lower() and DuckDB's differ beyond ASCII); few distinct values.
        given = [v for (v,) in con.execute(f"SELECT DISTINCT {_s('email_domain')} FROM tg_fast WHERE r.\"email_domain\" IS NOT NULL").fetchall()]
        con.register("tg_email_domain", pl.DataFrame([(v, email_domain(v)) for v in given], schema=[("value", pl.Utf8), ("email_domain", pl.Utf8)],
                                                     orient="row").to_arrow())
    if source in ("accounts", "sessions"):
        field = "signup_ip" if source == "accounts" else "ip"
        con.execute(f"CREATE OR REPLACE TEMP TABLE tg_ip_values AS SELECT DISTINCT {_s(field)} AS ip FROM tg_fast WHERE r.\"{field}\" IS NOT NULL")
        # Dotted-quad IPv4 (no leading zeros, as Python's ipaddress requires) in SQL; the rest in Python.
        others = [ip for (ip,) in con.execute(f"SELECT ip FROM tg_ip_values WHERE NOT regexp_full_match(ip, {_q(PLAIN_IPV4)})").fetchall()]
        prefixes = pl.DataFrame([(ip, *ip_network_prefix(ip)) for ip in others],
                                schema=[("ip", pl.Utf8), ("ip_prefix", pl.Utf8), ("ip_version", pl.Int32)], orient="row")
        con.register("tg_ip_others", prefixes.to_arrow())
        con.execute(f"""CREATE OR REPLACE TEMP TABLE tg_ip AS
            SELECT ip, regexp_extract(ip, '^(\\d+\\.\\d+\\.\\d+)\\.', 1) || '.0/24' AS ip_prefix, 4::INTEGER AS ip_version
            FROM tg_ip_values WHERE regexp_full_match(ip, {_q(PLAIN_IPV4)})
            UNION ALL SELECT * FROM tg_ip_others""")


# --------------------------------------------------------------------------- one partition

FAST_ROWS = "tg_bronze_fast"  # the temp view the lane leaves behind: fast rows, bronze columns


def parse_partition_vectorised(source: str, landing: Path, dt: date | None, p: Pseudonymizer,
                               min_lines: int | None = None) -> PartitionResult:
    """Same result as ingest.parse_partition, the rows as an Arrow table in result.table (what the
    lane tests compare; ingest_partition runs the lane inside the warehouse connection instead)."""
    con = duckdb.connect()
    try:
        result = run_vectorised_lane(con, source, landing, dt, p, min_lines)
        if result.fast_loaded:
            result.table = _combine(source, con.sql(f"SELECT * FROM {FAST_ROWS}").to_arrow_table(), result)
            result.rows = []
        return result
    finally:
        con.close()


def run_vectorised_lane(con: duckdb.DuckDBPyConnection, source: str, landing: Path, dt: date | None,
                        p: Pseudonymizer, min_lines: int | None = None) -> PartitionResult:
    """Validate and transform one partition on connection `con`.

    The rows LineValidator made are in result.rows; when result.fast_loaded > 0 the fast lane's
    rows are in the temp view FAST_ROWS of `con` (bronze column order), so the caller can insert
    them into bronze without a round trip through Python.

    Partitions under min_lines lines go through LineValidator alone: the SQL's fixed cost (~0.2 s)
    would exceed its time on them. Indicators (one small reference file) take ingest.parse_partition.
    """
    if source == "indicators":
        return parse_partition(source, landing, dt, p)
    landing = Path(landing)
    schema = schema_for(source)
    result = PartitionResult(source, dt)
    validator = LineValidator(source, dt, p, result)
    files, raws, chunks = [], [], []
    paths = partition_files(landing, source, dt)
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:  # zlib and file reads release the GIL
        contents = list(pool.map(read_file_bytes, paths))
    distrusted: dict[int, list] = {}  # file_idx -> (line_no, line) a damaged gzip member gave: never in SQL
    for file_idx, (path, (data, status, spans)) in enumerate(zip(paths, contents)):
        lines, raw = split_lines(data, status, spans)
        files.append(FileCounts(str(path.relative_to(landing)), file_status=raw.status))
        raws.append((raw, len(lines)))  # end_of_file numbers a damaged tail after the last line
        chunk = pa.table({"file_idx": pa.array(np.full(len(lines), file_idx, np.int32)),
                          "line_no": pa.array(np.arange(1, len(lines) + 1, dtype=np.int64)), "raw": lines})
        if raw.untrusted:
            bad = np.isin(np.arange(1, len(lines) + 1), np.fromiter(raw.untrusted, np.int64))
            distrusted[file_idx] = list(zip(chunk.column("line_no").filter(bad).to_pylist(), chunk.column("raw").filter(bad).to_pylist()))
            chunk = chunk.filter(pa.array(~bad)).combine_chunks()
        chunks.append(chunk)
    result.files = files + skipped_file_counts(landing, source, dt)  # after the read files: file_idx numbers those
    n_lines = sum(len(c) for c in chunks)
    if n_lines == 0 or n_lines < (VECTORISED_MIN_LINES if min_lines is None else min_lines):
        # every line through LineValidator, from what was read
        for file_idx, counts in enumerate(files):
            numbered = zip(chunks[file_idx].column("line_no").to_pylist(), chunks[file_idx].column("raw").to_pylist())
            _feed_file(validator, counts, file_idx, sorted([*numbered, *distrusted.get(file_idx, [])]), *raws[file_idx])
        return result
    texts = [lines_as_text(c.column("raw").chunk(0)) if c.num_rows else c.column("raw").cast(pa.large_string())
             for c in chunks]
    text = all(t is not None for t in texts)
    if text:  # every file is UTF-8: DuckDB reads the lines as they are, no decode pass
        chunks = [c.set_column(2, "raw", t) for c, t in zip(chunks, texts)]
    con.execute("SET TimeZone = 'UTC'")
    # Small record batches: DuckDB scans Arrow in parallel per batch.
    con.register("tg_lines", pa.Table.from_batches([b for c in chunks for b in c.to_batches(max_chunksize=LINES_PER_BATCH)]))
    con.execute(f"CREATE OR REPLACE TEMP TABLE tg_checked AS {checked_lines_sql(schema, dt, text)}")
    # The slow lane: LineValidator, in file order, on every line the fast lane did not prove.
    slow = con.execute("""SELECT c.file_idx, c.line_no, l.raw FROM tg_checked c JOIN tg_lines l USING (file_idx, line_no)
                          WHERE NOT c.fast ORDER BY c.file_idx, c.line_no""").fetchall()
    fast_per_file = dict(con.execute("SELECT file_idx, count(*) FROM tg_checked WHERE fast GROUP BY 1").fetchall())
    for file_idx, counts in enumerate(files):
        counts.lines_read += fast_per_file.get(file_idx, 0)
        counts.loaded += fast_per_file.get(file_idx, 0)
    result.fast_loaded = sum(fast_per_file.values())
    slow_by_file: dict[int, list] = {}
    for file_idx, line_no, raw in slow:
        slow_by_file.setdefault(file_idx, []).append((line_no, raw.encode() if text else raw))
    for file_idx, counts in enumerate(files):
        numbered = sorted(slow_by_file.get(file_idx, []) + distrusted.get(file_idx, []))  # file order
        _feed_file(validator, counts, file_idx, numbered, *raws[file_idx])
    if result.rows and _slow_keys_meet_fast_keys(con, source, validator):
        # A key orjson read from a line SQL could not read also names a fast row: only the
        # reference lane orders that pair correctly (first wins). Rare by construction.
        return parse_partition(source, landing, dt, p)
    files_tbl = pa.table({"file_idx": pa.array(range(len(files)), pa.int32()),
                          "source_file": pa.array([c.source_file for c in files], pa.string())})
    con.register("tg_file_names", files_tbl)
    con.execute(f"CREATE OR REPLACE TEMP VIEW tg_fast AS SELECT c.*, {_date_sql(dt)} AS dt, f.source_file "
                "FROM tg_checked c JOIN tg_file_names f USING (file_idx) WHERE c.fast")
    con.execute(token_macro_sql(p))
    con.execute(tokens_table_sql(source))
    _python_side_tables(con, source, p)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {FAST_ROWS} AS {bronze_select_sql(source)}")
    _merge_identities(con, source, validator, result)
    return result


def _date_sql(dt: date | None) -> str:
    return "NULL" if dt is None else f"DATE '{dt.isoformat()}'"


def lines_as_text(lines: pa.Array) -> pa.Array | None:
    """The lines as a string array over the same bytes, or None if the file is not all UTF-8."""
    text = pa.LargeStringArray.from_buffers(len(lines), lines.buffers()[1], lines.buffers()[2])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return None
    return text


def _feed_file(validator: LineValidator, counts: FileCounts, file_idx: int, numbered_lines, raw_file: RawFile,
               n_lines: int) -> None:
    """(line_no, line with its newline) pairs of one file through LineValidator, in order, then the
    file's end. A line of a damaged gzip member (raw_file.untrusted) is quarantined, not validated."""
    for line_no, raw in numbered_lines:
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if line_no in raw_file.untrusted:
            validator.distrust(counts, line_no, line)
        else:
            validator.feed(counts, file_idx, line_no, line)
    validator.end_of_file(counts, raw_file, n_lines)


def _slow_keys_meet_fast_keys(con: duckdb.DuckDBPyConnection, source: str, validator: LineValidator) -> bool:
    keys = RECORD_KEY[source]
    # typed as tg_checked's k_ columns: a date-time key is an instant (a datetime in validator.seen)
    timed = [schema_for(source).fields[k].date_time for k in keys]
    slow_keys = [tuple(v if t else str(v) for v, t in zip(key, timed)) for key in validator.seen]
    frame = pl.DataFrame(slow_keys, schema=[(f"k_{k}", pl.Datetime("us") if t else pl.Utf8) for k, t in zip(keys, timed)],
                         orient="row")
    con.register("tg_slow_keys", frame.to_arrow())
    on = " AND ".join(f"c.k_{k} = s.k_{k}" for k in keys)
    return con.execute(f"SELECT count(*) FROM tg_checked c JOIN tg_slow_keys s ON {on} WHERE c.fast").fetchall()[0][0] > 0


def _combine(source: str, fast_rows: pa.Table, result: PartitionResult) -> pa.Table:
    schema = [("dt", pl.Date), ("source_file", pl.Utf8), ("line_no", pl.Int64)] + COLUMNS[source]
    fast = pl.from_arrow(fast_rows)
    fast.columns = [n for n, _ in schema]
    fast = fast.cast(dict(schema))
    if not result.rows:
        return fast.to_arrow()  # bronze order carries no meaning; (source_file, line_no) is the row's address
    slow = pl.DataFrame(result.rows, schema=schema, orient="row")
    return pl.concat([fast, slow]).sort("source_file", "line_no").to_arrow()


def _merge_identities(con: duckdb.DuckDBPyConnection, source: str, validator: LineValidator, result: PartitionResult) -> None:
    """Both lanes' identity observations, one rule: the latest username wins, ties to the later line.

    The rows stay in Arrow, pseudonyms made in SQL (most are in tg_tokens already)."""
    slow = [(a, u, w, *validator.identity_pos[a]) for a, (u, w) in result.identities.items()]
    con.register("tg_slow_ident", pl.DataFrame(slow, schema=[("account_id", pl.Utf8), ("username", pl.Utf8), ("seen_at", pl.Datetime("us")),
                                                               ("file_idx", pl.Int32), ("line_no", pl.Int64)], orient="row").to_arrow())
    result.identity_table = con.sql(f"""
        WITH obs AS ({identity_observations_sql(source)} UNION ALL SELECT * FROM tg_slow_ident),
        merged AS (
            SELECT account_id,
                   arg_max(username, (seen_at, file_idx, line_no)) FILTER (WHERE username IS NOT NULL) AS username,
                   max(seen_at) FILTER (WHERE username IS NOT NULL) AS username_seen_at
            FROM obs GROUP BY account_id)
        SELECT coalesce(t.token, tg_token('account', m.account_id)) AS actor_key, m.account_id, m.username,
               m.username_seen_at
        FROM merged m LEFT JOIN tg_tokens t ON t.kind = 'account' AND t.v = m.account_id""").to_arrow_table()
    result.identities = {}
