-- co_share: pairs of accounts that shared the same video / URL within W seconds,
-- found with the CooRTweet semantics of co_share_pairs (macros/co_share.sql).
-- evidence_count = coordinated share pairs (CooRTweet edge weight);
-- weight = sum over distinct co-shared objects of 1 / ln(1 + accounts that shared the object).
with pairs as (
    select * from (
        {{ co_share_pairs(ref('int_co_share_input'), var('co_action_window_seconds'), var('co_share_min_participation')) }}
    )
),
times as (
    select event_id as content_id, event_time from {{ ref('int_events_window') }}
),
undirected as (
    select
        least(p.account_id, p.account_id_y) as src_actor_key,
        greatest(p.account_id, p.account_id_y) as dst_actor_key,
        p.object_id,
        least(t1.event_time, t2.event_time) as first_seen,
        greatest(t1.event_time, t2.event_time) as last_seen
    from pairs as p
    inner join times as t1 on p.content_id = t1.content_id
    inner join times as t2 on p.content_id_y = t2.content_id
),
objects as (
    select distinct object_id, n_object_accounts
    from {{ ref('int_coaction_occurrences') }}
    where edge_type = 'co_share'
),
per_object as (
    select src_actor_key, dst_actor_key, object_id,
        count(*) as n_pairs, min(first_seen) as first_seen, max(last_seen) as last_seen
    from undirected
    group by all
)
select
    src_actor_key,
    dst_actor_key,
    'co_share' as edge_type,
    sum({{ idf_weight('o.n_object_accounts') }}) as weight,
    sum(n_pairs) as evidence_count,
    min(first_seen) as first_seen,
    max(last_seen) as last_seen
from per_object
inner join objects as o using (object_id)
group by src_actor_key, dst_actor_key
