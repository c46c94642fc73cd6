"""Every asset and asset check tells a stakeholder what it is; a check also whether its failure stops publication."""
from orchestration.assets.dbt import dbt_test_description
from orchestration.checks.gate_text import BLOCKS, WARNS, with_gate
from orchestration.definitions import defs


def test_with_gate_appends_the_sentence_for_the_flag():
    assert with_gate("Rows vs the median", True) == f"Rows vs the median. {BLOCKS}"
    assert with_gate("Every day was ingested (a gap).", False) == f"Every day was ingested (a gap). {WARNS}"


def test_dbt_test_description_says_what_and_where_or_keeps_its_own():
    generic = {"name": "accepted_values_actor_edges_edge_type__x", "column_name": "edge_type",
               "test_metadata": {"name": "accepted_values", "kwargs": {"values": ["a", "b"], "column_name": "edge_type",
                                                                         "model": "{{ get_where_subquery(ref('actor_edges')) }}"}}}
    assert dbt_test_description(generic, True) == f"dbt test accepted_values on column edge_type (values=['a', 'b']). {BLOCKS}"
    assert dbt_test_description({"name": "x", "description": "Times lie in the window."}, False) == \
        f"Times lie in the window. {WARNS}"


def test_every_check_of_the_code_location_is_described_with_its_gate():
    graph = defs.resolve_asset_graph()
    keys = sorted(graph.asset_check_keys, key=str)
    assert len(keys) > 50  # dbt tests, GX suites, volume and window checks
    wrong = [(str(k), spec.blocking, spec.description) for k in keys
             if not (spec := graph.get_check_spec(k)).description
             or not spec.description.endswith(BLOCKS if spec.blocking else WARNS)
             or len(spec.description) < len(BLOCKS) + 20]
    assert wrong == []


def test_every_asset_is_described_in_words_not_sql():
    graph = defs.resolve_asset_graph()
    keys = list(graph.get_all_asset_keys())
    assert len(keys) > 30
    assert [str(k) for k in keys if len(graph.get(k).description or "") < 30] == []
    assert [str(k) for k in keys if "Raw SQL" in graph.get(k).description] == []
    assert [str(k) for k in keys if graph.get(k).group_name == "default"] == []
