-- Typed actor edges over the analysis window, one row per (src_actor_key, dst_actor_key, edge_type).
-- Interaction edges are directed; co-action and shared-infrastructure edges are undirected
-- and stored once with src_actor_key < dst_actor_key.
with edges as (
    select *, true as is_directed from {{ ref('int_interaction_edges') }}
    union all by name
    select *, false as is_directed from {{ ref('int_co_share_edges') }}
    union all by name
    select *, false as is_directed from {{ ref('int_coaction_edges') }}
    union all by name
    select *, false as is_directed from {{ ref('int_co_text_edges') }}
    union all by name
    select *, false as is_directed from {{ ref('int_shared_infra_edges') }}
)
select
    {{ typed_edge_columns('e', 'w') }}
from edges as e
cross join {{ ref('int_window') }} as w
where e.src_actor_key <> e.dst_actor_key and e.weight > 0
