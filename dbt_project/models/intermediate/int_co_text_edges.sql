-- co_text: accounts posting near-duplicate texts within co_text_window_seconds.
-- Candidates (int_co_text_bands): documents sharing an LSH band (same band hash) in the same or the next
-- time bucket; over-full (band, bucket) groups keep a hash sample of max_pairs_per_object
-- accounts. Candidates are verified on the exact Jaccard similarity of their shingle sets.
-- weight = sum over matching document pairs of jaccard / ln(1 + accounts in the smallest shared LSH group).
{%- set win = var('co_text_window_seconds') %}
with kept as (
    select * from {{ ref('int_co_text_bands') }} where is_kept
),
-- Same bucket, then the next one, as two equi-joins: a band hash that recurs all over the window is
-- joined bucket by bucket (at most max_pairs_per_object^2 pairs per bucket pair), never across the window.
pairs as (
    select l.event_id as l_id, r.event_id as r_id, least(l.n_group_accounts, r.n_group_accounts) as n_group_accounts
    from kept as l
    inner join kept as r
        on l.band_no = r.band_no and l.band_hash = r.band_hash and r.bucket = l.bucket
        and l.event_id < r.event_id
        and l.actor_key <> r.actor_key
        and abs(l.ts - r.ts) <= {{ win }}
    union all
    select l.event_id, r.event_id, least(l.n_group_accounts, r.n_group_accounts)
    from kept as l
    inner join kept as r
        on l.band_no = r.band_no and l.band_hash = r.band_hash and r.bucket = l.bucket + 1
        and l.actor_key <> r.actor_key
        and abs(l.ts - r.ts) <= {{ win }}
),
candidates as (
    select
        least(l_id, r_id) as l_event,
        greatest(l_id, r_id) as r_event,
        min(n_group_accounts) as n_group_accounts
    from pairs
    group by all
),
overlap as (
    select
        c.n_group_accounts,
        len(list_intersect(a.shingles, b.shingles)) as n_common,
        -- shingle lists hold distinct values: |A u B| = |A| + |B| - |A n B|, no list to build
        len(a.shingles) + len(b.shingles) as n_both,
        least(a.actor_key, b.actor_key) as src_actor_key,
        greatest(a.actor_key, b.actor_key) as dst_actor_key,
        least(a.event_time, b.event_time) as first_seen,
        greatest(a.event_time, b.event_time) as last_seen
    from candidates as c
    inner join {{ ref('int_co_text_docs') }} as a on c.l_event = a.event_id
    inner join {{ ref('int_co_text_docs') }} as b on c.r_event = b.event_id
),
verified as (
    select *, n_common / (n_both - n_common) as jaccard from overlap
)
select
    src_actor_key,
    dst_actor_key,
    'co_text' as edge_type,
    sum(jaccard * {{ idf_weight('n_group_accounts') }}) as weight,
    count(*) as evidence_count,
    min(first_seen) as first_seen,
    max(last_seen) as last_seen
from verified
where jaccard >= {{ var('co_text_min_jaccard') }}
group by src_actor_key, dst_actor_key
