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
    cast(e.src_actor_key as varchar) as src_actor_key,
    cast(e.dst_actor_key as varchar) as dst_actor_key,
    cast(e.edge_type as varchar) as edge_type,
    cast(e.is_directed as boolean) as is_directed,
    -- rounded: parallel float sums differ in the last bits from run to run; published rows must not
    cast(round(e.weight, 9) as double) as weight,
    cast(e.evidence_count as bigint) as evidence_count,
    cast(e.first_seen as timestamp) as first_seen,
    cast(e.last_seen as timestamp) as last_seen,
    cast(w.window_start as date) as window_start,
    cast(w.window_end as date) as window_end
from edges as e
cross join {{ ref('int_window') }} as w
where e.src_actor_key <> e.dst_actor_key and e.weight > 0
