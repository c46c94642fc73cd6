-- Every action that can make a co-action edge, as (edge_type, object_id, actor_key, time),
-- with the bookkeeping that keeps pair joins bounded:
--   bucket            time bucket of width window_seconds (pairs only join bucket b with b and b + 1)
--   n_object_accounts distinct accounts on the object over the window (inverse-frequency weight);
--                     for creation_burst, accounts created the same day with the same shape
--   n_bucket_accounts distinct accounts on the object in the bucket
--   is_kept           false when the account falls outside the sample of an over-full bucket,
--                     or the object is not rare enough (co_hashtag). The sample keeps the
--                     max_pairs_per_object accounts with the smallest hash(actor_key): the same
--                     accounts on every over-full bucket, so pairs that co-act on several
--                     viral objects keep all their evidence (coordinated sampling).
--                     co_share pairs share by share (CooRTweet), so an account's repeats count
--                     too: only its first max_repeats_per_account shares of the object in the
--                     bucket are kept (30 accounts sharing one video 300 times each in a minute
--                     made 39M pairs otherwise).
--   is_repeat_capped  the account shared the object more often than that in the bucket
{%- set w = var('co_action_window_seconds') %}
{%- set cap = var('max_pairs_per_object') | int %}
{%- set repeats = var('max_repeats_per_account') | int %}
with raw as (
    -- co_share: a video shared or reposted, or a URL posted
    select 'co_share' as edge_type, 'video:' || video_id as object_id, actor_key, event_id, event_time, ts,
        {{ w }} as window_seconds, null::varchar as frequency_scope
    from {{ ref('int_events_window') }}
    where event_type in ('share', 'repost') and video_id is not null
    union all
    select 'co_share', 'url:' || {{ normalise_url('u.url') }}, actor_key, event_id, event_time, ts, {{ w }}, null
    from {{ ref('int_events_window') }}, unnest(urls) as u(url)
    where event_type in ('post', 'comment') and nullif(trim(u.url), '') is not null
    union all
    -- co_hashtag: the same combination of distinct hashtags (lower case, sorted)
    select 'co_hashtag', 'tags:' || array_to_string(tags, ' '), actor_key, event_id, event_time, ts, {{ w }}, null
    from (
        select *, list_sort(list_distinct(list_filter(
            list_transform(hashtags, lambda h: lower(ltrim(trim(h), '#'))), lambda h: h <> ''))) as tags
        from {{ ref('int_events_window') }}
        where event_type in ('post', 'comment')
    )
    where len(tags) >= {{ var('co_hashtag_min_tags') | int }}
    union all
    -- co_sound: posts using the same sound
    select 'co_sound', 'sound:' || sound_id, actor_key, event_id, event_time, ts, {{ w }}, null
    from {{ ref('int_events_window') }}
    where event_type = 'post' and sound_id is not null
    union all
    -- creation_burst: accounts active in the window (or created in it) and created at most
    -- creation_burst_lookback_days before its end (a burst of sleeper accounts may predate the
    -- window), with the same username shape; frequency counted per creation day
    select 'creation_burst', 'shape:' || a.username_shape, a.actor_key, a.actor_key, a.created_at, epoch(a.created_at),
        {{ var('creation_burst_window_seconds') }}, cast(cast(a.created_at as date) as varchar)
    from {{ ref('int_accounts_current') }} as a
    inner join {{ ref('int_actor_activity') }} as act on a.actor_key = act.actor_key
    cross join {{ ref('int_window') }} as w
    where a.username_shape is not null
        and a.created_at >= w.window_start_ts - interval ({{ var('creation_burst_lookback_days') | int }}) day
        and a.created_at < w.window_end_excl_ts
),
bucketed as (
    select *, cast(floor(ts / window_seconds) as bigint) as bucket
    from raw
),
bucket_accounts as (
    select
        edge_type, object_id, bucket, actor_key, n_actions,
        row_number() over (
            partition by edge_type, object_id, bucket order by hash(actor_key), actor_key
        ) as bucket_rank,
        count(*) over (partition by edge_type, object_id, bucket) as n_bucket_accounts
    from (select edge_type, object_id, bucket, actor_key, count(*) as n_actions from bucketed group by all)
),
with_counts as (
    select b.*, ba.n_actions, ba.bucket_rank, ba.n_bucket_accounts
    from bucketed as b
    inner join bucket_accounts as ba using (edge_type, object_id, bucket, actor_key)
),
-- co_share pairs share by share: an account's repeats in a bucket are ranked (rank_repeats)
ranked as (
    {{ rank_repeats('with_counts', 'edge_type, object_id, bucket, actor_key', 'n_actions', repeats, "edge_type = 'co_share'") }}
),
object_accounts as (
    select edge_type, object_id, frequency_scope, count(distinct actor_key) as n_object_accounts
    from raw
    group by edge_type, object_id, frequency_scope
)
select
    b.edge_type,
    b.object_id,
    b.actor_key,
    b.event_id,
    b.event_time,
    b.ts,
    b.window_seconds,
    b.bucket,
    o.n_object_accounts,
    b.n_bucket_accounts,
    b.n_bucket_accounts > {{ cap }} as is_bucket_capped,
    b.repeat_rank > {{ repeats }} as is_repeat_capped,
    b.bucket_rank <= {{ cap }}
        and not (b.edge_type = 'co_hashtag' and o.n_object_accounts > {{ var('co_hashtag_max_accounts') | int }})
        and b.repeat_rank <= {{ repeats }}
        as is_kept
from ranked as b
inner join object_accounts as o
    on b.edge_type = o.edge_type and b.object_id = o.object_id
    and b.frequency_scope is not distinct from o.frequency_scope
