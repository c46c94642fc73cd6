"""Network scoring: combined independent evidence flags, single-family look-alikes do not."""
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
          "median_account_age_days": 12, "enforced_share": 0.2}
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
    friends = {"coverage": {"co_share": 0.8, "co_text": 0.8}, "n_actors": 8, "sync_share_ratio": 0.25, "civic_content_share": 0.0}
    assert score_network(friends, P)[0] < P.flag_threshold
    reflex = friends | {"sync_share_ratio": 0.8}
    agenda = friends | {"civic_content_share": 0.6}
    assert score_network(reflex, P)[0] >= P.flag_threshold
    assert score_network(agenda, P)[0] >= P.flag_threshold


def test_small_networks_need_a_third_family():
    base = {"coverage": {"co_text": 1.0, "creation_burst": 1.0}, "median_account_age_days": 400}
    assert score_network(base | {"n_actors": 4}, P)[0] < P.flag_threshold
    assert score_network(base | {"n_actors": 12}, P)[0] >= P.flag_threshold
