"""Network scoring: combined independent evidence flags, single-family look-alikes do not."""
import pytest

from graph_jobs.networks import DetectionParams, assign_role, network_id_for, score_network

P = DetectionParams()


def test_single_family_never_reaches_flag_threshold():
    fan_club = {"coverage": {"co_share": 1.0}, "median_account_age_days": 400}
    household = {"coverage": {"shared_device": 1.0, "shared_ip_prefix": 1.0}, "median_account_age_days": 900, "n_actors": 4,
                 "mean_device_degree": 3.0, "mean_prefix_degree": 3.0}
    for f in (fan_club, household):
        risk, signals, families = score_network(f, P)
        assert len(families) <= 1 and risk < P.flag_threshold, (signals, risk)


def test_household_sharing_timing_and_text_is_not_flagged():
    # people living together share devices, watch and repost the same videos
    household = {"coverage": {"shared_device": 1.0, "shared_ip_prefix": 1.0, "co_share": 1.0, "co_text": 0.5},
                 "n_actors": 5, "mean_device_degree": 4.0, "mean_prefix_degree": 4.0, "hosting_login_share": 0.0}
    risk, signals, _ = score_network(household, P)
    assert risk < P.flag_threshold and "shared_devices" not in signals
    # the same behaviour plus a creation burst of look-alike accounts is not a household any more
    risk2, signals2, _ = score_network(household | {"coverage": household["coverage"] | {"creation_burst": 1.0}}, P)
    assert risk2 >= P.flag_threshold and "creation_burst" in signals2


def test_device_sharing_counts_only_at_farm_density():
    chain_of_homes = {"coverage": {"shared_device": 1.0}, "n_actors": 30, "mean_device_degree": 2.5}
    farm = {"coverage": {"shared_device": 1.0}, "n_actors": 30, "mean_device_degree": 12.0}
    assert "shared_devices" not in score_network(chain_of_homes, P)[1]
    assert "shared_devices" in score_network(farm, P)[1]


def test_combined_families_flag_and_explain():
    op = {"coverage": {"co_share": 0.9, "co_text": 0.8, "creation_burst": 0.7, "shared_avatar": 0.6},
          "median_account_age_days": 12, "enforced_share": 0.2, "n_enforced": 4}
    risk, signals, families = score_network(op, P)
    assert risk >= P.flag_threshold and 0 <= risk <= 1
    assert {"synchronized_sharing", "copy_paste_text", "creation_burst", "known_bad_actors"} <= set(signals)
    assert families == ["content", "identity", "labels", "timing"]


def test_evasive_operation_without_timing_still_flags():
    # jittered timing (no co_share), residential IPs, but copy-paste text plus a creation burst
    evasive = {"coverage": {"co_text": 0.9, "co_hashtag": 0.7, "creation_burst": 0.8}, "median_account_age_days": 20}
    risk, signals, families = score_network(evasive, P)
    assert risk >= P.flag_threshold and "timing" not in families


def test_risk_is_bounded_and_monotone():
    base = {"coverage": {"co_share": 0.6, "co_text": 0.6}}
    more = {"coverage": {"co_share": 0.6, "co_text": 0.6, "shared_device": 0.9}, "n_actors": 20, "mean_device_degree": 8.0}
    r1, _, _ = score_network(base, P)
    r2, _, _ = score_network(more, P)
    assert 0 <= r1 <= r2 <= 1


def test_network_id_is_stable():
    assert network_id_for(["a_2", "a_1", "a_3"]) == network_id_for(["a_3", "a_1", "a_2"])
    assert network_id_for(["a_1", "a_2"]) != network_id_for(["a_5", "a_2"])


def test_roles():
    assert assign_role(seeded_by_others=5, shares_of_others=0, infra_degree=0, betweenness=0, n=10) == "seeder"
    assert assign_role(0, 3, infra_degree=6, betweenness=0, n=10) == "infrastructure_hub"
    assert assign_role(0, 3, 0, betweenness=0.5, n=10) == "bridge"
    assert assign_role(0, 3, 0, 0.0, 10) == "amplifier"


def test_core_members_drop_single_ties():
    from graph_jobs.networks import core_members

    clique = [("a", "b"), ("a", "c"), ("b", "c"), ("c", "d"), ("a", "d"), ("b", "d")]
    dangling = [("d", "x"), ("x", "y")]  # x hangs on one tie to the group, y on one tie to x
    assert core_members(["a", "b", "c", "d", "x", "y"], clique + dangling, 2) == ["a", "b", "c", "d"]
    assert core_members(["a", "b"], [("a", "b")], 2) == ["a", "b"]  # too small to prune
    assert core_members(["a", "b", "c"], [("a", "b")], 1) == ["a", "b", "c"]


def test_timing_and_content_alone_need_a_reflex_or_an_agenda():
    friends = {"coverage": {"co_share": 0.8, "co_text": 0.8}, "n_actors": 8, "member_sync_ratio": 0.25, "civic_content_share": 0.0}
    assert score_network(friends, P)[0] < P.flag_threshold
    reflex = friends | {"member_sync_ratio": 0.8}
    agenda = friends | {"civic_content_share": 0.6}
    assert score_network(reflex, P)[0] >= P.flag_threshold
    assert score_network(agenda, P)[0] >= P.flag_threshold
    # sharing viral videos is synchronised with the crowd, not with one another: no reflex
    crowd = friends | {"sync_share_ratio": 0.9}
    assert score_network(crowd, P)[0] < P.flag_threshold


def test_small_networks_need_a_third_family():
    base = {"coverage": {"co_text": 1.0, "creation_burst": 1.0}, "median_account_age_days": 400}
    assert score_network(base | {"n_actors": 4}, P)[0] < P.flag_threshold
    assert score_network(base | {"n_actors": 12}, P)[0] >= P.flag_threshold


def test_follow_ring_and_co_promotion_signals():
    f = {"coverage": {"follow_ring": 0.9, "co_promotion": 0.6}, "n_actors": 10, "civic_content_share": 0.5}
    risk, signals, families = score_network(f, P)
    assert signals == ["follow_ring", "repeated_co_promotion"]  # 0.35 * 0.9 = 0.315 before 0.4 * 0.6 = 0.24
    assert families == ["content", "social"]
    assert risk == pytest.approx(1 - (1 - 0.35 * 0.9) * (1 - 0.4 * 0.6))  # 0.4794: not enough yet
    assert risk < P.flag_threshold
    whole = f | {"coverage": {"follow_ring": 1.0, "co_promotion": 1.0}}
    assert score_network(whole, P)[0] == pytest.approx(1 - 0.65 * 0.6)  # 0.61: the whole group does both
    # below the coverage floor a type is no signal
    assert score_network({"coverage": {"follow_ring": 0.2}, "n_actors": 10}, P)[1] == []


def test_friends_following_one_another_and_sharing_tags_are_not_flagged():
    # a school club that joined together: follow one another, push their club's tags, young accounts
    club = {"coverage": {"follow_ring": 1.0, "co_promotion": 1.0}, "n_actors": 12, "median_account_age_days": 10,
            "member_sync_ratio": 0.1, "civic_content_share": 0.0}
    risk, signals, families = score_network(club, P)
    assert "young_accounts" in signals and families == ["content", "identity", "social"]
    assert risk == P.single_family_cap
    # the same ring pushing an election agenda, or with accounts made in one burst, is flagged
    assert score_network(club | {"civic_content_share": 0.5}, P)[0] >= P.flag_threshold
    burst = club | {"coverage": club["coverage"] | {"creation_burst": 0.8}}
    assert score_network(burst, P)[0] >= P.flag_threshold


def test_known_bad_actors_needs_two_labelled_members():
    one = {"coverage": {"co_text": 1.0, "co_share": 1.0}, "n_actors": 10, "enforced_share": 0.1, "n_enforced": 1}
    risk, signals, _ = score_network(one, P)
    assert "known_bad_actors" not in signals and risk == P.single_family_cap
    two = one | {"enforced_share": 0.2, "n_enforced": 2}
    risk2, signals2, families2 = score_network(two, P)
    assert "known_bad_actors" in signals2 and "labels" in families2 and risk2 >= P.flag_threshold


def test_member_link_threshold_scales_with_the_group():
    from graph_jobs.networks import core_members, member_link_threshold

    members = [f"m{i}" for i in range(10)]
    clique = [(a, b) for i, a in enumerate(members) for b in members[i + 1:]]  # everyone tied to 9 others
    hangers = [("x", "m0"), ("x", "m1"), ("y", "m2"), ("y", "m3"), ("y", "m4")]
    group = members + ["x", "y"]
    # ties: x 2, y 3, m5..m9 9, m0..m4 10 -> median 9; ceil(0.2 * 9) = 2, ceil(0.35 * 9) = 4
    assert member_link_threshold(group, clique + hangers, 2, 0.2) == 2
    assert member_link_threshold(group, clique + hangers, 2, 0.35) == 4
    assert core_members(group, clique + hangers, 4) == sorted(members)
    # a sparse group keeps the floor
    assert member_link_threshold(["a", "b", "c", "d"], [("a", "b"), ("c", "d")], 2, 0.2) == 2
    assert member_link_threshold([], [], 2, 0.2) == 2


def test_coordination_pairs_read_evidence_edges():
    import duckdb

    from graph_jobs.networks import coordination_pairs_sql, edges_relation

    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    cols = ("src_actor_key VARCHAR, dst_actor_key VARCHAR, edge_type VARCHAR, weight DOUBLE, evidence_count BIGINT,"
            " first_seen TIMESTAMP DEFAULT '2026-11-01 10:00:00', last_seen TIMESTAMP DEFAULT '2026-11-02 10:00:00'")
    con.execute(f"CREATE TABLE marts.actor_edges ({cols})")
    con.execute("INSERT INTO marts.actor_edges (src_actor_key, dst_actor_key, edge_type, weight, evidence_count) VALUES"
                " ('a', 'b', 'co_text', 0.4, 2), ('a', 'c', 'follow', 1, 1),"
                " ('c', 'd', 'co_share', 0.5, 1), ('b', 'e', 'co_text', 0.3, 1)")
    assert edges_relation(con).count("FROM marts.") == 1  # no evidence_edges yet: actor_edges alone
    con.execute(f"CREATE TABLE marts.evidence_edges ({cols})")
    con.execute("INSERT INTO marts.evidence_edges (src_actor_key, dst_actor_key, edge_type, weight, evidence_count) VALUES"
                " ('a', 'c', 'follow_ring', 2, 2), ('b', 'c', 'follow_ring', 1, 1),"
                " ('c', 'd', 'co_promotion', 0.3, 1), ('b', 'd', 'co_promotion', 0.7, 3), ('a', 'd', 'co_promotion', 0.2, 1)")
    rel = edges_relation(con)
    rows = con.execute(f"SELECT src, dst, n_types, edge_types FROM ({coordination_pairs_sql(P, rel)}) ORDER BY 1, 2").fetchall()
    # a-b: two near-duplicate texts; a-c: a follow tie closing two triangles; b-d: the same rare tags
    # pushed three times; c-d: one co-share plus one co-promotion (two types). b-e (one shared
    # phrase, as memes are), b-c (one triangle) and a-d (one co-promoted post) are not enough alone.
    assert rows == [("a", "b", 1, ["co_text"]), ("a", "c", 1, ["follow_ring"]), ("b", "d", 1, ["co_promotion"]),
                    ("c", "d", 2, ["co_promotion", "co_share"])]
    # The same type in both directions is one pair and one type, its evidence and weight summed:
    # b-e's second shared phrase (written e-b) makes two, enough for co_text.
    con.execute("INSERT INTO marts.actor_edges (src_actor_key, dst_actor_key, edge_type, weight, evidence_count)"
                " VALUES ('e', 'b', 'co_text', 0.25, 1)")
    rows = con.execute(f"SELECT src, dst, weight, n_types, coaction_evidence, edge_types FROM ({coordination_pairs_sql(P, rel)}) "
                       "WHERE src = 'b' AND dst = 'e'").fetchall()
    assert rows == [("b", "e", 0.55, 1, 2, ["co_text"])]


def test_dormant_accounts_woken_together():
    # 18 established accounts, 14 of them silent until one and the same day, following one another
    ring = {"coverage": {"follow_ring": 1.0}, "n_actors": 18, "max_same_day_activations": 14,
            "median_account_age_days": 1000, "civic_content_share": 0.6}
    risk, signals, families = score_network(ring, P)
    assert signals == ["dormant_activation", "follow_ring"]  # 0.45 * 14 / 18 = 0.35 before 0.35
    assert families == ["identity", "social"]
    assert risk == pytest.approx(1 - (1 - 0.45 * 14 / 18) * (1 - 0.35))
    assert risk >= P.flag_threshold
    # a same-day activation is weak: with no civic agenda and no reflex it lifts nothing
    assert score_network(ring | {"civic_content_share": 0.0}, P)[0] == P.single_family_cap
    # under half of the group, or fewer than three accounts, is no signal
    assert "dormant_activation" not in score_network(ring | {"max_same_day_activations": 8}, P)[1]
    small = {"coverage": {"follow_ring": 1.0}, "n_actors": 4, "max_same_day_activations": 2}
    assert "dormant_activation" not in score_network(small, P)[1]


def test_betweenness_exact_matches_networkx_and_large_networks_are_estimated():
    import networkx as nx
    import numpy as np

    from graph_jobs.networks import _betweenness

    g = nx.relabel_nodes(nx.barabasi_albert_graph(300, 2, seed=4), lambda i: f"a_{i:04d}")
    members, pairs = sorted(g.nodes), list(g.edges)
    exact = _betweenness(members, pairs)
    reference = nx.betweenness_centrality(g, normalized=True)
    assert max(abs(exact[m] - reference[m]) for m in members) < 1e-9
    # above the exact limit: estimated from 100 sources, close to the exact values
    estimate = _betweenness(members, pairs, exact_max=200, sample=100)
    e, r = np.array([estimate[m] for m in members]), np.array([reference[m] for m in members])
    assert np.corrcoef(e, r)[0, 1] > 0.9
    assert abs(e.sum() - r.sum()) / r.sum() < 0.2
    top = set(sorted(members, key=reference.get)[-10:])
    assert len(top & set(sorted(members, key=estimate.get)[-10:])) >= 7
    assert estimate == _betweenness(members, pairs, exact_max=200, sample=100)  # the same on every run


@pytest.mark.parametrize("seed", range(5))
def test_core_members_is_networkx_k_core(seed):
    import random

    import networkx as nx

    from graph_jobs.networks import core_members

    rng = random.Random(seed)
    members = [f"m{i}" for i in range(60)]
    pairs = [(rng.choice(members), rng.choice(members)) for _ in range(120)]
    pairs = [(u, v) for u, v in pairs if u != v]
    g = nx.Graph(pairs)
    g.add_nodes_from(members)
    for k in (2, 3, 4):
        assert core_members(members, pairs, k) == sorted(nx.k_core(g, k).nodes)
    # a long chain peels away completely, in one linear pass
    chain = [f"c{i}" for i in range(20_000)]
    assert core_members(chain, list(zip(chain, chain[1:])), 2) == []


def test_one_occasion_of_co_sharing_is_not_repeated_co_sharing():
    import duckdb

    from graph_jobs.networks import coordination_pairs_sql, edges_relation

    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.actor_edges (src_actor_key VARCHAR, dst_actor_key VARCHAR, edge_type VARCHAR,"
                " weight DOUBLE, evidence_count BIGINT, first_seen TIMESTAMP, last_seen TIMESTAMP)")
    # a-b: three accounts sharing one video three times each within 30 s: 9 co-shares, one moment.
    # c-d: 3 co-shares on two occasions an hour apart. e-f: one moment, but a second edge type.
    con.execute("""INSERT INTO marts.actor_edges VALUES
        ('a', 'b', 'co_share', 0.72, 9, '2026-11-02 09:00:00', '2026-11-02 09:00:26'),
        ('c', 'd', 'co_share', 1.4, 3, '2026-11-02 09:00:00', '2026-11-02 10:00:10'),
        ('e', 'f', 'co_share', 0.72, 9, '2026-11-02 09:00:00', '2026-11-02 09:00:26'),
        ('e', 'f', 'shared_avatar', 1.0, 1, '2026-11-02 09:00:00', '2026-11-02 09:00:00')""")
    rows = con.execute(f"SELECT src, dst FROM ({coordination_pairs_sql(P, edges_relation(con))}) ORDER BY 1").fetchall()
    assert rows == [("c", "d"), ("e", "f")]


def test_connected_groups_split_a_core_into_its_parts():
    from graph_jobs.networks import connected_groups, core_members

    a, b = ["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]
    ties = [(u, v) for g in (a, b) for i, u in enumerate(g) for v in g[i + 1:]] + [("a1", "x"), ("x", "b1")]
    core = core_members(a + b + ["x"], ties, 3)
    assert core == sorted(a + b)  # x gone: the 3-core is two cliques
    assert connected_groups(core, ties) == [a, b]
    assert connected_groups(["z", "y", "q"], [("y", "z"), ("y", "outside")]) == [["q"], ["y", "z"]]
    assert connected_groups([], []) == []


def test_member_link_counts_count_distinct_other_members():
    import polars as pl

    from graph_jobs.networks import member_link_counts

    rows = [("n", t, u, v) for u, v in (("h1", "h2"), ("h1", "h3"), ("h2", "h3")) for t in ("shared_device", "shared_ip_prefix")]
    rows += [("n", "share", "h1", "h3"), ("n", "repost", "h1", "h3"), ("n", "share", "h2", "h3"), ("n", "co_text", "h1", "h2")]
    edges = pl.DataFrame(rows, schema=["network_id", "edge_type", "src", "dst"], orient="row")
    seeded, sharing, infra, type_sum = member_link_counts(edges)
    assert infra == {("n", "h1"): 2, ("n", "h2"): 2, ("n", "h3"): 2}
    assert type_sum == {("n", "shared_device"): 6, ("n", "shared_ip_prefix"): 6}  # mean degree 2 per type
    assert seeded == {("n", "h3"): 2} and sharing == {("n", "h1"): 1, ("n", "h2"): 1}
    assert assign_role(seeded[("n", "h3")], 0, infra[("n", "h3")], 0.0, 3) == "seeder"
    assert assign_role(0, 1, infra[("n", "h1")], 0.0, 3) == "amplifier"  # 2 others, under the hub threshold of 3


@pytest.mark.parametrize("text, tags, civic", [
    ("pollen season again", [], False), ("new ad campaign drop", [], False), ("booked the presidential suite", [], False),
    ("a devoted fan", ["devoted"], False), ("polls open at 7am", [], True), ("VOTE early!", [], True),
    ("who are you voting for?", [], True), ("mail-in ballots", [], True), ("", ["election2026"], True),
    ("", ["WakeUpVotersDuarte"], True), ("#StopTheFraud", [], True), ("on the campaign  trail", [], True),
    ("eleições já", [], True), ("political-campaign season", [], True), ("campaign season", [], False),
    ("the candidates", [], True), ("", ["pollen"], False), ("Wahlen 2026", [], True),
])
def test_civic_terms_match_whole_words_in_python_and_duckdb_alike(text, tags, civic):
    import duckdb

    from graph_jobs.networks import civic_match_sql, is_civic

    assert is_civic(text, tags) is civic
    sql = civic_match_sql("t", "h")
    assert duckdb.connect().execute(f"SELECT {sql} FROM (SELECT ?::VARCHAR AS t, ?::VARCHAR[] AS h)", [text, tags]).fetchone()[0] is civic


def test_network_edges_are_the_pairs_with_both_ends_in_one_network():
    import polars as pl

    from graph_jobs.networks import network_edges

    pairs = pl.DataFrame({"src": ["a", "a", "b", "c", "x"], "dst": ["b", "c", "c", "x", "y"],
                          "weight": [1.0, 2.0, 3.0, 4.0, 5.0], "n_types": [1, 1, 2, 1, 1],
                          "coaction_evidence": [3, 0, 5, 1, 2], "edge_types": [["co_share"], ["co_text"],
                                                                                ["co_share", "co_text"], ["co_share"], ["co_text"]]})
    members = pl.DataFrame({"network_id": ["n1", "n1", "n1", "n2", "n2"], "actor_key": ["a", "b", "c", "x", "y"]})
    out = network_edges(pairs, members)
    # c-x crosses two networks: it formed neither
    assert out.select("network_id", "src_actor_key", "dst_actor_key").rows() == [
        ("n1", "a", "b"), ("n1", "a", "c"), ("n1", "b", "c"), ("n2", "x", "y")]
    assert out["coaction_evidence_count"].to_list() == [3, 0, 5, 2] and out["weight"].to_list() == [1.0, 2.0, 3.0, 5.0]


def test_explanation_says_why_a_network_was_not_flagged():
    from graph_jobs.networks import _explain, network_score

    fans = {"coverage": {"co_share": 0.9, "co_hashtag": 0.8}, "member_sync_ratio": 0.1, "civic_content_share": 0.0,
            "n_actors": 20, "density": 0.4}
    scored = network_score(fans, P)
    assert scored.risk == P.single_family_cap and scored.families == ["content", "timing"]
    assert scored.held_back == ["only what organic groups show among themselves (timing, content, social), "
                                "without synchronised sharing among members or civic content"]
    text = _explain(scored.signals, scored.families, scored.risk, 20, scored.held_back, P.flag_threshold)
    assert text.endswith("risk 0.45; not flagged: " + scored.held_back[0])

    small = network_score({"coverage": {"shared_avatar": 1.0, "co_text": 1.0}, "n_actors": 4, "density": 1.0,
                           "civic_content_share": 0.5}, P)
    assert small.held_back == [f"evidence of 2 families, 3 needed below {P.small_network_size} members"]

    op = {"coverage": {"co_share": 0.9, "co_text": 0.8, "creation_burst": 0.7}, "n_actors": 20, "density": 0.5}
    flagged = network_score(op, P)
    assert flagged.risk >= P.flag_threshold and flagged.held_back == []
    assert "not flagged" not in _explain(flagged.signals, flagged.families, flagged.risk, 20, flagged.held_back,
                                         P.flag_threshold)
