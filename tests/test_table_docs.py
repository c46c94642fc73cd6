"""The data dictionary (orchestration/table_docs.py): parsing, completeness, and the SQL it writes."""
import duckdb
import polars as pl

from graph_jobs.metrics import OUTPUT_COLUMNS
from graph_jobs.networks import _MEMBER_SCHEMA, _NETWORK_SCHEMA, _empty_members, network_edges
from orchestration.publish import PUBLISHED_TABLES
from orchestration.table_docs import ColumnDoc, TableDoc, comment_statements, parse_table_docs, table_docs, undocumented

SCHEMA_YML = """
version: 2
models:
  - name: t
    description: >
      A table
      over two lines.
    columns:
      - name: a
        data_type: BIGINT
        description: The analyst's key.
      - name: b
"""


def test_parse_keeps_one_line_descriptions_and_types():
    docs = parse_table_docs(SCHEMA_YML)
    assert docs["t"].description == "A table over two lines."
    assert docs["t"].columns["a"] == ColumnDoc("The analyst's key.", "BIGINT")
    assert docs["t"].columns["b"] == ColumnDoc("", None)


def test_undocumented_names_tables_and_columns():
    docs = parse_table_docs(SCHEMA_YML)
    assert undocumented({"t": ["a", "b", "c"], "u": ["x"]}, docs) == ["t.b", "t.c", "u", "u.x"]
    assert undocumented({"t": ["a"]}, docs) == []


def test_comment_statements_run_in_duckdb_with_quotes_escaped():
    con = duckdb.connect()
    con.execute('CREATE TABLE "t" (a BIGINT, b VARCHAR)')
    for sql in comment_statements({"t": ["a", "b"]}, parse_table_docs(SCHEMA_YML)):
        con.execute(sql)
    assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 't'").fetchone()[0] == "A table over two lines."
    assert con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 't' ORDER BY 1").fetchall() == [
        ("a", "The analyst's key."), ("b", None)]


def test_graph_tables_are_documented_column_for_column():
    """graph_jobs/schema.yml lists exactly the columns the graph stage writes, in their order."""
    docs = table_docs()
    pairs = pl.DataFrame(schema={"src": pl.Utf8, "dst": pl.Utf8, "weight": pl.Float64, "edge_types": pl.List(pl.Utf8),
                                 "coaction_evidence": pl.Int64})
    written = {
        "actor_metrics": ["actor_key", *OUTPUT_COLUMNS[1:], "network_id"],  # metrics renamed id -> actor_key, joined to membership
        "networks": list(_NETWORK_SCHEMA),
        "network_members": list(_MEMBER_SCHEMA),
        "network_edges": network_edges(pairs, _empty_members()).columns,
    }
    for table, columns in written.items():
        assert list(docs[table].columns) == columns, table


def test_dbt_marts_that_are_published_are_documented():
    """Every published dbt mart has a description for itself and for each column its schema.yml lists."""
    docs = table_docs()
    for table in PUBLISHED_TABLES:
        doc = docs[table]
        assert isinstance(doc, TableDoc) and doc.description
        assert undocumented({table: list(doc.columns)}, docs) == []
