-- follow_ring: follow ties (either direction, in the window) that close triangles of such ties.
-- A ring of accounts following one another is a dense block of new follow ties; an organic
-- account follows creators it likes, whose many followers do not follow one another.
-- Bounded: accounts with more than follow_ring_max_ties distinct follow ties in the window
-- (creators, celebrities, follow-back spammers) are left out before the triangle join, so the
-- join is at most (ties x follow_ring_max_ties) rows, never quadratic in a creator's followers.
-- evidence_count = triangles through the tie (common tie-neighbours); weight = the same.
{%- set max_ties = var('follow_ring_max_ties') | int %}
with follows as (
    select src_actor_key as a, dst_actor_key as b, first_seen, last_seen
    from {{ ref('int_interaction_edges') }}
    where edge_type = 'follow' and src_actor_key <> dst_actor_key
),
ties as (
    select least(a, b) as a, greatest(a, b) as b, min(first_seen) as first_seen, max(last_seen) as last_seen
    from follows
    group by 1, 2
),
degrees as (
    select k, count(*) as n_ties
    from (select a as k from ties union all select b from ties)
    group by k
),
small as (
    select t.*
    from ties as t
    inner join degrees as da on da.k = t.a
    inner join degrees as db on db.k = t.b
    where da.n_ties <= {{ max_ties }} and db.n_ties <= {{ max_ties }}
),
neighbours as (
    select a as k, b as n from small
    union all
    select b, a from small
),
support as (
    select s.a, s.b, count(*) as n_triangles
    from small as s
    inner join neighbours as x on x.k = s.a
    inner join neighbours as y on y.k = s.b and y.n = x.n
    group by s.a, s.b
)
select
    s.a as src_actor_key,
    s.b as dst_actor_key,
    'follow_ring' as edge_type,
    cast(t.n_triangles as double) as weight,
    t.n_triangles as evidence_count,
    s.first_seen,
    s.last_seen
from small as s
inner join support as t using (a, b)
