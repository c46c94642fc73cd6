"""Candidate threat-actor networks: which groups, how risky, why, and who plays which role.

Principles (not tuned to any generator):
- A pair of accounts counts as coordinated only with repeated or combined
  evidence: two or more independent edge types, or the same co-action on
  several occasions. One shared viral video, one shared household router or
  one trending hashtag is not coordination.
- A network is flagged only when signals from at least two independent
  families agree (timing, content, social, infrastructure, identity, external
  labels). Fan clubs (timing only) and households (infrastructure only) stay
  unflagged.
- What organic communities do among themselves too (share the same videos,
  use the same words and tags, follow one another: timing, content, social)
  flags only with a reflex inside the group (members sharing within seconds of
  one another) or a civic agenda, or with evidence of another kind.
- Whole-window evidence (marts.evidence_edges) catches jittered operations:
  follow rings (follow ties closing triangles among accounts with few ties) and
  repeated co-promotion of the same rare tags, sounds and link domains.
"""
from __future__ import annotations

import hashlib
import math
import re
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
    # marts.evidence_edges: whole-window evidence outside the published actor_edges contract
    "follow_ring": "social",
    "co_promotion": "content",
}
CO_ACTION_TYPES = ("co_share", "co_text", "co_hashtag", "co_sound")
EDGE_TABLES = ("marts.actor_edges", "marts.evidence_edges")

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
    "follow_ring": ("social", 0.35),
    "repeated_co_promotion": ("content", 0.4),
    "dormant_activation": ("identity", 0.45),
}
# Edge types whose coverage of a network's members is a signal by itself (shared devices,
# prefixes, bursts and avatars need more context: see score_network).
EDGE_SIGNALS = {"co_share": "synchronized_sharing", "co_text": "copy_paste_text", "co_hashtag": "hashtag_flooding",
                "co_sound": "sound_flooding", "co_promotion": "repeated_co_promotion", "follow_ring": "follow_ring"}
# What organic communities (fans, friends, families) do among themselves too: watch and share
# the same videos, use the same words and tags, follow one another.
ORGANIC_FAMILIES = frozenset({"timing", "content", "social"})
# Signals too common among organic accounts to lift a group out of the organic families alone.
WEAK_SIGNALS = frozenset({"young_accounts", "dormant_activation"})
# Civic (election) vocabulary, matched as whole words (see civic_regex): "pollen", "devoted" and
# "presidential suite" are no civic content. A term may be several words ("campaign rally"); a bare
# "campaign" is no term (ad campaigns, game campaigns). Inflected forms are listed, plus a plural -s.
CIVIC_TERMS = ("election", "vote", "voted", "voter", "voting", "ballot", "candidate", "poll", "polling",
               "parliament", "president", "senate", "democracy", "fraud", "rigged", "wahl", "wahlen",
               "elecciones", "eleicoes", "eleições", "campaign rally", "campaign trail", "political campaign")
# Letters for word boundaries (ASCII and Latin-1 letters; digits, '_' and '#' separate words, so
# "#election2026" holds "election"). Spelled out rather than \b or \w, which differ between
# DuckDB (RE2, ASCII) and Python.
_WORD_LETTERS = "a-zß-öø-ÿ"
# Hashtags and run-together words are split where a lower-case letter meets an upper-case one
# ("#WakeUpVoters" -> "wake up voters") before lower-casing.
_CAMEL_SPLIT = "([a-z])([A-Z])"


def civic_regex(terms: tuple = CIVIC_TERMS) -> str:
    """Regex (RE2 and Python re alike) matching any term as whole words in lower-cased, camel-split text."""
    gap = f"[^{_WORD_LETTERS}]+"
    alternatives = "|".join(gap.join(re.escape(w) for w in t.lower().split()) for t in sorted(terms, key=len, reverse=True))
    return f"(?:^|[^{_WORD_LETTERS}])(?:{alternatives})s?(?:[^{_WORD_LETTERS}]|$)"


CIVIC_REGEX = civic_regex()


def is_civic(text: str | None, hashtags=()) -> bool:
    """Python twin of civic_match_sql: does a post (text plus hashtags) use civic vocabulary?"""
    s = (text or "") + " " + " ".join(hashtags or ())
    return re.search(CIVIC_REGEX, re.sub(_CAMEL_SPLIT, r"\1 \2", s).lower()) is not None


def civic_match_sql(text_sql: str = "e.text", hashtags_sql: str = "e.hashtags") -> str:
    """DuckDB boolean expression: is_civic(text, hashtags) for columns of a query."""
    return (f"regexp_matches(lower(regexp_replace(coalesce({text_sql}, '') || ' ' || "
            f"array_to_string(coalesce({hashtags_sql}, []), ' '), '{_CAMEL_SPLIT}', '\\1 \\2', 'g')), '{CIVIC_REGEX}')")


@dataclass(frozen=True)
class DetectionParams:
    min_network_size: int = 3
    # One edge type alone must repeat this often to link a pair. Sharing one video or
    # sound within a minute is what millions of fans do, and one shared phrase is what
    # memes and copypasta are (they glued households and carrier-NAT users to real
    # operations): the same near-duplicate text posted twice by both is not chance.
    min_single_type_evidence: tuple = (("co_text", 2), ("co_hashtag", 2), ("co_share", 3), ("co_sound", 3),
                                       ("follow_ring", 2), ("co_promotion", 2))
    # ... and for these types on two occasions at least: its co-actions span more than
    # sync_window_seconds (a single moment, however many shares of one video it holds, spans less).
    repeated_occasion_types: tuple = ("co_share",)
    # An edge of these types counts towards a network's signal only with this much evidence:
    # one post sharing a rare tag is a coincidence, the same tags pushed again are not.
    min_signal_evidence: tuple = (("co_promotion", 2),)
    max_household_size: int = 8  # co-located groups this small are explained by the home they share
    max_component_as_network: int = 50  # components up to this size are networks as a whole
    min_member_links: int = 2  # a member co-acts with at least this many others of its network (k-core) ...
    member_link_share: float = 0.2  # ... and with at least this share of what its typical member co-acts with
    min_sync_ratio_alone: float = 0.5  # timing + content alone must come with mostly synchronized shares (among members) ...
    min_civic_share_alone: float = 0.3  # ... or with a civic (election) agenda in the content
    prune_from_size: int = 10  # small groups are sparse by nature; prune weak ties only in larger ones
    small_network_size: int = 6  # below this, chance overlaps are likely: one more family of evidence is needed
    min_density: float = 0.05  # operations act as a group; a long sparse chain of pairs is not one
    farm_min_degree: float = 5.0  # accounts per shared device/prefix, on average, before it looks like a farm
    signal_coverage: float = 0.3  # share of members that must show an edge-type signal
    text_coverage: float = 0.3
    young_account_days: float = 30.0
    min_labelled_members: int = 2
    activation_share: float = 0.5  # share of members (established accounts) first active on one later day ...
    min_activated_members: int = 3  # ... and at least this many ...
    min_dormant_days: int = 3  # ... after at least this many silent days of the window
    sync_window_seconds: int = 60  # co_action_window_seconds of the dbt project
    flag_threshold: float = 0.55
    min_families: int = 2
    single_family_cap: float = 0.45  # one family of evidence alone never reaches the flag threshold


def edges_relation(con: duckdb.DuckDBPyConnection) -> str:
    """The typed edges detection reads: marts.actor_edges plus marts.evidence_edges when it exists."""
    present = {f"{s}.{t}" for s, t in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() UNION ALL SELECT schema_name, view_name FROM duckdb_views()").fetchall()}
    tables = [t for t in EDGE_TABLES if t in present] or [EDGE_TABLES[0]]
    cols = "src_actor_key, dst_actor_key, edge_type, weight, evidence_count, first_seen, last_seen"
    return "(" + " UNION ALL ".join(f"SELECT {cols} FROM {t}" for t in tables) + ")"


def coordination_pairs_sql(params: DetectionParams, relation: str = EDGE_TABLES[0]) -> str:
    """Undirected pairs with enough evidence, one row per pair, from `relation` (edges_relation).

    One edge type alone links a pair with min_single_type_evidence; for repeated_occasion_types
    only when its first and last co-action are more than sync_window_seconds apart (three accounts
    sharing one video three times each within half a minute is 9 co-shares, on one occasion).

    Two plain aggregations, per (pair, type) then per pair, rather than one with DISTINCT
    aggregates: those keep a hash set per group, and at 26M edges (scale L) that was 14 GiB.
    """
    types = ", ".join(f"'{t}'" for t in COORDINATION_EDGE_FAMILY)
    coaction = ", ".join(f"'{t}'" for t in CO_ACTION_TYPES)
    occasions = {t: f" AND epoch(last_seen) - epoch(first_seen) > {int(params.sync_window_seconds)}"
                 for t in params.repeated_occasion_types}
    single = " OR ".join(f"sum(CASE WHEN edge_type = '{t}'{occasions.get(t, '')} THEN evidence_count ELSE 0 END) >= {int(n)}"
                         for t, n in params.min_single_type_evidence)
    return f"""
        WITH per_type AS (
            SELECT least(src_actor_key, dst_actor_key) AS src, greatest(src_actor_key, dst_actor_key) AS dst,
                   edge_type, sum(weight) AS weight, sum(evidence_count) AS evidence_count,
                   min(first_seen) AS first_seen, max(last_seen) AS last_seen
            FROM {relation}
            WHERE edge_type IN ({types}) AND src_actor_key <> dst_actor_key
            GROUP BY 1, 2, 3
        )
        SELECT src, dst, round(sum(weight), 9) AS weight,
               count(*) AS n_types,
               sum(CASE WHEN edge_type IN ({coaction}) THEN evidence_count ELSE 0 END) AS coaction_evidence,
               list(edge_type ORDER BY edge_type) AS edge_types
        FROM per_type
        GROUP BY 1, 2
        HAVING count(*) >= 2 OR {single}
    """


def within_network_sql(edges_sql: str, columns: str) -> str:
    """network_id and `columns` of the edges (src, dst) whose two ends are in one network of tg_membership.

    The source's network is looked up first, in a materialised step: joined in one go, the
    optimiser may pair the membership with itself on network_id first, which for one large
    organic community of n members is n^2 rows (18k members: 3.3e8, minutes instead of 0.1 s).
    """
    return f"""
        WITH e AS MATERIALIZED (
            SELECT x.*, m.network_id FROM ({edges_sql}) x JOIN tg_membership m ON m.actor_key = x.src
        )
        SELECT e.network_id, {columns} FROM e
        JOIN tg_membership d ON d.actor_key = e.dst AND d.network_id = e.network_id
    """


def network_id_for(member_keys: list[str]) -> str:
    """Stable id: the same members give the same id, run after run."""
    return "net_" + hashlib.sha256(min(member_keys).encode()).hexdigest()[:16]


def score_network(features: dict, params: DetectionParams) -> tuple[float, list[str], list[str]]:
    """(risk_score in [0, 1], signals, families) from a network's features."""
    scored = network_score(features, params)
    return scored.risk, scored.signals, scored.families


@dataclass(frozen=True)
class NetworkScore:
    risk: float
    signals: list[str]
    families: list[str]
    held_back: list[str]  # why the risk was capped below the flag threshold (empty when it was not)


def network_score(features: dict, params: DetectionParams) -> NetworkScore:
    """The network's risk, signals and families, and the reasons a cap held its risk back."""
    cov = features.get("coverage", {})
    present: dict[str, float] = {}

    def add(signal, fraction):
        if fraction and fraction > 0:
            present[signal] = min(1.0, float(fraction))

    for edge_type, signal in EDGE_SIGNALS.items():
        needed = params.text_coverage if edge_type == "co_text" else params.signal_coverage
        if cov.get(edge_type, 0) >= needed:
            add(signal, cov[edge_type])
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
    # Established accounts silent in the window until one and the same later day, most of the
    # group: sleeper accounts woken together for a campaign (new accounts are creation signals).
    n = features.get("n_actors") or 0
    woke = features.get("max_same_day_activations") or 0
    if n and woke >= max(params.min_activated_members, math.ceil(params.activation_share * n)):
        add("dormant_activation", woke / n)
    age = features.get("median_account_age_days")
    if age is not None and age <= params.young_account_days:
        add("young_accounts", 1.0)
    if (features.get("indicator_hit_share") or 0) >= 0.2:
        add("url_pushing", features["indicator_hit_share"])
    # One enforced account in a crowd may be a mistaken or unrelated action; two or more
    # independently labelled accounts in one group label the group.
    if (features.get("enforced_share") or 0) >= 0.1 and (features.get("n_enforced") or 0) >= params.min_labelled_members:
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
    # Same videos, similar words and tags, following one another alone, with neither a fast
    # reflex nor a civic agenda, is what friends and fans do (young accounts too: friends join
    # a platform together).
    weak_timing = ({SIGNALS[s][0] for s in present if s not in WEAK_SIGNALS} <= ORGANIC_FAMILIES
                   and (features.get("member_sync_ratio") or 0) < params.min_sync_ratio_alone
                   and (features.get("civic_content_share") or 0) < params.min_civic_share_alone)
    held_back = []
    if len(families) < needed:
        held_back.append(f"evidence of {len(families)} famil{'y' if len(families) == 1 else 'ies'}, {needed} needed"
                         + (f" below {params.small_network_size} members" if needed > params.min_families else ""))
    if sparse:
        held_back.append(f"sparse (density below {params.min_density})")
    if weak_timing and present:
        held_back.append("only what organic groups show among themselves (timing, content, social), "
                         "without synchronised sharing among members or civic content")
    if household and not (strong_identity or "labels" in families):
        held_back.append("a household (shared residential devices) without identity or label evidence")
    if held_back:
        risk = min(risk, params.single_family_cap)
    signals = sorted(present, key=lambda s: (-SIGNALS[s][1] * present[s], s))
    return NetworkScore(round(max(0.0, min(1.0, risk)), 6), signals, families, held_back)


@dataclass
class DetectionResult:
    networks: pl.DataFrame
    members: pl.DataFrame
    stats: dict = field(default_factory=dict)


# Exact betweenness costs members x pairs: fine for operations (tens to hundreds of accounts),
# hours for the organic communities of tens of thousands a large window can hold.
EXACT_BETWEENNESS_MAX = 2_000
BETWEENNESS_SAMPLE_SOURCES = 500


def _betweenness(members: list[str], pairs: list[tuple[str, str]],
                 exact_max: int = EXACT_BETWEENNESS_MAX, sample: int = BETWEENNESS_SAMPLE_SOURCES) -> dict[str, float]:
    """Normalised betweenness of each member on the network's own pair graph.

    Above `exact_max` members it is estimated from the shortest paths of `sample` sources
    (Brandes-Pich), scaled by members / sources. The sources are evenly spaced over the sorted
    member keys (pseudonyms: effectively random, and the same on every run).
    """
    import igraph as ig

    index = {k: i for i, k in enumerate(members)}
    g = ig.Graph(n=len(members), edges=[(index[a], index[b]) for a, b in pairs if a in index and b in index])
    n = len(members)
    norm = (n - 1) * (n - 2) / 2 if n > 2 else 1.0
    if n <= exact_max:
        return {k: b / norm for k, b in zip(members, g.betweenness(directed=False))}
    order = sorted(range(n), key=members.__getitem__)
    sources = [order[round(i * n / sample)] for i in range(sample)]
    scale = n / sample / norm
    return {k: b * scale for k, b in zip(members, g.betweenness(directed=False, sources=sources))}


def core_members(members: list[str], pairs: list[tuple[str, str]], k: int) -> list[str]:
    """The k-core of a community's pair graph: members tied to at least k others that stay.

    A coordinated group acts together; an account hanging on by a single tie
    (a household member who once pasted the same text) is not part of it.
    """
    if k <= 1 or len(members) <= k:
        return members
    neighbours: dict[str, set[str]] = {m: set() for m in members}
    for u, v in pairs:
        if u in neighbours and v in neighbours and u != v:
            neighbours[u].add(v)
            neighbours[v].add(u)
    # Peel with a queue: each removal lowers its neighbours' degrees once (linear; repeated passes
    # over the set were quadratic on long chains).
    degree = {m: len(n) for m, n in neighbours.items()}
    removed: set[str] = set()
    queue = [m for m in members if degree[m] < k]
    while queue:
        m = queue.pop()
        if m in removed:
            continue
        removed.add(m)
        for n in neighbours[m]:
            if n not in removed:
                degree[n] -= 1
                if degree[n] < k:
                    queue.append(n)
    return sorted(m for m in set(members) if m not in removed)


def connected_groups(members: list[str], pairs: list[tuple[str, str]]) -> list[list[str]]:
    """The connected components of `members` on their own pairs (pairs leaving the set are ignored).

    Each component sorted, components ordered by their smallest member: the same on every run.
    """
    parent = {m: m for m in members}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u, v in pairs:
        if u in parent and v in parent:
            ru, rv = find(u), find(v)
            if ru != rv:
                parent[max(ru, rv)] = min(ru, rv)
    parts: dict[str, list[str]] = {}
    for m in sorted(parent):
        parts.setdefault(find(m), []).append(m)
    return sorted(parts.values(), key=lambda p: p[0])


def member_link_counts(within_edges: pl.DataFrame) -> tuple[dict, dict, dict, dict]:
    """Distinct other members each member is tied to, from the within-network edges.

    `within_edges`: network_id, edge_type, src, dst. Returns dicts keyed by (network_id, member):
    seeded (how many other members share or repost its videos: src shares dst's video),
    sharing (whose videos, how many other members, it shares or reposts) and infra_degree (how
    many other members it shares a device or an IP prefix with); and, keyed by (network_id,
    edge_type), the sum over members of their distinct others of that infrastructure type. A
    member tied to another by two edge types (share and repost, device and prefix) counts once.
    """
    shares = (within_edges.filter(pl.col("edge_type").is_in(["share", "repost"]) & (pl.col("src") != pl.col("dst")))
              .select("network_id", "src", "dst").unique())
    seeded = {(nid, k): n for nid, k, n in shares.group_by(["network_id", "dst"]).len().iter_rows()}
    sharing = {(nid, k): n for nid, k, n in shares.group_by(["network_id", "src"]).len().iter_rows()}
    infra = within_edges.filter(pl.col("edge_type").is_in(["shared_device", "shared_ip_prefix"]) & (pl.col("src") != pl.col("dst")))
    ends = pl.concat([infra.select("network_id", "edge_type", pl.col("src").alias("k"), pl.col("dst").alias("other")),
                      infra.select("network_id", "edge_type", pl.col("dst").alias("k"), pl.col("src").alias("other"))]).unique()
    infra_degree = {(nid, k): n for nid, k, n in
                    ends.select("network_id", "k", "other").unique().group_by(["network_id", "k"]).len().iter_rows()}
    type_degree_sum = {(nid, et): n for nid, et, n in ends.group_by(["network_id", "edge_type"]).len().iter_rows()}
    return seeded, sharing, infra_degree, type_degree_sum


def member_link_threshold(members: list[str], pairs: list[tuple[str, str]], min_links: int, share: float) -> int:
    """k for core_members: at least `min_links`, and `share` of the group's median number of ties.

    In a group whose members each co-act with dozens of the others, an account tied to two of
    them (two people who once pasted the same meme as two members) hangs on; it is no member.
    """
    degree = {m: 0 for m in members}
    for u, v in pairs:
        if u in degree and v in degree:
            degree[u] += 1
            degree[v] += 1
    values = sorted(degree.values())
    if not values:
        return min_links
    n = len(values)
    median = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
    return max(min_links, math.ceil(share * median))


def assign_role(seeded_by_others: int, shares_of_others: int, infra_degree: int, betweenness: float, n: int) -> str:
    """seeder > infrastructure_hub > bridge > amplifier, from the member's position in its network."""
    if seeded_by_others >= 2 and seeded_by_others >= shares_of_others:
        return "seeder"
    if infra_degree >= max(3, (n - 1) // 2):
        return "infrastructure_hub"
    if n >= 5 and betweenness >= 0.25:
        return "bridge"
    return "amplifier"


# The window's event and session logs (dbt intermediate models, materialised tables).
LOG_TABLES = ("intermediate.int_events_window", "intermediate.int_sessions_window")


def logs_first_day_sql() -> str:
    """The first day of the window with event or session logs (NULL when there are none).

    Not min(first_active_at) of marts.actors: that counts an account's creation inside the window
    as activity, and a window reaching back before the logs begin would start at some creation.
    """
    return "SELECT CAST(min(t) AS DATE) AS first_day FROM (" + " UNION ALL ".join(
        f"SELECT min(event_time) AS t FROM {t}" for t in LOG_TABLES) + ")"


def same_day_activations(con: duckdb.DuckDBPyConnection, params: DetectionParams) -> dict[str, int]:
    """network_id -> most members of tg_membership woken on one and the same day.

    Dormant accounts woken together: established accounts (created before the logs of the window
    begin) silent for at least the first min_dormant_days days of the logs, whose first activity
    falls on one and the same day.
    """
    return dict(con.execute(f"""
        WITH logs AS ({logs_first_day_sql()})
        SELECT network_id, max(n) FROM (
            SELECT m.network_id, CAST(a.first_active_at AS DATE) AS d, count(*) AS n
            FROM tg_membership m JOIN marts.actors a USING (actor_key) CROSS JOIN logs
            WHERE a.created_at < logs.first_day
              AND CAST(a.first_active_at AS DATE) >= logs.first_day + ?::INTEGER
            GROUP BY 1, 2)
        GROUP BY 1""", [int(params.min_dormant_days)]).fetchall())


def detect_networks(con: duckdb.DuckDBPyConnection, metrics: pl.DataFrame, pairs: pl.DataFrame,
                    window_start, window_end, params: DetectionParams = DetectionParams(),
                    relation: str | None = None) -> DetectionResult:
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
        group_pairs = within.get((comp, comm), [])
        if len(members) >= params.prune_from_size:
            k = member_link_threshold(members, group_pairs, params.min_member_links, params.member_link_share)
            members = core_members(members, group_pairs, k)
        # a k-core (or a community) need not be connected: each connected part is its own candidate
        for part in connected_groups(members, group_pairs):
            if len(part) >= params.min_network_size:
                nid = network_id_for(part)
                rows += [(nid, m) for m in part]
    if not rows:
        return DetectionResult(_empty_networks(), _empty_members(), {"candidate_networks": 0})
    membership = pl.DataFrame(rows, schema=[("network_id", pl.Utf8), ("actor_key", pl.Utf8)], orient="row")
    con.register("tg_membership", membership.to_arrow())
    con.register("tg_pairs", pairs.select("src", "dst").to_arrow())

    sizes = dict(membership.group_by("network_id").len().iter_rows())
    # One pass over the edges: every edge inside a network, as stored (direction kept).
    relation = relation or edges_relation(con)
    within_edges = con.sql(within_network_sql(
        f"SELECT src_actor_key AS src, dst_actor_key AS dst, edge_type, evidence_count FROM {relation} "
        "WHERE src_actor_key <> dst_actor_key", "e.edge_type, e.src, e.dst, e.evidence_count")).pl()
    min_evidence = dict(params.min_signal_evidence)
    signal_edges = within_edges.filter(
        pl.col("evidence_count") >= pl.col("edge_type").replace_strict(min_evidence, default=1, return_dtype=pl.Int64))
    signal_endpoints = pl.concat([signal_edges.select("network_id", "edge_type", pl.col("src").alias("k")),
                                  signal_edges.select("network_id", "edge_type", pl.col("dst").alias("k"))])
    # coverage: share of members touched by a within-network edge of each type
    coverage: dict[str, dict[str, float]] = {}
    for nid, et, n in signal_endpoints.unique().group_by(["network_id", "edge_type"]).len().iter_rows():
        coverage.setdefault(nid, {})[et] = n / sizes[nid]
    pair_lists: dict[str, list] = {}
    for nid, u, v in con.execute(within_network_sql("SELECT src, dst FROM tg_pairs", "e.src, e.dst")).fetchall():
        pair_lists.setdefault(nid, []).append((u, v))
    n_pairs = {nid: len(p) for nid, p in pair_lists.items()}

    actor_features = con.sql("""
        SELECT m.network_id,
               median(a.account_age_days) AS median_account_age_days,
               round(coalesce(stddev_pop(epoch(a.created_at)) / 3600.0, 0), 6) AS creation_spread_hours,
               round(avg(coalesce(a.sync_share_ratio, 0)), 9) AS sync_share_ratio,
               round(avg(coalesce(a.hosting_login_share, 0)), 9) AS hosting_login_share,
               avg(CASE WHEN coalesce(a.n_cib_enforcement_actions, 0) > 0 OR coalesce(a.is_indicator_account, false) THEN 1 ELSE 0 END) AS enforced_share,
               sum(CASE WHEN coalesce(a.n_cib_enforcement_actions, 0) > 0 OR coalesce(a.is_indicator_account, false) THEN 1 ELSE 0 END) AS n_enforced,
               avg(CASE WHEN coalesce(a.n_indicator_domain_hits, 0) + coalesce(a.n_indicator_hashtag_hits, 0) + coalesce(a.n_indicator_sound_hits, 0) > 0 THEN 1 ELSE 0 END) AS indicator_hit_share
        FROM tg_membership m LEFT JOIN marts.actors a USING (actor_key)
        GROUP BY 1
    """).pl()
    civic = dict(con.execute(f"""
        SELECT m.network_id,
               avg(CASE WHEN {civic_match_sql('e.text', 'e.hashtags')} THEN 1.0 ELSE 0.0 END)
        FROM tg_membership m JOIN staging.stg_events e USING (actor_key)
        WHERE e.event_type IN ('post', 'comment') AND e.event_time >= ? AND e.event_time < ? + INTERVAL 1 DAY
        GROUP BY 1""", [window_start, window_end]).fetchall())
    activations = same_day_activations(con, params)
    # reflex inside the group: shares of a video within W seconds of another member's share of it
    # (a viral video is shared by thousands every minute: synchrony with the crowd is no reflex)
    w = int(params.sync_window_seconds)
    member_sync = dict(con.execute(f"""
        WITH s AS (
            SELECT m.network_id, e.actor_key, e.video_id, epoch(e.event_time) AS ts
            FROM tg_membership m JOIN staging.stg_events e USING (actor_key)
            WHERE e.event_type IN ('share', 'repost') AND e.video_id IS NOT NULL
              AND e.event_time >= ? AND e.event_time < ? + INTERVAL 1 DAY
        ), near AS (
            SELECT network_id,
                   count(*) OVER (PARTITION BY network_id, video_id ORDER BY ts RANGE BETWEEN {w} PRECEDING AND {w} FOLLOWING)
                   - count(*) OVER (PARTITION BY network_id, video_id, actor_key ORDER BY ts RANGE BETWEEN {w} PRECEDING AND {w} FOLLOWING)
                   AS n_other_members
            FROM s
        )
        SELECT network_id, round(avg(CASE WHEN n_other_members > 0 THEN 1.0 ELSE 0.0 END), 9) FROM near GROUP BY 1
        """, [window_start, window_end]).fetchall())
    con.unregister("tg_membership")
    con.unregister("tg_pairs")

    seeded, sharing, infra_degree, type_degree_sum = member_link_counts(within_edges)

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
        f["member_sync_ratio"] = member_sync.get(nid, 0.0)
        f["max_same_day_activations"] = activations.get(nid, 0)
        f["density"] = 2 * n_pairs.get(nid, 0) / (n * (n - 1)) if n > 1 else 0.0
        # how many others each member shares devices / prefixes with, on average: farms are dense
        f["mean_device_degree"] = type_degree_sum.get((nid, "shared_device"), 0) / n
        f["mean_prefix_degree"] = type_degree_sum.get((nid, "shared_ip_prefix"), 0) / n
        scored = network_score(f, params)
        risk, signals, families = scored.risk, scored.signals, scored.families
        e = n_pairs.get(nid, 0)
        dists = [metric_by_key[m].get("bad_actor_distance") for m in members]
        dists = [d for d in dists if d is not None]
        net_rows.append({
            "network_id": nid, "window_start": window_start, "window_end": window_end,
            "n_actors": n, "n_edges": e, "density": round(2 * e / (n * (n - 1)), 6) if n > 1 else 0.0,
            "risk_score": risk, "flagged": risk >= params.flag_threshold,
            "signals": signals, "signal_families": families,
            "sync_share_ratio": f.get("sync_share_ratio"), "member_sync_ratio": f.get("member_sync_ratio"),
            "median_account_age_days": f.get("median_account_age_days"),
            "creation_spread_hours": f.get("creation_spread_hours"),
            "same_day_activation_share": round(f["max_same_day_activations"] / n, 6),
            "shared_device_share": f["coverage"].get("shared_device", 0.0),
            "shared_ip_prefix_share": f["coverage"].get("shared_ip_prefix", 0.0),
            "shared_avatar_share": f["coverage"].get("shared_avatar", 0.0),
            "copy_paste_text_share": f["coverage"].get("co_text", 0.0),
            "civic_content_share": civic.get(nid), "hosting_login_share": f.get("hosting_login_share"),
            "enforced_member_share": f.get("enforced_share"), "indicator_hit_share": f.get("indicator_hit_share"),
            "min_bad_actor_distance": min(dists) if dists else None,
            "explanation": _explain(signals, families, risk, n, scored.held_back, params.flag_threshold),
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


def _explain(signals: list[str], families: list[str], risk: float, n: int, held_back: list[str] = (),
             flag_threshold: float = 1.0) -> str:
    """The signals and families in words; for a network not flagged, why not."""
    if not signals:
        return f"{n} accounts linked by repeated co-activity; no behaviour beyond what organic groups show"
    text = (f"{n} accounts; signals: {', '.join(signals)} ({len(families)} independent "
            f"famil{'y' if len(families) == 1 else 'ies'}: {', '.join(families)}); risk {risk:.2f}")
    if risk < flag_threshold:
        text += "; not flagged: " + ("; ".join(held_back) if held_back else f"risk below {flag_threshold}")
    return text


_NETWORK_SCHEMA = {
    "network_id": pl.Utf8, "window_start": pl.Date, "window_end": pl.Date, "n_actors": pl.Int64, "n_edges": pl.Int64,
    "density": pl.Float64, "risk_score": pl.Float64, "flagged": pl.Boolean, "signals": pl.List(pl.Utf8),
    "signal_families": pl.List(pl.Utf8), "sync_share_ratio": pl.Float64, "member_sync_ratio": pl.Float64,
    "median_account_age_days": pl.Float64,
    "creation_spread_hours": pl.Float64, "same_day_activation_share": pl.Float64, "shared_device_share": pl.Float64, "shared_ip_prefix_share": pl.Float64,
    "shared_avatar_share": pl.Float64, "copy_paste_text_share": pl.Float64, "civic_content_share": pl.Float64,
    "hosting_login_share": pl.Float64, "enforced_member_share": pl.Float64, "indicator_hit_share": pl.Float64,
    "min_bad_actor_distance": pl.Float64, "explanation": pl.Utf8,
}
_MEMBER_SCHEMA = {
    "network_id": pl.Utf8, "actor_key": pl.Utf8, "role": pl.Utf8, "pagerank": pl.Float64, "degree": pl.Int64,
    "betweenness": pl.Float64, "amplified_by_members": pl.Int64, "amplifies_members": pl.Int64,
    "infrastructure_degree": pl.Int64,
}


def _empty_networks() -> pl.DataFrame:
    return pl.DataFrame(schema=_NETWORK_SCHEMA)


def network_edges(pairs: pl.DataFrame, members: pl.DataFrame, window_start=None, window_end=None) -> pl.DataFrame:
    """The coordination pairs inside each network: the pairs that formed it, which networks.n_edges
    counts (network_members.degree counts a member's pairs in the whole graph, those leaving the
    network too). `pairs` as coordination_pairs_sql gives them (one row
    per undirected pair), `members` with network_id, actor_key (an actor is in one network at most)."""
    m = members.select("network_id", "actor_key")
    inside = (pairs.join(m.rename({"actor_key": "src"}), on="src")
              .join(m.rename({"actor_key": "dst", "network_id": "dst_network_id"}), on="dst")
              .filter(pl.col("network_id") == pl.col("dst_network_id")))
    return inside.select(
        "network_id", pl.col("src").alias("src_actor_key"), pl.col("dst").alias("dst_actor_key"),
        pl.col("weight").cast(pl.Float64), pl.col("edge_types").cast(pl.List(pl.Utf8)),
        pl.col("coaction_evidence").cast(pl.Int64).alias("coaction_evidence_count"),
        pl.lit(window_start, dtype=pl.Date).alias("window_start"), pl.lit(window_end, dtype=pl.Date).alias("window_end"),
    ).sort("network_id", "src_actor_key", "dst_actor_key")


def _empty_members() -> pl.DataFrame:
    return pl.DataFrame(schema=_MEMBER_SCHEMA)
