-- shared_device, shared_ip_prefix, shared_avatar: pairs of accounts using the same object in
-- the window. Objects over their cap contribute no pairs, so each object yields at most
-- cap * (cap - 1) / 2 pairs. weight = sum over shared objects of 1 / ln(1 + accounts on the object);
-- first_seen / last_seen span both accounts' use of the shared objects.
with kept as (
    select * from {{ ref('int_shared_objects') }} where not is_capped and n_accounts >= 2
)
select
    l.actor_key as src_actor_key,
    r.actor_key as dst_actor_key,
    l.edge_type,
    sum({{ idf_weight('l.n_accounts') }}) as weight,
    count(*) as evidence_count,
    min(least(l.first_seen, r.first_seen)) as first_seen,
    max(greatest(l.last_seen, r.last_seen)) as last_seen
from kept as l
inner join kept as r
    on l.edge_type = r.edge_type and l.object_id = r.object_id and l.actor_key < r.actor_key
group by l.actor_key, r.actor_key, l.edge_type
