"""Run a Great Expectations suite (JSON) on a pandas DataFrame, plus the checks GX cannot express.

A suite file is GX 1.x's own format (``name``, ``expectations`` with ``type``,
``kwargs``, ``meta``), with two conventions of ours:

- every expectation's ``meta.severity`` is ``error`` (blocking) or ``warning``
  (reported, not blocking); missing means ``error``;
- the suite's ``meta`` may hold checks that GX runs but that depend on the
  frame, or that GX cannot run at all:

  ``string_column_scans``: ``[{"name", "pattern" | "regex", "severity", "exclude_columns" | "columns"}]``
      a regex no value of *any* string column (or of the listed ``columns``) may
      match (IP literals, raw mentions...). Expanded into one GX ``expect_column_values_to_not_match_regex``
      per string column actually present in the frame.
  ``references``: ``[{"column", "table", "ref_column", "severity"}]``
      every non-null value of ``column`` must exist in ``table.ref_column``;
      evaluated in DuckDB SQL on the connection given to ``run_suite``.
  ``volume``: settings of the partition volume check (see
      ``orchestration/checks/gx_checks.py``); not used here.

GX runs for real: one ephemeral context per process (cached), one pandas data
source, a whole-dataframe batch definition, ``batch.validate(suite)``: first for
pass/fail only (``BOOLEAN_ONLY``), then, for the failed expectations and those
with ``mostly``, again with counts and examples (``SUMMARY``). The asset checks
read only the columns a suite looks at (``columns_to_read``). Failed values kept as
examples are redacted first (``redact_example``): they are shown in Dagster.
"""
from __future__ import annotations

import json
import re
import threading
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import pandas as pd

from orchestration.pseudonymize import COMBINING_MARKS, MIN_DIGIT_RUN, bmp_char_class

SUITES_DIR = Path(__file__).resolve().parent / "suites"
ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)
EXAMPLES = 5  # unexpected values kept per failed expectation

# Named patterns a suite may refer to in `string_column_scans` (or give its own `regex`).
# Written without lookarounds, so pandas hands them to pyarrow's RE2 (~4x faster than
# Python's re, which GX's pandas engine otherwise runs value by value). A "not preceded by"
# is "(start or a char outside the class)", which is the same for a contains-test;
# tests/test_quality_checks.py holds them equal to their lookaround forms on a corpus.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
# Letters beyond ASCII, as literal ranges: Python's re has no \p{L}. Letters only: "@" before an
# emoji or a symbol is no mention (ingest leaves it), and every letter starts one for ingest.
NON_ASCII_LETTER = "[" + bmp_char_class(lambda ch: unicodedata.category(ch).startswith("L")) + "]"
_H4 = r"[0-9A-Fa-f]{1,4}"
PATTERNS = {
    # a dotted quad standing on its own: not part of a version string (Chrome/120.0.0.0),
    # a longer number, or a CIDR prefix (10.1.2.0/24 is a network, not a person's address)
    "ipv4_literal": rf"(?:^|[^0-9A-Za-z./_-])(?:{_OCTET}\.){{3}}{_OCTET}(?:$|[^0-9A-Za-z/_.-]|\.(?:$|[^0-9A-Za-z]))",
    # full 8-group form, or a compressed form with '::'; a /48 prefix is not a literal
    "ipv6_literal": rf"(?:^|[^0-9A-Za-z:._-])(?:(?:{_H4}:){{7}}{_H4}|(?:{_H4}:){{1,7}}:(?:{_H4}(?::{_H4}){{0,6}})?"
                    rf"|::(?:{_H4}(?::{_H4}){{0,6}}))(?:$|[^0-9A-Za-z:./_-])",
    # an @mention that is not a pseudonym (ingest replaces every mention with @a_<20 hex>),
    # before an ASCII letter or digit or any other letter
    "raw_mention": r"(?:^|[^0-9A-Za-z_.\-])@(?:[A-Zb-z0-9_]|a(?:$|[^_])|a_[0-9a-f]{0,19}(?:$|[^0-9a-f])"
                   r"|a_[0-9a-f]{20}[0-9A-Za-z_]|" + NON_ASCII_LETTER + ")",
    "email_address": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    # a run of 6+ digits standing alone: ingest takes it for an account id (pseudonymize.DIGIT_RUN)
    "numeric_id": rf"(?:^|[^0-9A-Za-z_])[0-9]{{{MIN_DIGIT_RUN},}}(?:$|[^0-9A-Za-z_])",
}


# --------------------------------------------------------------------------- #
# Examples without personal data
# --------------------------------------------------------------------------- #
# Failed expectations' examples reach Dagster metadata, which stakeholders see. The scans for
# IPs, e-mail addresses and raw mentions fail on exactly the values that must not be shown, so
# every example is redacted before it is kept: what a value is stays ("client-ip <ipv4>"), the
# value does not. Masks err wide (any dotted quad is an <ipv4>): a mask costs a little context,
# a miss leaks a person.
_IS_PSEUDONYM = re.compile(r"[a-z]{1,3}_[0-9a-f]{20}")  # what ingest writes for an account, username, device, IP, e-mail
_PLATFORM_ID = r"[a-z]{1,3}_[0-9a-f]{16}(?:[0-9a-f]{4})?"  # a pseudonym, or an id we make (net_<16 hex>)
_PSEUDONYM_FORMAT = re.compile(r"\^[a-z]{1,3}_\[0-9a-f\]\{20\}\$")  # a suite's regex for a pseudonym column
_H4_RUN = r"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*"
_M = COMBINING_MARKS  # Python's \w leaves them out: a handle in Devanagari or Thai goes on past its vowel signs
_PERSONAL = re.compile(rf"""
    (?P<keep>(?<![\w.%+-])@?{_PLATFORM_ID}(?!\w))   # pseudonyms, pseudonymised mentions, network ids: published
  | (?P<email>(?<![\w{_M}.%+-])[\w{_M}.%+-]+@[\w{_M}-]+(?:\.[\w{_M}-]+)*)  # local@domain; also local@<pseudonym>: the local part is personal
  | (?P<ipv4>(?<![\d.])(?:\d{{1,3}}\.){{3}}\d{{1,3}}(?!\d))
  | (?P<ipv6>(?<![\w:])(?:(?:[0-9A-Fa-f]{{1,4}}:){{7}}[0-9A-Fa-f]{{1,4}}|(?:{_H4_RUN})?::(?:{_H4_RUN})?)(?![\w:]|\.\d))  # '.\d': ::ffff:10.0.0.1 is an <ipv4>
  | (?P<handle>@\w[\w{_M}.-]*)                      # any script, marks too: @Ольга_Петрова, @प्रिया
  | (?P<digits>(?<![0-9A-Za-z])\d{{6,}}(?![0-9A-Za-z]))  # phone numbers, numeric account ids; not hex ids
""", re.VERBOSE)
_ONLY_MASKS = re.compile(r"(?:<(?:email|ipv4|ipv6|handle|digits)>)+")


def redact_text(text: str) -> str:
    """`text` with e-mail addresses, IPv4/IPv6 literals, @handles and runs of 6+ digits masked as
    '<email>', '<ipv4>', '<ipv6>', '<handle>', '<digits>'; pseudonyms (a_<20 hex>, @a_...) and
    network ids stay."""
    return _PERSONAL.sub(lambda m: m.group() if m.lastgroup == "keep" else f"<{m.lastgroup}>", text)


def pseudonym_columns(suite_json: dict) -> frozenset[str]:
    """Columns the suite requires to hold pseudonyms (a `^a_[0-9a-f]{20}$`-style regex)."""
    return frozenset(e["kwargs"]["column"] for e in suite_json.get("expectations", [])
                     if e["type"] == "expect_column_values_to_match_regex"
                     and _PSEUDONYM_FORMAT.fullmatch(e["kwargs"].get("regex", "")))


EXAMPLE_CONTEXT = 24  # characters kept on each side of a mask in a long example
_MASK = re.compile(r"<(?:email|ipv4|ipv6|handle|digits)>")


def shorten_around_masks(text: str, context: int = EXAMPLE_CONTEXT) -> str:
    """A long redacted text cut to what surrounds its masks: a post or a bio is somebody's words,
    and the check report needs only what was found and a little around it ("…call <ipv4> now…").
    Without a mask, only its start. Short texts stay whole."""
    if len(text) <= 3 * context:
        return text
    spans = [(max(0, m.start() - context), min(len(text), m.end() + context)) for m in _MASK.finditer(text)]
    if not spans:
        return text[:context] + "…"
    merged = [list(spans[0])]
    for a, b in spans[1:]:
        if a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return "".join(("…" if a > 0 else "") + text[a:b] for a, b in merged) + ("…" if merged[-1][1] < len(text) else "")


def redact_example(value: Any, pseudonym_cols: frozenset[str] = frozenset(), column: str | None = None) -> Any:
    """An example value safe to show: strings go through redact_text, then long ones are cut to the
    context of their masks (shorten_around_masks); in a pseudonym column a value that is not a
    pseudonym is a raw identifier (a username, an account id) that no pattern can recognise, so
    only its length is shown. Lists and dicts (compound keys) are redacted inside."""
    if isinstance(value, str):
        if column in pseudonym_cols and not _IS_PSEUDONYM.fullmatch(value):
            masked = redact_text(value)
            return masked if _ONLY_MASKS.fullmatch(masked) else f"<not a pseudonym: {len(value)} chars>"
        return shorten_around_masks(redact_text(value))
    if isinstance(value, (list, tuple)):
        return [redact_example(v, pseudonym_cols, column) for v in value]
    if isinstance(value, dict):
        return {k: redact_example(v, pseudonym_cols, k) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- #
# Results
# --------------------------------------------------------------------------- #
@dataclass
class ExpectationOutcome:
    name: str  # readable: "expect_column_values_to_be_unique(event_id)"
    type: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: list = field(default_factory=list)
    error: str | None = None  # the expectation could not be evaluated (counts as failed)
    kind: str = "gx"  # gx | reference


@dataclass
class SuiteOutcome:
    suite: str
    row_count: int
    results: list[ExpectationOutcome]

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success]

    @property
    def failed_errors(self) -> list[ExpectationOutcome]:
        return [r for r in self.failed if r.severity == ERROR]

    @property
    def failed_warnings(self) -> list[ExpectationOutcome]:
        return [r for r in self.failed if r.severity == WARNING]

    @property
    def passed(self) -> bool:
        """No error-severity expectation failed (warnings do not fail the gate)."""
        return not self.failed_errors

    @property
    def success(self) -> bool:
        """Every expectation passed, warnings included."""
        return not self.failed

    def failed_names(self) -> list[str]:
        return [r.name for r in self.failed]

    def to_markdown(self, limit: int = 50) -> str:
        failed = sorted(self.failed, key=lambda r: (r.severity != ERROR, r.name))
        if not failed:
            return f"All {len(self.results)} expectations of `{self.suite}` passed on {self.row_count} rows."
        lines = ["| severity | expectation | unexpected | examples |", "|---|---|---:|---|"]
        for r in failed[:limit]:
            count = "n/a" if r.unexpected_count is None else str(r.unexpected_count)
            ex = r.error or ", ".join(_md_cell(v) for v in r.examples)
            lines.append(f"| {r.severity} | `{r.name}` | {count} | {_md_escape(ex)} |")
        if len(failed) > limit:
            lines.append(f"\n{len(failed) - limit} more failed expectations not shown.")
        return "\n".join(lines)


def _md_cell(v: Any) -> str:
    s = repr(v) if not isinstance(v, str) else v
    return "`" + (s[:80] + "…" if len(s) > 80 else s).replace("`", "'") + "`"


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------- #
# Suites
# --------------------------------------------------------------------------- #
def suite_names() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.json"))


def load_suite(name: str) -> dict:
    """A suite by name (the file stem under expectations/suites/), validated for our conventions."""
    path = SUITES_DIR / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite {name!r} in {SUITES_DIR}")
    suite = json.loads(path.read_text())
    validate_suite_json(suite)
    return suite


def validate_suite_json(suite: dict) -> None:
    """Fail early on a malformed suite: a typo must not silently disable a gate."""
    if not suite.get("name"):
        raise ValueError("suite has no name")
    for i, exp in enumerate(suite.get("expectations", [])):
        if "type" not in exp or "kwargs" not in exp:
            raise ValueError(f"{suite['name']}: expectation {i} needs 'type' and 'kwargs'")
        sev = (exp.get("meta") or {}).get("severity", ERROR)
        if sev not in SEVERITIES:
            raise ValueError(f"{suite['name']}: expectation {i} has severity {sev!r}, not one of {SEVERITIES}")
    meta = suite.get("meta") or {}
    for scan in meta.get("string_column_scans", []):
        if not (scan.get("regex") or scan.get("pattern") in PATTERNS):
            raise ValueError(f"{suite['name']}: string scan {scan.get('name')!r} needs a regex or a known pattern")
        if scan.get("severity", ERROR) not in SEVERITIES:
            raise ValueError(f"{suite['name']}: string scan {scan.get('name')!r} has a bad severity")
    for ref in meta.get("references", []):
        missing = {"column", "table", "ref_column"} - ref.keys()
        if missing:
            raise ValueError(f"{suite['name']}: reference needs {sorted(missing)}")


def string_columns(df: pd.DataFrame) -> list[str]:
    """Columns whose non-null values are all strings (not lists, dates or numbers)."""
    cols = []
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_string_dtype(s.dtype) and not pd.api.types.is_object_dtype(s.dtype):
            if s.notna().any():
                cols.append(c)
            continue
        if pd.api.types.infer_dtype(s, skipna=True) == "string":
            cols.append(c)
    return cols


def _is_text_type(duckdb_type: str) -> bool:
    t = duckdb_type.upper()
    return t == "VARCHAR" or t.startswith(("VARCHAR(", "ENUM(")) or t == "JSON"


def columns_to_read(suite_json: dict, table_columns: dict[str, str]) -> list[str]:
    """The columns of a table (name -> DuckDB type, in table order) the suite looks at: those its
    expectations and references name, and the text columns its string scans cover. List columns
    nobody checks are the dearest to read into pandas and to fingerprint: they are left out."""
    wanted: set[str] = set()
    for exp in suite_json.get("expectations", []):
        if exp["type"].startswith("expect_table_column"):  # about the table's column set: read it all
            return list(table_columns)
        wanted.update(_referenced_columns(exp.get("kwargs") or {}))
    meta = suite_json.get("meta") or {}
    wanted.update(ref["column"] for ref in meta.get("references", []))
    text = [c for c, t in table_columns.items() if _is_text_type(t)]
    for scan in meta.get("string_column_scans", []):
        only, exclude = scan.get("columns"), set(scan.get("exclude_columns", []))
        wanted.update(c for c in text if (only is None or c in only) and c not in exclude)
    # at least one column, so a suite of table-level expectations (row counts) still sees every row
    return [c for c in table_columns if c in wanted] or list(table_columns)[:1]


# What every match of a named pattern contains: a column whose values provably lack it cannot match.
PATTERN_NEEDS = {"ipv4_literal": ".", "ipv6_literal": ":", "raw_mention": "@", "email_address": "@"}
# An anchored pattern built only from word characters, classes of them and counts: ^a_[0-9a-f]{20}$
_WORD_ONLY = re.compile(r"\^(?:[A-Za-z0-9_]|\[(?:[A-Za-z0-9_]|[0-9]-[0-9]|[a-z]-[a-z]|[A-Z]-[A-Z])+\]|\{\d+(?:,\d*)?\}|[+*?])+\$")


def proven_free_of(suite_json: dict, column: str, pattern_name: str | None) -> bool:
    """True when an error-severity expectation on `column` already rules out every match of the
    named scan pattern: a value set none of whose members match, or a format of word characters
    only (they hold no '.', ':' or '@'). Such a scan could only fail if that expectation fails too."""
    if pattern_name not in PATTERN_NEEDS:
        return False  # a suite's own regex: always scanned
    for exp in suite_json.get("expectations", []):
        kwargs = exp.get("kwargs") or {}
        if kwargs.get("column") != column or (exp.get("meta") or {}).get("severity", ERROR) != ERROR:
            continue
        if kwargs.get("mostly", 1) != 1:
            continue
        if exp["type"] == "expect_column_values_to_be_in_set":
            found = re.compile(PATTERNS[pattern_name])
            if not any(isinstance(v, str) and found.search(v) for v in kwargs.get("value_set") or []):
                return True
        if exp["type"] == "expect_column_values_to_match_regex" and _WORD_ONLY.fullmatch(kwargs.get("regex", "")):
            return True
    return False


def expand_suite(suite_json: dict, df: pd.DataFrame) -> list[dict]:
    """The suite's GX expectations plus the string scans expanded for this frame's columns.

    A scan is left out on a column where another error-severity expectation already rules it out
    (proven_free_of): on bronze events that is 20 of 44 regex scans, the bulk of the suite's time.
    """
    expectations = [dict(e) for e in suite_json.get("expectations", [])]
    meta = suite_json.get("meta") or {}
    scans = meta.get("string_column_scans", [])
    if scans:
        text_cols = string_columns(df)
        for scan in scans:
            regex = scan.get("regex") or PATTERNS[scan["pattern"]]
            exclude = set(scan.get("exclude_columns", []))
            only = scan.get("columns")
            for col in text_cols:
                if col in exclude or (only is not None and col not in only):
                    continue
                if not scan.get("regex") and proven_free_of(suite_json, col, scan.get("pattern")):
                    continue
                expectations.append({
                    "type": "expect_column_values_to_not_match_regex",
                    "kwargs": {"column": col, "regex": regex},
                    "meta": {"severity": scan.get("severity", ERROR), "scan": scan.get("name") or scan.get("pattern")},
                })
    return expectations


# --------------------------------------------------------------------------- #
# GX: one ephemeral context per process
# --------------------------------------------------------------------------- #
_GX_LOCK = threading.RLock()
_GX_STATE: dict[str, Any] = {}


def _batch_definition():
    """The cached whole-dataframe batch definition of a pandas source in an ephemeral context."""
    with _GX_LOCK:
        if "batch_definition" not in _GX_STATE:
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            source = context.data_sources.add_pandas(name="threatgraph")
            asset = source.add_dataframe_asset(name="frame")
            _GX_STATE["context"] = context
            _GX_STATE["batch_definition"] = asset.add_batch_definition_whole_dataframe("whole_frame")
        return _GX_STATE["batch_definition"]


def _column_of(kwargs: dict) -> str | None:
    if "column" in kwargs:
        return kwargs["column"]
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return None


def _readable(exp: dict) -> str:
    col = _column_of(exp["kwargs"])
    meta = exp.get("meta") or {}
    label = meta.get("scan")
    return f"{exp['type']}({col})" + (f"[{label}]" if label else "") if col else exp["type"]


def _referenced_columns(kwargs: dict) -> list[str]:
    cols = []
    for k in ("column", "column_A", "column_B"):
        if k in kwargs:
            cols.append(kwargs[k])
    cols += list(kwargs.get("column_list", []))
    return cols


def _clean_example(v: Any) -> Any:
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [_clean_example(x) for x in v]
    if isinstance(v, dict):
        return {k: _clean_example(x) for k, x in v.items()}
    if hasattr(v, "item"):  # numpy scalar
        try:
            return v.item()
        except (ValueError, AttributeError):
            pass
    return v


def _run_gx(suite_name: str, expectations: list[dict], df: pd.DataFrame) -> list[ExpectationOutcome]:
    import great_expectations as gx

    outcomes: list[ExpectationOutcome] = []
    runnable: list[dict] = []
    by_id: dict[str, dict] = {}
    present = set(df.columns)
    for i, exp in enumerate(expectations):
        severity = (exp.get("meta") or {}).get("severity", ERROR)
        missing = [c for c in _referenced_columns(exp["kwargs"]) if c not in present]
        if missing:
            # GX would raise inside validation; a contract column that is gone is a failure.
            outcomes.append(ExpectationOutcome(_readable(exp), exp["type"], _column_of(exp["kwargs"]), severity,
                                               False, error=f"missing column(s): {', '.join(missing)}"))
            continue
        # A stable id per expectation: GX keeps our meta on results only when the id is set.
        exp_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"threatgraph/{suite_name}/{i}"))
        by_id[exp_id] = exp
        runnable.append({"type": exp["type"], "kwargs": exp["kwargs"], "meta": exp.get("meta") or {}, "id": exp_id})
    if not runnable:
        return outcomes

    with _GX_LOCK:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": df})
        # Pass/fail of everything first (about half the work of SUMMARY), then counts and examples
        # only where they are reported: failures, and expectations that tolerate some (`mostly`).
        quick = batch.validate(gx.ExpectationSuite(name=suite_name, expectations=runnable), result_format="BOOLEAN_ONLY")
        detail_ids = {r.expectation_config.id for r in quick.results if not r.success}
        detail_ids |= {e["id"] for e in runnable if e["kwargs"].get("mostly", 1) != 1}
        results = {r.expectation_config.id: r for r in quick.results}
        if detail_ids:
            detailed = batch.validate(
                gx.ExpectationSuite(name=suite_name, expectations=[e for e in runnable if e["id"] in detail_ids]),
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES})
            results.update((r.expectation_config.id, r) for r in detailed.results)

    seen = set()
    for r in results.values():
        cfg = r.expectation_config
        exp = by_id.get(cfg.id)
        if exp is None:  # should not happen; keep the result rather than lose it
            exp = {"type": cfg.type, "kwargs": dict(cfg.kwargs), "meta": dict(cfg.meta or {})}
        seen.add(cfg.id)
        severity = (exp.get("meta") or {}).get("severity", ERROR)
        info = r.exception_info or {}
        error = None
        if info.get("raised_exception"):
            error = str(info.get("exception_message"))
        else:  # exception_info may be keyed by metric id when a metric failed
            for v in info.values():
                if isinstance(v, dict) and v.get("raised_exception"):
                    error = str(v.get("exception_message"))
                    break
        res = r.result or {}
        examples = res.get("partial_unexpected_list")
        if examples is None and "observed_value" in res:
            examples = [res["observed_value"]]
        outcomes.append(ExpectationOutcome(
            name=_readable(exp), type=exp["type"], column=_column_of(exp["kwargs"]), severity=severity,
            success=bool(r.success) and error is None,
            unexpected_count=res.get("unexpected_count"), unexpected_percent=res.get("unexpected_percent"),
            examples=[_clean_example(v) for v in (examples or [])[:EXAMPLES]], error=error,
        ))
    for exp_id, exp in by_id.items():
        if exp_id not in seen:
            outcomes.append(ExpectationOutcome(_readable(exp), exp["type"], _column_of(exp["kwargs"]),
                                               (exp.get("meta") or {}).get("severity", ERROR), False,
                                               error="GX returned no result for this expectation"))
    return outcomes


# --------------------------------------------------------------------------- #
# References (cross-table), in DuckDB
# --------------------------------------------------------------------------- #
def _quote_ident(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def check_references(suite_json: dict, df: pd.DataFrame, con) -> list[ExpectationOutcome]:
    refs = (suite_json.get("meta") or {}).get("references", [])
    outcomes = []
    for ref in refs:
        col, table, ref_col = ref["column"], ref["table"], ref["ref_column"]
        severity = ref.get("severity", ERROR)
        name = f"reference({col} -> {table}.{ref_col})"
        if col not in df.columns:
            outcomes.append(ExpectationOutcome(name, "reference", col, severity, False,
                                               error=f"missing column: {col}", kind="reference"))
            continue
        if con is None:
            outcomes.append(ExpectationOutcome(name, "reference", col, severity, False,
                                               error="no DuckDB connection given to evaluate the reference", kind="reference"))
            continue
        view = f"tg_ref_frame_{uuid.uuid4().hex[:8]}"
        cur = con.cursor()  # own connection: the caller's may hold an unfinished result
        cur.register(view, df[[col]])
        try:
            count, examples = cur.execute(f"""
                SELECT count(*), list(DISTINCT v)[1:{EXAMPLES}] FROM (
                    SELECT f.{_quote_ident(col)} AS v FROM {view} AS f
                    WHERE f.{_quote_ident(col)} IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM {_quote_ident(table)} AS r
                                      WHERE r.{_quote_ident(ref_col)} = f.{_quote_ident(col)}))
            """).fetchall()[0]
        except Exception as exc:  # the referenced table or column does not exist
            outcomes.append(ExpectationOutcome(name, "reference", col, severity, False,
                                               error=f"cannot evaluate: {exc}".splitlines()[0], kind="reference"))
            continue
        finally:
            cur.unregister(view)
            cur.close()
        n = len(df)
        outcomes.append(ExpectationOutcome(
            name, "reference", col, severity, success=count == 0, unexpected_count=int(count),
            unexpected_percent=100.0 * count / n if n else 0.0, examples=sorted(examples or [], key=str),
            kind="reference"))
    return outcomes


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #
def lists_as_tuples(df: pd.DataFrame) -> pd.DataFrame:
    """List cells as tuples. GX fingerprints each batch with pandas' hash, which cannot hash a
    list: it then pickles the whole frame instead, a third of a suite's time on bronze events."""
    out = df
    for c in df.columns:
        s = df[c]
        first = s.first_valid_index() if pd.api.types.is_object_dtype(s.dtype) else None
        if first is not None and isinstance(s[first], (list, np.ndarray)):  # a list column (DuckDB LIST)
            if out is df:
                out = df.copy()
            out[c] = pd.Series([tuple(v) if isinstance(v, (list, np.ndarray)) else v for v in s],
                               index=s.index, dtype=object)
    return out


def run_suite(suite_json: dict, df: pd.DataFrame, con=None) -> SuiteOutcome:
    """Validate `df` against the suite with GX, then evaluate the suite's references with `con`."""
    validate_suite_json(suite_json)
    name = suite_json["name"]
    df = lists_as_tuples(df)
    outcomes = _run_gx(name, expand_suite(suite_json, df), df)
    outcomes += check_references(suite_json, df, con)
    # The one place examples are made safe: every report (metadata, markdown) reads them from here.
    identity = pseudonym_columns(suite_json)
    for r in outcomes:
        r.examples = [redact_example(v, identity, r.column) for v in r.examples]
        r.error = redact_text(r.error) if r.error else r.error  # GX/DuckDB messages may quote a value
    return SuiteOutcome(suite=name, row_count=len(df), results=outcomes)


# --------------------------------------------------------------------------- #
# Volume: a pure function, used by the partition volume check
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class VolumeVerdict:
    passed: bool
    ratio: float | None  # current / baseline; None without a baseline
    baseline: float | None  # median of the previous partitions' counts
    reason: str


def volume_verdict(current: int, previous: list[int], min_ratio: float = 0.2, max_ratio: float = 5.0,
                   lookback: int = 7) -> VolumeVerdict:
    """Compare a partition's row count with the median of up to `lookback` previous partitions.

    `previous` is ordered oldest to newest; only the last `lookback` are used. Fails on a
    collapse (ratio < min_ratio) or a flood (ratio > max_ratio). Without history, or with a
    zero baseline, there is nothing to compare with and the verdict passes.
    """
    if current < 0 or any(p < 0 for p in previous):
        raise ValueError("row counts cannot be negative")
    window = list(previous)[-lookback:] if lookback > 0 else []
    if not window:
        return VolumeVerdict(True, None, None, "no previous partition to compare with")
    baseline = float(median(window))
    if baseline == 0:
        return VolumeVerdict(True, None, baseline, "previous partitions are empty: no baseline")
    ratio = current / baseline
    if ratio < min_ratio:
        return VolumeVerdict(False, ratio, baseline,
                             f"collapse: {current} rows is {ratio:.1%} of the median {baseline:g} (< {min_ratio:.0%})")
    if ratio > max_ratio:
        return VolumeVerdict(False, ratio, baseline,
                             f"flood: {current} rows is {ratio:.1%} of the median {baseline:g} (> {max_ratio:.0%})")
    return VolumeVerdict(True, ratio, baseline, f"{current} rows is {ratio:.1%} of the median {baseline:g}")
