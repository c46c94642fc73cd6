"""The data dictionary of the published tables: what each table and column means.

Written once, next to the code that makes each table: the dbt marts in
dbt_project/models/marts/schema.yml, the graph stage's tables in graph_jobs/schema.yml
(same format). Publish writes it into the analysts' snapshot as COMMENT ON TABLE / COLUMN,
so `threatgraph sql "SELECT table_name, column_name, comment FROM duckdb_columns()"` answers
what a column means; the graph assets show it in Dagster.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = (REPO_ROOT / "dbt_project" / "models" / "marts" / "schema.yml", REPO_ROOT / "graph_jobs" / "schema.yml")


@dataclass(frozen=True)
class ColumnDoc:
    description: str
    data_type: str | None


@dataclass(frozen=True)
class TableDoc:
    description: str
    columns: dict[str, ColumnDoc]


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())  # YAML's folded blocks keep line ends and indents


def parse_table_docs(schema_yml: str) -> dict[str, TableDoc]:
    """Model name -> its TableDoc, from the text of a dbt-style schema.yml."""
    docs = {}
    for model in (yaml.safe_load(schema_yml) or {}).get("models", []):
        docs[model["name"]] = TableDoc(_one_line(model.get("description")), {
            c["name"]: ColumnDoc(_one_line(c.get("description")), c.get("data_type")) for c in model.get("columns", [])})
    return docs


@functools.cache
def table_docs() -> dict[str, TableDoc]:
    docs: dict[str, TableDoc] = {}
    for path in DOC_FILES:
        docs.update(parse_table_docs(path.read_text()))
    return docs


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def undocumented(tables: Mapping[str, list[str]], docs: Mapping[str, TableDoc]) -> list[str]:
    """The tables and `table.column`s of `tables` (published name -> its columns) without a description."""
    missing = []
    for table, columns in tables.items():
        doc = docs.get(table)
        if doc is None or not doc.description:
            missing.append(table)
        missing += [f"{table}.{c}" for c in columns if doc is None or not getattr(doc.columns.get(c), "description", "")]
    return missing


def comment_statements(tables: Mapping[str, list[str]], docs: Mapping[str, TableDoc]) -> list[str]:
    """COMMENT ON statements for what `docs` describes of `tables` (published name -> its columns).
    What it does not describe stays without comment; tests hold `undocumented` empty."""
    statements = []
    for table, columns in tables.items():
        doc = docs.get(table)
        if doc is None:
            continue
        if doc.description:
            statements.append(f'COMMENT ON TABLE main."{table}" IS {_literal(doc.description)}')
        for col in columns:
            col_doc = doc.columns.get(col)
            if col_doc is not None and col_doc.description:
                statements.append(f'COMMENT ON COLUMN main."{table}"."{col}" IS {_literal(col_doc.description)}')
    return statements
