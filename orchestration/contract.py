"""The raw log contract: JSON Schemas compiled into fast per-record checks.

The schemas in orchestration/contract/ are a copy of shared/contract (a test
keeps them identical). Validation is driven by the schema, not hand-written per
field, so a contract change is one file copy. jsonschema itself is ~30x slower
on a million lines; tests cross-check this validator against it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

CONTRACT_DIR = Path(__file__).resolve().parent / "contract"
PARTITIONED_SOURCES = ("accounts", "events", "sessions", "enforcement")
ALL_SOURCES = PARTITIONED_SOURCES + ("indicators",)

# Record keys (contract README): a second record with the same key in one
# partition is a duplicate when identical, invalid when different.
RECORD_KEY = {
    "accounts": ("account_id", "event_time"),
    "events": ("event_id",),
    "sessions": ("session_id",),
    "enforcement": ("action_id",),
    "indicators": ("indicator_type", "value"),
}
LATE_DATA = timedelta(hours=72)
CLOCK_SKEW = timedelta(minutes=5)

# RFC 3339's grammar; fromisoformat checks the calendar (days per month, hour < 24), and would
# turn an offset of +05:75 into 6h15 if the grammar let it through.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
)
_JSON_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


class InvalidRecord(ValueError):
    """A line that breaks the contract; the message is the quarantine reason.

    Reasons name the field and the rule, never the value: they sit in the analyst-side
    bronze.quarantine, and a producer that writes a person's data into the wrong field would
    leak it there. The line itself is in the restricted store (quarantine_lines)."""


class TimestampOutOfRange(ValueError):
    """A well-formed RFC 3339 time whose UTC instant has no datetime (year 0 or 10000)."""


def parse_rfc3339(value: str) -> datetime:
    """An RFC 3339 timestamp with offset, as a naive UTC datetime."""
    if not _RFC3339.match(value):
        raise ValueError("not an RFC 3339 timestamp with offset")
    dt = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    try:
        return dt.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise TimestampOutOfRange("outside the years 1 to 9999 in UTC") from None


@dataclass(frozen=True)
class _FieldRule:
    name: str
    types: tuple[str, ...]
    enum: tuple | None
    min_length: int | None
    max_length: int | None
    pattern: re.Pattern | None  # compiled for Python's re (see python_pattern)
    pattern_text: str | None  # as the schema writes it (ECMA-262; RE2 reads its anchors alike)
    minimum: float | None
    maximum: float | None
    date_time: bool
    item_types: tuple[str, ...] | None
    item_max_length: int | None

    @property
    def integral_floats(self) -> bool:
        """JSON Schema's integer is any number with a zero fraction: 1.0 and 1e2 are integers."""
        return "integer" in self.types and "number" not in self.types


def python_pattern(ecma: str) -> str:
    """A JSON Schema (ECMA-262) pattern for Python's re: `$` outside a character class means the
    end of the string, where Python's also matches before a final newline ("US\\n" would pass
    ^[A-Z]{2}$). Escapes and classes are copied as they are."""
    out, i, in_class = [], 0, False
    while i < len(ecma):
        ch = ecma[i]
        if ch == "\\":
            out.append(ecma[i:i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append("\\Z" if ch == "$" and not in_class else ch)
        i += 1
    return "".join(out)


def _types(spec: dict) -> tuple[str, ...]:
    t = spec.get("type")
    if t is None:
        return ()
    return tuple(t) if isinstance(t, list) else (t,)


def _compile_field(name: str, spec: dict) -> _FieldRule:
    items = spec.get("items") or {}
    return _FieldRule(
        name=name,
        types=_types(spec),
        enum=tuple(spec["enum"]) if "enum" in spec else None,
        min_length=spec.get("minLength"),
        max_length=spec.get("maxLength"),
        pattern=re.compile(python_pattern(spec["pattern"])) if "pattern" in spec else None,
        pattern_text=spec.get("pattern"),
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
        date_time=spec.get("format") == "date-time",
        item_types=_types(items) if items else None,
        item_max_length=items.get("maxLength"),
    )


_PY_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "array": (list,),
             "object": (dict,), "null": (type(None),)}


def _compile_check(rule: _FieldRule):
    """One field's rule as a closure: only the tests the schema asks for, cheapest first."""
    name = rule.name
    py_types = tuple({t for n in rule.types for t in _PY_TYPES[n]})
    bool_ok = "boolean" in rule.types
    enum = frozenset(rule.enum) if rule.enum is not None and all(isinstance(e, (str, type(None))) for e in rule.enum) else rule.enum
    expected = "|".join(rule.types)
    item_types = tuple({t for n in (rule.item_types or ()) for t in _PY_TYPES[n]})
    integral_float_ok = rule.integral_floats

    def check(v, times):
        if rule.types:
            ok = bool_ok if v.__class__ is bool else isinstance(v, py_types)
            if not ok and not (integral_float_ok and v.__class__ is float and v.is_integer()):
                raise InvalidRecord(f"wrong type: {name} is {_json_type(v)}, expected {expected}")
        if enum is not None:
            try:
                known = v in enum
            except TypeError:  # an array or object: no enum of the contract holds one
                known = False
            if not known:
                raise InvalidRecord(f"unknown enum value: {name}")
        if v is None:
            return
        cls = v.__class__
        if cls is str:
            if rule.min_length is not None and len(v) < rule.min_length:
                raise InvalidRecord(f"too short: {name}")
            if rule.max_length is not None and len(v) > rule.max_length:
                raise InvalidRecord(f"too long: {name} ({len(v)} > {rule.max_length})")
            if rule.pattern is not None and not rule.pattern.search(v):
                raise InvalidRecord(f"bad format: {name} does not match {rule.pattern_text}")
            if rule.date_time:
                try:
                    times[name] = parse_rfc3339(v)
                except TimestampOutOfRange:
                    raise InvalidRecord(f"bad timestamp: {name} is outside the years 1 to 9999 in UTC") from None
                except ValueError:
                    raise InvalidRecord(f"bad timestamp: {name} is not an RFC 3339 date-time") from None
        elif cls is int or cls is float:
            if (rule.minimum is not None and v < rule.minimum) or (rule.maximum is not None and v > rule.maximum):
                raise InvalidRecord(f"out of range: {name} outside [{rule.minimum}, {rule.maximum}]")
        elif cls is list and item_types:
            for item in v:
                if item.__class__ is bool or not isinstance(item, item_types):
                    raise InvalidRecord(f"wrong type: item of {name} is {_json_type(item)}")
                if rule.item_max_length is not None and item.__class__ is str and len(item) > rule.item_max_length:
                    raise InvalidRecord(f"too long: item of {name}")

    return check


class RecordSchema:
    """One source's schema, compiled for speed."""

    def __init__(self, source: str, schema: dict):
        self.source = source
        self.required = tuple(schema.get("required", ()))
        self.fields = {n: _compile_field(n, s) for n, s in schema.get("properties", {}).items()}
        self._checks = {n: _compile_check(r) for n, r in self.fields.items()}
        self._integer_fields = frozenset(n for n, r in self.fields.items() if r.integral_floats)

    def check(self, rec) -> dict[str, datetime]:
        """Raise InvalidRecord with a reason; return the parsed date-time fields.

        An integer field written as a float with a zero fraction (1.0) becomes an int in `rec`,
        so bronze and the record's content digest see one value."""
        if rec.__class__ is not dict:
            raise InvalidRecord(f"not a JSON object: {_json_type(rec)}")
        for name in self.required:
            if name not in rec:
                raise InvalidRecord(f"missing required field: {name}")
        times: dict[str, datetime] = {}
        checks = self._checks
        for name, v in rec.items():
            check = checks.get(name)
            if check is not None:  # fields the contract does not name are allowed
                check(v, times)
                if v.__class__ is float and name in self._integer_fields:
                    rec[name] = int(v)  # same keys, new value: safe while iterating
        return times


def _json_type(v) -> str:
    for t in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _JSON_TYPES[t](v):
            return t
    return type(v).__name__


@lru_cache(maxsize=None)
def schema_for(source: str) -> RecordSchema:
    path = CONTRACT_DIR / f"{source}.schema.json"
    return RecordSchema(source, json.loads(path.read_text()))


def check_times(source: str, times: dict[str, datetime], partition: date | None) -> None:
    """The contract's time rules: event_time within [day - 72h, day end + 5 min]; other times never after it."""
    event_time = times.get("event_time")
    if event_time is not None and partition is not None:
        day_start = datetime(partition.year, partition.month, partition.day)
        if event_time > day_start + timedelta(days=1) + CLOCK_SKEW:
            raise InvalidRecord("impossible time: event_time after the partition's end")
        if event_time < day_start - LATE_DATA:
            raise InvalidRecord("impossible time: event_time more than 72h before the partition")
    if event_time is not None:
        for other in ("created_at", "first_seen"):
            t = times.get(other)
            if t is not None and t > event_time:
                raise InvalidRecord(f"impossible time: {other} after event_time")
