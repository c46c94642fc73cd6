"""Candidate threat-actor networks: which groups, how risky, why, and who plays which role.

Principles (not tuned to any generator):
- A pair of accounts counts as coordinated only with repeated or combined
  evidence: two or more independent edge types, or the same co-action on
  several occasions. One shared viral video, one shared household router or
  one trending hashtag is not coordination.
- A network is flagged only when signals from at least two independent
  families agree (timing, content, infrastructure, identity, external labels).
  Fan clubs (timing only) and households (infrastructure only) stay unflagged.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import duckdb
import polars as pl

COORDINATION_EDGE_FAMILY = {
    "co_share": "timing",
    "co_text": "content",
    "co_hashtag": "content",
    "co_sound": "content",
    "shared_device": "infrastructure",
    "shared_ip_prefix": "infrastructure",
    "shared_avatar": "identity",
    "creation_burst": "identity",
}
CO_ACTION_TYPES = ("co_share", "co_text", "co_hashtag", "co_sound")

# signal -> (family, base strength). Strength is scaled by how much of the network shows it.
SIGNALS = {
    "synchronized_sharing": ("timing", 0.55),
    "copy_paste_text": ("content", 0.55),
    "hashtag_flooding": ("content", 0.45),
    "sound_flooding": ("content", 0.35),
    "url_pushing": ("labels", 0.5),
    "shared_devices": ("infrastructure", 0.5),
    "shared_ip_infrastructure": ("infrastructure", 0.3),
    "datacenter_ips": ("infrastructure", 0.4),
    "creation_burst": ("identity", 0.5),
    "shared_avatars": ("identity", 0.45),
    "young_accounts": ("identity", 0.25),
    "known_bad_actors": ("labels", 0.6),
}
CIVIC_TERMS = ("election", "vote", "voting", "ballot", "candidate", "campaign", "poll", "parliament",
               "president", "senate", "democracy", "fraud", "rigged", "wahl", "elecciones")


@dataclass(frozen=True)
class DetectionParams:
    min_network_size: int = 3
    # One edge type alone must repeat this often to link a pair. Near-duplicate long
    # text is rare between unrelated accounts; sharing one video or sound within a
    # minute is what millions of fans do, so it must repeat.
    min_single_type_evidence: tuple = (("co_text", 1), ("co_hashtag", 2), ("co_share", 3), ("co_sound", 3))
    max_household_size: int = 8  # co-located groups this small are explained by the home they share
    max_component_as_network: int = 50  # components up to this size are networks as a whole
    min_member_links: int = 2
    min_sync_ratio_alone: float = 0.5  # timing + content alone must come with mostly synchronized shares ...
    min_civic_share_alone: float = 0.3  # ... or with a civic (election) agenda in the content
    prune_from_size: int = 10  # small groups are sparse by nature; prune single ties only in larger ones  # a member co-acts with at least this many others of its network (k-core)
    small_network_size: int = 6  # below this, chance overlaps are likely: one more family of evidence is needed
    min_density: float = 0.05  # operations act as a group; a long sparse chain of pairs is not one
    farm_min_degree: float = 5.0  # accounts per shared device/prefix, on average, before it looks like a farm
    signal_coverage: float = 0.3  # share of members that must show an edge-type signal
    text_coverage: float = 0.3
    young_account_days: float = 30.0
    flag_threshold: float = 0.55
    min_families: int = 2
    single_family_cap: float = 0.45  # one family of evidence alone never reaches the flag threshold


def coordination_pairs_sql(params: DetectionParams) -> str:
    """Undirected pairs with enough evidence, one row per pair, from marts.actor_edges."""
    types = ", ".join(f"'{t}'" for t in COORDINATION_EDGE_FAMILY)
    coaction = ", ".join(f"'{t}'" for t in CO_ACTION_TYPES)
    single = " OR ".join(f"sum(CASE WHEN edge_type = '{t}' THEN evidence_count ELSE 0 END) >= {int(n)}"
                         for t, n in params.min_single_type_evidence)
    return f"""
        SELECT least(src_actor_key, dst_actor_key) AS src, greatest(src_actor_key, dst_actor_key) AS dst,
               round(sum(weight), 9) AS weight,
               count(DISTINCT edge_type) AS n_types,
               sum(CASE WHEN edge_type IN ({coaction}) THEN evidence_count ELSE 0 END) AS coaction_evidence,
               list(DISTINCT edge_type ORDER BY edge_type) AS edge_types
        FROM marts.actor_edges
        WHERE edge_type IN ({types}) AND src_actor_key <> dst_actor_key
        GROUP BY 1, 2
        HAVING count(DISTINCT edge_type) >= 2 OR {single}
    """


def network_id_for(member_keys: list[str]) -> str:
    """Stable id: the same members give the same id, run after run."""
    return "net_" + hashlib.sha256(min(member_keys).encode()).hexdigest()[:16]


def score_network(features: dict, params: DetectionParams) -> tuple[float, list[str], list[str]]:
    """(risk_score in [0, 1], signals, families) from a network's features."""
    cov = features.get("coverage", {})
    present: dict[str, float] = {}

    def add(signal, fraction):
        if fraction and fraction > 0:
            present[signal] = min(1.0, float(fraction))

    if cov.get("co_share", 0) >= params.signal_coverage:
        add("synchronized_sharing", cov["co_share"])
    if cov.get("co_text", 0) >= params.text_coverage:
        add("copy_paste_text", cov["co_text"])
    if cov.get("co_hashtag", 0) >= params.signal_coverage:
        add("hashtag_flooding", cov["co_hashtag"])
    if cov.get("co_sound", 0) >= params.signal_coverage:
        add("sound_flooding", cov["co_sound"])
    # Devices and networks shared within families are normal; a farm puts many accounts on each.
    if cov.get("shared_device", 0) >= params.signal_coverage and features.get("mean_device_degree", params.farm_min_degree) >= params.farm_min_degree:
        add("shared_devices", cov["shared_device"])
    if cov.get("shared_ip_prefix", 0) >= params.signal_coverage and features.get("mean_prefix_degree", params.farm_min_degree) >= params.farm_min_degree:
        add("shared_ip_infrastructure", cov["shared_ip_prefix"])
    if (features.get("hosting_login_share") or 0) >= 0.5:
        add("datacenter_ips", features["hosting_login_share"])
    if cov.get("creation_burst", 0) >= params.signal_coverage:
        add("creation_burst", cov["creation_burst"])
    if cov.get("shared_avatar", 0) >= params.signal_coverage:
        add("shared_avatars", cov["shared_avatar"])
    age = features.get("median_account_age_days")
    if age is not None and age <= params.young_account_days:
        add("young_accounts", 1.0)
    if (features.get("indicator_hit_share") or 0) >= 0.2:
        add("url_pushing", features["indicator_hit_share"])
    if (features.get("enforced_share") or 0) >= 0.1:
        add("known_bad_actors", min(1.0, 2 * features["enforced_share"]))

    # A small group behind the same residential devices is a household: its shared
    # infrastructure is no evidence, and shared timing or content is what people
    # living together do. It needs identity or external-label evidence as well.
    household = (cov.get("shared_device", 0) >= params.signal_coverage
                 and (features.get("hosting_login_share") or 0) < 0.3
                 and features.get("n_actors") is not None and features["n_actors"] <= params.max_household_size)
    if household:
        for signal in ("shared_devices", "shared_ip_infrastructure"):
            present.pop(signal, None)
    survive = 1.0
    for signal, fraction in present.items():
        survive *= 1.0 - SIGNALS[signal][1] * fraction
    risk = 1.0 - survive
    families = sorted({SIGNALS[s][0] for s in present})
    strong_identity = {"creation_burst", "shared_avatars"} & set(present)
    sparse = (features.get("density") is not None and features["density"] < params.min_density)
    needed = params.min_families + (1 if (features.get("n_actors") or params.small_network_size) < params.small_network_size else 0)
    # Same videos and similar words alone, with neither a fast reflex nor a civic agenda,
    # is what friends and fans do.
    weak_timing = (set(families) == {"content", "timing"}
                   and (features.get("sync_share_ratio") or 0) < params.min_sync_ratio_alone
                   and (features.get("civic_content_share") or 0) < params.min_civic_share_alone)
    if len(families) < needed or sparse or weak_timing or (household and not (strong_identity or "labels" in families)):
        risk = min(risk, params.single_family_cap)
    signals = sorted(present, key=lambda s: (-SIGNALS[s][1] * present[s], s))
    return round(max(0.0, min(1.0, risk)), 6), signals, families


@dataclass
class DetectionResult:
    networks: pl.DataFrame
    members: pl.DataFrame
    stats: dict = field(default_factory=dict)


def _betweenness(members: list[str], pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Normalised betweenness of each member on the network's own pair graph."""
    import igraph as ig

    index = {k: i for i, k in enumerate(members)}
    g = ig.Graph(n=len(members), edges=[(index[a], index[b]) for a, b in pairs if a in index and b in index])
    n = len(members)
    norm = (n - 1) * (n - 2) / 2 if n > 2 else 1.0
    return {k: b / norm for k, b in zip(members, g.betweenness(directed=False))}


def core_members(members: list[str], pairs: list[tuple[str, str]], k: int) -> list[str]:
    """The k-core of a community's pair graph: members tied to at least k others that stay.

    A coordinated group acts together; an account hanging on by a single tie
    (a household member who once pasted the same text) is not part of it.
    """
    if k <= 1 or len(members) <= k:
        return members
    alive = set(members)
    neighbours: dict[str, set[str]] = {m: set() for m in members}
    for u, v in pairs:
        if u in neighbours and v in neighbours:
            neighbours[u].add(v)
            neighbours[v].add(u)
    changed = True
    while changed:
        changed = False
        for m in list(alive):
            if len(neighbours[m] & alive) < k:
                alive.discard(m)
                changed = True
    return sorted(alive)


def assign_role(seeded_by_others: int, shares_of_others: int, infra_degree: int, betweenness: float, n: int) -> str:
    """seeder > infrastructure_hub > bridge > amplifier, from the member's position in its network."""
    if seeded_by_others >= 2 and seeded_by_others >= shares_of_others:
        return "seeder"
    if infra_degree >= max(3, (n - 1) // 2):
        return "infrastructure_hub"
    if n >= 5 and betweenness >= 0.25:
        return "bridge"
    return "amplifier"


def detect_networks(con: duckdb.DuckDBPyConnection, metrics: pl.DataFrame, pairs: pl.DataFrame,
                    window_start, window_end, params: DetectionParams = DetectionParams()) -> DetectionResult:
    """Group the coordination graph's communities into networks and score them.

    `metrics`: one row per vertex of the coordination graph (graph_jobs.metrics output);
    `pairs`: the coordination pairs (coordination_pairs_sql) the metrics were computed on.
    """
    if metrics.height == 0:
        return DetectionResult(_empty_networks(), _empty_members(), {"candidate_networks": 0})
    # A small component is one group as it stands; only large components are split into
    # their label-propagation communities (which cut sparse small groups apart).
    metrics = metrics.with_columns(pl.len().over("component").alias("_component_size"))
    metrics = metrics.with_columns(
        pl.when(pl.col("_component_size") <= params.max_component_as_network)
        .then(pl.col("component")).otherwise(pl.col("community")).alias("_group"))
    groups = (metrics.group_by(["component", "_group"]).agg(pl.col("id").sort().alias("members"))
              .filter(pl.col("members").list.len() >= params.min_network_size))
    community_of = dict(zip(metrics["id"].to_list(), zip(metrics["component"].to_list(), metrics["_group"].to_list())))
    within: dict[tuple, list[tuple[str, str]]] = {}
    for u, v in pairs.select("src", "dst").iter_rows():
        cu = community_of.get(u)
        if cu is not None and cu == community_of.get(v):
            within.setdefault(cu, []).append((u, v))
    rows = []
    for comp, comm, members in groups.iter_rows():
        if len(members) >= params.prune_from_size:
            members = core_members(members, within.get((comp, comm), []), params.min_member_links)
        if len(members) < params.min_network_size:
            continue
        nid = network_id_for(members)
        rows += [(nid, m) for m in members]
    if not rows:
        return DetectionResult(_empty_networks(), _empty_members(), {"candidate_networks": 0})
    membership = pl.DataFrame(rows, schema=[("network_id", pl.Utf8), ("actor_key", pl.Utf8)], orient="row")
    con.register("tg_membership", membership.to_arrow())
    con.register("tg_pairs", pairs.select("src", "dst").to_arrow())

    sizes = dict(membership.group_by("network_id").len().iter_rows())
    # One pass over the edges: every edge inside a network, as stored (direction kept).
    within_edges = con.sql("""
        SELECT a.network_id, e.edge_type, e.src_actor_key AS src, e.dst_actor_key AS dst
        FROM marts.actor_edges e
        JOIN tg_membership a ON a.actor_key = e.src_actor_key
        JOIN tg_membership b ON b.actor_key = e.dst_actor_key AND b.network_id = a.network_id
        WHERE e.src_actor_key <> e.dst_actor_key
    """).pl()
    endpoints = pl.concat([within_edges.select("network_id", "edge_type", pl.col("src").alias("k")),
                           within_edges.select("network_id", "edge_type", pl.col("dst").alias("k"))])
    # coverage: share of members touched by a within-network edge of each type
    coverage: dict[str, dict[str, float]] = {}
    for nid, et, n in endpoints.unique().group_by(["network_id", "edge_type"]).len().iter_rows():
        coverage.setdefault(nid, {})[et] = n / sizes[nid]
    pair_lists: dict[str, list] = {}
    for nid, u, v in con.execute("""
        SELECT a.network_id, p.src, p.dst FROM tg_pairs p
        JOIN tg_membership a ON a.actor_key = p.src JOIN tg_membership b ON b.actor_key = p.dst AND b.network_id = a.network_id
        """).fetchall():
        pair_lists.setdefault(nid, []).append((u, v))
    n_pairs = {nid: len(p) for nid, p in pair_lists.items()}

    actor_features = con.sql("""
        SELECT m.network_id,
               median(a.account_age_days) AS median_account_age_days,
               round(coalesce(stddev_pop(epoch(a.created_at)) / 3600.0, 0), 6) AS creation_spread_hours,
               round(avg(coalesce(a.sync_share_ratio, 0)), 9) AS sync_share_ratio,
               round(avg(coalesce(a.hosting_login_share, 0)), 9) AS hosting_login_share,
               avg(CASE WHEN coalesce(a.n_cib_enforcement_actions, 0) > 0 OR coalesce(a.is_indicator_account, false) THEN 1 ELSE 0 END) AS enforced_share,
               avg(CASE WHEN coalesce(a.n_indicator_domain_hits, 0) + coalesce(a.n_indicator_hashtag_hits, 0) + coalesce(a.n_indicator_sound_hits, 0) > 0 THEN 1 ELSE 0 END) AS indicator_hit_share
        FROM tg_membership m LEFT JOIN marts.actors a USING (actor_key)
        GROUP BY 1
    """).pl()
    civic_pattern = "|".join(CIVIC_TERMS)
    civic = dict(con.execute(f"""
        SELECT m.network_id,
               avg(CASE WHEN regexp_matches(lower(coalesce(e.text, '') || ' ' || array_to_string(coalesce(e.hashtags, []), ' ')), '{civic_pattern}')
                        THEN 1.0 ELSE 0.0 END)
        FROM tg_membership m JOIN staging.stg_events e USING (actor_key)
        WHERE e.event_type IN ('post', 'comment') AND e.event_time >= ? AND e.event_time < ? + INTERVAL 1 DAY
        GROUP BY 1""", [window_start, window_end]).fetchall())
    con.unregister("tg_membership")
    con.unregister("tg_pairs")

    # who shares whose videos inside the network (src shares dst's video)
    seeded: dict[tuple, int] = {}
    sharing: dict[tuple, int] = {}
    for nid, sharer, owner in within_edges.filter(pl.col("edge_type").is_in(["share", "repost"])).select(
            "network_id", "src", "dst").iter_rows():
        seeded[(nid, owner)] = seeded.get((nid, owner), 0) + 1
        sharing[(nid, sharer)] = sharing.get((nid, sharer), 0) + 1
    # how many others each member shares devices / prefixes with
    infra_degree: dict[tuple, int] = {}
    type_degree_sum: dict[tuple, int] = {}
    for nid, et, k, n in endpoints.filter(pl.col("edge_type").is_in(["shared_device", "shared_ip_prefix"])).group_by(
            ["network_id", "edge_type", "k"]).len().iter_rows():
        infra_degree[(nid, k)] = infra_degree.get((nid, k), 0) + n
        type_degree_sum[(nid, et)] = type_degree_sum.get((nid, et), 0) + n

    feats = {r["network_id"]: r for r in actor_features.iter_rows(named=True)}
    metric_by_key = {r["id"]: r for r in metrics.iter_rows(named=True)}
    member_lists: dict[str, list[str]] = {}
    for nid, key in membership.iter_rows():
        member_lists.setdefault(nid, []).append(key)

    net_rows, member_rows = [], []
    for nid, members in sorted(member_lists.items()):
        n = len(members)
        f = dict(feats.get(nid, {}))
        f["coverage"] = coverage.get(nid, {})
        f["n_actors"] = n
        f["civic_content_share"] = civic.get(nid)
        f["density"] = 2 * n_pairs.get(nid, 0) / (n * (n - 1)) if n > 1 else 0.0
        # how many others each member shares devices / prefixes with, on average: farms are dense
        f["mean_device_degree"] = type_degree_sum.get((nid, "shared_device"), 0) / n
        f["mean_prefix_degree"] = type_degree_sum.get((nid, "shared_ip_prefix"), 0) / n
        risk, signals, families = score_network(f, params)
        e = n_pairs.get(nid, 0)
        dists = [metric_by_key[m].get("bad_actor_distance") for m in members]
        dists = [d for d in dists if d is not None]
        net_rows.append({
            "network_id": nid, "window_start": window_start, "window_end": window_end,
            "n_actors": n, "n_edges": e, "density": round(2 * e / (n * (n - 1)), 6) if n > 1 else 0.0,
            "risk_score": risk, "flagged": risk >= params.flag_threshold,
            "signals": signals, "signal_families": families,
            "sync_share_ratio": f.get("sync_share_ratio"), "median_account_age_days": f.get("median_account_age_days"),
            "creation_spread_hours": f.get("creation_spread_hours"),
            "shared_device_share": f["coverage"].get("shared_device", 0.0),
            "shared_ip_prefix_share": f["coverage"].get("shared_ip_prefix", 0.0),
            "shared_avatar_share": f["coverage"].get("shared_avatar", 0.0),
            "copy_paste_text_share": f["coverage"].get("co_text", 0.0),
            "civic_content_share": civic.get(nid), "hosting_login_share": f.get("hosting_login_share"),
            "enforced_member_share": f.get("enforced_share"), "indicator_hit_share": f.get("indicator_hit_share"),
            "min_bad_actor_distance": min(dists) if dists else None,
            "explanation": _explain(signals, families, risk, n),
        })
        btw = _betweenness(members, pair_lists.get(nid, [])) if n >= 5 else {}
        for m in members:
            mm = metric_by_key[m]
            member_rows.append({
                "network_id": nid, "actor_key": m,
                "role": assign_role(seeded.get((nid, m), 0), sharing.get((nid, m), 0), infra_degree.get((nid, m), 0), btw.get(m, 0.0), n),
                "pagerank": mm.get("pagerank"), "degree": mm.get("degree"), "betweenness": btw.get(m, 0.0),
                "amplified_by_members": seeded.get((nid, m), 0), "amplifies_members": sharing.get((nid, m), 0),
                "infrastructure_degree": infra_degree.get((nid, m), 0),
            })
    networks = pl.DataFrame(net_rows, schema=_NETWORK_SCHEMA) if net_rows else _empty_networks()
    members_df = pl.DataFrame(member_rows, schema=_MEMBER_SCHEMA) if member_rows else _empty_members()
    stats = {"candidate_networks": networks.height, "flagged_networks": int(networks["flagged"].sum()) if networks.height else 0,
             "coordination_pairs": pairs.height}
    return DetectionResult(networks, members_df, stats)


def _explain(signals: list[str], families: list[str], risk: float, n: int) -> str:
    if not signals:
        return f"{n} accounts linked by repeated co-activity; no behaviour beyond what organic groups show"
    return (f"{n} accounts; signals: {', '.join(signals)} ({len(families)} independent "
            f"famil{'y' if len(families) == 1 else 'ies'}: {', '.join(families)}); risk {risk:.2f}")


_NETWORK_SCHEMA = {
    "network_id": pl.Utf8, "window_start": pl.Date, "window_end": pl.Date, "n_actors": pl.Int64, "n_edges": pl.Int64,
    "density": pl.Float64, "risk_score": pl.Float64, "flagged": pl.Boolean, "signals": pl.List(pl.Utf8),
    "signal_families": pl.List(pl.Utf8), "sync_share_ratio": pl.Float64, "median_account_age_days": pl.Float64,
    "creation_spread_hours": pl.Float64, "shared_device_share": pl.Float64, "shared_ip_prefix_share": pl.Float64,
    "shared_avatar_share": pl.Float64, "copy_paste_text_share": pl.Float64, "civic_content_share": pl.Float64,
    "hosting_login_share": pl.Float64, "enforced_member_share": pl.Float64, "indicator_hit_share": pl.Float64,
    "min_bad_actor_distance": pl.Float64, "explanation": pl.Utf8,
}
_MEMBER_SCHEMA = {
    "network_id": pl.Utf8, "actor_key": pl.Utf8, "role": pl.Utf8, "pagerank": pl.Float64, "degree": pl.Float64,
    "betweenness": pl.Float64, "amplified_by_members": pl.Int64, "amplifies_members": pl.Int64,
    "infrastructure_degree": pl.Int64,
}


def _empty_networks() -> pl.DataFrame:
    return pl.DataFrame(schema=_NETWORK_SCHEMA)


def _empty_members() -> pl.DataFrame:
    return pl.DataFrame(schema=_MEMBER_SCHEMA)
