-- edge_pair_counts reports every edge of actor_edges.
select 'mismatch' as problem
from (select count(*) as n from {{ ref('actor_edges') }}) as e
cross join (select sum(n_edges) as n from {{ ref('edge_pair_counts') }}) as c
where e.n <> c.n
