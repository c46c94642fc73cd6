-- Interaction edges, and only they, are directed.
select *
from {{ ref('actor_edges') }}
where is_directed <> (edge_type in ({% for t in directed_edge_types() %}'{{ t }}'{{ ',' if not loop.last }}{% endfor %}))
