-- Pair evidence over the whole analysis window that is not a typed actor edge of the published
-- contract, for the graph stage's coordination graph: follow_ring (follow ties closing triangles
-- of follow ties) and co_promotion (the same rare hashtags, sounds or link domains pushed in
-- several posts or comments, at any time in the window). Undirected, stored once with
-- src_actor_key < dst_actor_key, same columns as actor_edges.
with edges as (
    select *, false as is_directed from {{ ref('int_follow_ring_edges') }}
    union all by name
    select *, false as is_directed from {{ ref('int_co_promotion_edges') }}
)
select
    {{ typed_edge_columns('e', 'w') }}
from edges as e
cross join {{ ref('int_window') }} as w
where e.src_actor_key < e.dst_actor_key and e.weight > 0
