-- Directed interaction edges: follow, like, comment, share, repost (dst = target account,
-- the video owner for likes, comments, shares and reposts) and mention (dst = each mentioned
-- account of a post or comment). weight = evidence_count = number of such actions in the window.
with interactions as (
    select actor_key as src_actor_key, target_actor_key as dst_actor_key, event_type as edge_type, event_time
    from {{ ref('int_events_window') }}
    where event_type in ('follow', 'like', 'comment', 'share', 'repost') and target_actor_key is not null
    union all
    select e.actor_key, m.mentioned, 'mention', e.event_time
    from {{ ref('int_events_window') }} as e, unnest(list_distinct(e.mention_actor_keys)) as m(mentioned)
    where e.event_type in ('post', 'comment') and m.mentioned is not null
)
select
    src_actor_key,
    dst_actor_key,
    edge_type,
    cast(count(*) as double) as weight,
    count(*) as evidence_count,
    min(event_time) as first_seen,
    max(event_time) as last_seen
from interactions
where src_actor_key <> dst_actor_key
group by src_actor_key, dst_actor_key, edge_type
