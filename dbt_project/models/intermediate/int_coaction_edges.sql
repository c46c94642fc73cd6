-- co_hashtag, co_sound and creation_burst: pairs of accounts acting on the same object
-- (hashtag combination, sound, username shape) at most window_seconds apart.
-- Bounded: accounts are reduced to one row per (object, bucket) with their first and last
-- time in the bucket, over-full buckets are sampled (is_kept), and bucket b only joins b and b + 1.
-- Two accounts in the same bucket are always within window_seconds; across adjacent buckets the
-- closest pair of actions is (last of the earlier bucket, first of the later one).
-- creation_burst evidence (creation times) may predate the window: its first_seen / last_seen
-- span both accounts' activity in the window instead.
with per_bucket as (
    select
        edge_type, object_id, bucket, actor_key, window_seconds, n_object_accounts,
        min(ts) as min_ts, max(ts) as max_ts,
        min(event_time) as first_time, max(event_time) as last_time
    from {{ ref('int_coaction_occurrences') }}
    where edge_type in ('co_hashtag', 'co_sound', 'creation_burst') and is_kept
    group by all
),
pairs as (
    select l.edge_type, l.object_id, l.n_object_accounts,
        l.actor_key as a_key, r.actor_key as b_key,
        least(l.first_time, r.first_time) as first_seen,
        greatest(l.last_time, r.last_time) as last_seen
    from per_bucket as l
    inner join per_bucket as r
        on l.edge_type = r.edge_type and l.object_id = r.object_id
        and l.bucket = r.bucket and l.actor_key < r.actor_key
    union all
    select l.edge_type, l.object_id, l.n_object_accounts,
        l.actor_key, r.actor_key,
        least(l.last_time, r.first_time),
        greatest(l.last_time, r.first_time)
    from per_bucket as l
    inner join per_bucket as r
        on l.edge_type = r.edge_type and l.object_id = r.object_id
        and r.bucket = l.bucket + 1 and l.actor_key <> r.actor_key
        and r.min_ts - l.max_ts <= l.window_seconds
),
per_object as (
    select
        edge_type, object_id,
        least(a_key, b_key) as src_actor_key,
        greatest(a_key, b_key) as dst_actor_key,
        any_value(n_object_accounts) as n_object_accounts,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen
    from pairs
    group by all
),
edges as (
    select
        src_actor_key,
        dst_actor_key,
        edge_type,
        sum({{ idf_weight('n_object_accounts') }}) as weight,
        count(*) as evidence_count,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen
    from per_object
    group by src_actor_key, dst_actor_key, edge_type
)
select
    e.src_actor_key,
    e.dst_actor_key,
    e.edge_type,
    e.weight,
    e.evidence_count,
    case when e.edge_type = 'creation_burst' then least(s.first_active, d.first_active) else e.first_seen end as first_seen,
    case when e.edge_type = 'creation_burst' then greatest(s.last_active, d.last_active) else e.last_seen end as last_seen
from edges as e
left join {{ ref('int_actor_activity') }} as s on e.src_actor_key = s.actor_key
left join {{ ref('int_actor_activity') }} as d on e.dst_actor_key = d.actor_key
