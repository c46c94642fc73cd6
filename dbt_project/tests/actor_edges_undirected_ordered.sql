-- Undirected edges are stored once, with src_actor_key < dst_actor_key.
select *
from {{ ref('actor_edges') }}
where edge_type in ({% for t in undirected_edge_types() %}'{{ t }}'{{ ',' if not loop.last }}{% endfor %})
    and (src_actor_key >= dst_actor_key or is_directed)
