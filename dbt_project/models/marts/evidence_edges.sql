-- Pair evidence over the whole analysis window that is not a typed actor edge of the published
-- contract, for the graph stage's coordination graph: follow_ring (follow ties closing triangles
-- of follow ties) and co_promotion (the same rare hashtags, sounds or link domains pushed in
-- several posts or comments, at any time in the window). Undirected, stored once with
-- src_actor_key < dst_actor_key, same columns as actor_edges.
with edges as (
    select * from {{ ref('int_follow_ring_edges') }}
    union all by name
    select * from {{ ref('int_co_promotion_edges') }}
)
select
    cast(e.src_actor_key as varchar) as src_actor_key,
    cast(e.dst_actor_key as varchar) as dst_actor_key,
    cast(e.edge_type as varchar) as edge_type,
    cast(false as boolean) as is_directed,
    cast(round(e.weight, 9) as double) as weight,
    cast(e.evidence_count as bigint) as evidence_count,
    cast(e.first_seen as timestamp) as first_seen,
    cast(e.last_seen as timestamp) as last_seen,
    cast(w.window_start as date) as window_start,
    cast(w.window_end as date) as window_end
from edges as e
cross join {{ ref('int_window') }} as w
where e.src_actor_key < e.dst_actor_key and e.weight > 0
