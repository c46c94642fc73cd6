-- co_promotion: pairs of accounts that pushed the same rare objects (a combination of hashtags,
-- a sound, a link domain) in their posts and comments anywhere in the window, with no
-- time constraint: the co-action edges need the same minute, a campaign with jittered timing
-- repeats the same rare material over days instead.
-- Rare: an object used by at most co_promotion_max_accounts accounts over the window, and a
-- hashtag combination only when one of its tags is that rare; trending hashtags, hit sounds and
-- big sites are what everybody uses and make no pairs, which also bounds the pair join (at most
-- max * (max - 1) / 2 pairs per object).
-- evidence_count = distinct items (posts / comments) of the less active account of the pair that
-- carry an object both pushed: 1 is a coincidence, repeated co-promotion counts.
-- weight = sum over shared objects of 1 / ln(1 + accounts on the object).
{%- set max_accounts = var('co_promotion_max_accounts') | int %}
with posted as (
    select event_id, actor_key, event_time, hashtags, urls, sound_id, event_type
    from {{ ref('int_events_window') }}
    where event_type in ('post', 'comment')
),
tagged as (
    select event_id, actor_key, event_time,
        list_sort(list_distinct(list_filter(
            list_transform(hashtags, lambda h: lower(ltrim(trim(h), '#'))), lambda h: h <> ''))) as tags
    from posted
),
tag_accounts as (
    select tag, count(distinct actor_key) as n_accounts
    from (select actor_key, unnest(tags) as tag from tagged)
    group by tag
),
specific_posts as (
    -- posts whose tag combination holds at least one rare tag: a combination of everyday tags
    -- (fyp, foryou, funny) is chosen by chance by many people, a campaign's own tag is not
    select t.event_id
    from (select event_id, unnest(tags) as tag from tagged) as t
    inner join tag_accounts as c using (tag)
    group by t.event_id
    having min(c.n_accounts) <= {{ max_accounts }}
),
objects as (
    select 'tags:' || array_to_string(tags, ' ') as object_id, actor_key, event_id, event_time
    from tagged
    where len(tags) >= {{ var('co_hashtag_min_tags') | int }}
        and event_id in (select event_id from specific_posts)
    union all
    select 'sound:' || sound_id, actor_key, event_id, event_time
    from posted
    where event_type = 'post' and sound_id is not null
    union all
    select distinct 'domain:' || {{ url_domain('u.url') }}, actor_key, event_id, event_time
    from posted, unnest(urls) as u(url)
    where nullif(trim(u.url), '') is not null
),
occurrences as (
    select distinct object_id, actor_key, event_id, event_time
    from objects
    where object_id not in ('sound:', 'domain:')
),
rare as (
    select object_id, count(distinct actor_key) as n_accounts
    from occurrences
    group by object_id
    having count(distinct actor_key) between 2 and {{ max_accounts }}
),
users as (
    select o.object_id, r.n_accounts, o.actor_key, min(o.event_time) as first_time, max(o.event_time) as last_time
    from occurrences as o
    inner join rare as r using (object_id)
    group by all
),
pair_objects as (
    select l.object_id, l.n_accounts, l.actor_key as a, r.actor_key as b,
        least(l.first_time, r.first_time) as first_seen,
        greatest(l.last_time, r.last_time) as last_seen
    from users as l
    inner join users as r on l.object_id = r.object_id and l.actor_key < r.actor_key
),
side_items as (
    -- the distinct items of each side of a pair that carry an object of the pair
    select p.a, p.b, 'a' as side, o.event_id
    from pair_objects as p
    inner join occurrences as o on o.object_id = p.object_id and o.actor_key = p.a
    union
    select p.a, p.b, 'b', o.event_id
    from pair_objects as p
    inner join occurrences as o on o.object_id = p.object_id and o.actor_key = p.b
),
items as (
    select a, b, count(*) filter (where side = 'a') as n_items_a, count(*) filter (where side = 'b') as n_items_b
    from side_items
    group by a, b
),
pairs as (
    select a, b, sum({{ idf_weight('n_accounts') }}) as weight,
        min(first_seen) as first_seen, max(last_seen) as last_seen
    from pair_objects
    group by a, b
)
select
    p.a as src_actor_key,
    p.b as dst_actor_key,
    'co_promotion' as edge_type,
    p.weight,
    least(i.n_items_a, i.n_items_b) as evidence_count,
    p.first_seen,
    p.last_seen
from pairs as p
inner join items as i using (a, b)
