-- Per edge type: how many edges the window produced and how many objects were capped
-- (sampled or skipped) to keep the pair joins bounded. One row per known edge type.
with edge_types as (
    select unnest([{% for t in edge_types() %}'{{ t }}'{{ ',' if not loop.last }}{% endfor %}]) as edge_type
),
edges as (
    select edge_type, count(*) as n_edges from {{ ref('actor_edges') }} group by edge_type
),
capped as (
    select edge_type, count(distinct object_id) as n_capped_objects
    from {{ ref('int_capped_objects') }}
    group by edge_type
)
select
    t.edge_type,
    coalesce(e.n_edges, 0) as n_edges,
    coalesce(c.n_capped_objects, 0) as n_capped_objects
from edge_types as t
left join edges as e using (edge_type)
left join capped as c using (edge_type)
order by t.edge_type
