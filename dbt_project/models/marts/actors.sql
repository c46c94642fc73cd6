-- One row per actor known at the end of the analysis window: profile attributes (current
-- profile), behaviour in the window, infrastructure, enforcement history and indicator hits.
{%- set w_sec = var('co_action_window_seconds') %}
with w as (
    select * from {{ ref('int_window') }}
),
events as (
    select * from {{ ref('int_events_window') }}
),
event_counts as (
    select
        actor_key,
        count(*) as n_events,
        count(*) filter (where event_type = 'post') as n_posts,
        count(*) filter (where event_type = 'comment') as n_comments,
        count(*) filter (where event_type = 'like') as n_likes,
        count(*) filter (where event_type = 'share') as n_shares,
        count(*) filter (where event_type = 'repost') as n_reposts,
        count(*) filter (where event_type = 'follow') as n_follows,
        count(*) filter (where event_type = 'unfollow') as n_unfollows,
        count(distinct hour(event_time)) as active_hours,
        count(distinct cast(event_time as date)) as active_days
    from events
    group by actor_key
),
-- a share / repost is synchronised when another actor shared or reposted the same video
-- at most W seconds before or after it (window counts: no pair join)
share_actions as (
    select
        actor_key,
        count(*) over (
            partition by video_id order by ts range between {{ w_sec }} preceding and {{ w_sec }} following
        ) - count(*) over (
            partition by video_id, actor_key order by ts range between {{ w_sec }} preceding and {{ w_sec }} following
        ) as n_other_actors_nearby
    from events
    where event_type in ('share', 'repost') and video_id is not null
),
sync as (
    select
        actor_key,
        count(*) as n_share_actions,
        count(*) filter (where n_other_actors_nearby > 0) / count(*) as sync_share_ratio
    from share_actions
    group by actor_key
),
logins as (
    select
        actor_key,
        count(*) as n_login_attempts,
        count(*) filter (where success) as n_logins,
        count(distinct ip_prefix) filter (where success) as n_ip_prefixes,
        count(distinct device_key) filter (where success) as n_devices,
        count(distinct asn) filter (where success) as n_asns,
        count(*) filter (where success and is_hosting_asn) / nullif(count(*) filter (where success), 0) as hosting_login_share
    from {{ ref('int_sessions_window') }}
    group by actor_key
),
-- distinct other accounts on the same devices / prefixes; an object over its cap counts as
-- its size - 1 (a lower bound, without the quadratic join)
shared as (
    select * from {{ ref('int_shared_objects') }} where edge_type in ('shared_device', 'shared_ip_prefix')
),
shared_exact as (
    select l.actor_key, l.edge_type, count(distinct r.actor_key) as n_other
    from shared as l
    inner join shared as r
        on l.edge_type = r.edge_type and l.object_id = r.object_id and l.actor_key <> r.actor_key
    where not l.is_capped
    group by l.actor_key, l.edge_type
),
shared_capped as (
    select actor_key, edge_type, max(n_accounts) - 1 as n_other
    from shared
    where is_capped
    group by actor_key, edge_type
),
sharing as (
    select
        actor_key,
        max(n_other) filter (where edge_type = 'shared_device') as n_accounts_sharing_devices,
        max(n_other) filter (where edge_type = 'shared_ip_prefix') as n_accounts_sharing_ip_prefixes
    from (select * from shared_exact union all select * from shared_capped)
    group by actor_key
),
-- enforcement known at the window end; a reinstate cancels every earlier action on its account
-- under the same policy: the contract names no action a reinstate reverses, only its account and
-- (required) policy, so a CIB reinstate lifts the CIB actions but not an unrelated spam warning.
-- Actions after the last reinstate count again.
enforcement_known as (
    select e.*
    from {{ ref('stg_enforcement') }} as e
    cross join w
    where e.event_time < w.window_end_excl_ts
),
last_reinstate as (
    select actor_key, policy, max(event_time) as reinstated_at
    from enforcement_known
    where action = 'reinstate'
    group by actor_key, policy
),
enforcement as (
    select
        e.actor_key,
        count(*) as n_enforcement_actions,
        count(*) filter (where e.is_cib) as n_cib_enforcement_actions
    from enforcement_known as e
    left join last_reinstate as r on e.actor_key = r.actor_key and e.policy = r.policy
    where e.action <> 'reinstate' and (r.reinstated_at is null or e.event_time > r.reinstated_at)
    group by e.actor_key
),
-- threat indicators known at the window end (first_seen before window_end_excl_ts, or undated)
indicators as (
    select * from {{ ref('int_indicators_window') }}
),
posted as (
    select * from events where event_type in ('post', 'comment')
),
url_domains as (
    select p.event_id, p.actor_key, string_split({{ url_domain('u.url') }}, '.') as parts
    from posted as p, unnest(p.urls) as u(url)
),
domain_hits as (
    select d.actor_key, count(distinct d.event_id) as n_hits
    from (
        select event_id, actor_key,
            unnest(list_transform(range(1, len(parts) + 1), lambda i: array_to_string(parts[i:], '.'))) as domain
        from url_domains
    ) as d
    inner join indicators as i on i.indicator_type = 'domain' and i.value = d.domain
    group by d.actor_key
),
hashtag_hits as (
    select h.actor_key, count(distinct h.event_id) as n_hits
    from (
        select event_id, actor_key, lower(ltrim(trim(unnest(hashtags)), '#')) as hashtag from posted
    ) as h
    inner join indicators as i on i.indicator_type = 'hashtag' and i.value = h.hashtag
    group by h.actor_key
),
sound_hits as (
    select p.actor_key, count(*) as n_hits
    from posted as p
    inner join indicators as i on i.indicator_type = 'sound_id' and i.value = p.sound_id
    group by p.actor_key
),
-- successful logins from an indicator's ip_prefix: the login's /24 (IPv4) or /48 (IPv6) prefix
-- equals the indicator's canonical value or lies inside a wider indicator range (177.40.0.0/16);
-- an indicator narrower than a login prefix (a /28, a single address) cannot be placed: no hit
login_prefixes as (
    {{ ip_prefix_parse("(select distinct ip_prefix from " ~ ref('int_sessions_window') ~ " where success and ip_prefix is not null)", 'ip_prefix') }}
),
indicator_prefixes as (
    select * from indicators where indicator_type = 'ip_prefix'
),
indicator_lengths as (
    select distinct ip_version, ip_prefix_len
    from indicator_prefixes
    where ip_prefix_len <= {{ login_prefix_bits('ip_version') }}
),
login_at_indicator_lengths as (
    select p.ip_prefix, p.ip_version, l.ip_prefix_len as indicator_len,
        p.ip_net_bits >> ({{ login_prefix_bits('p.ip_version') }} - l.ip_prefix_len) as net_at_len
    from login_prefixes as p
    inner join indicator_lengths as l on l.ip_version = p.ip_version and l.ip_prefix_len <= p.ip_prefix_len
),
prefix_matches as (
    -- as written (a value the macro cannot parse matches only so)
    select p.ip_prefix
    from login_prefixes as p
    inner join indicator_prefixes as i on i.value = p.ip_prefix
    union
    -- the same or a wider range: an equi-join per indicator prefix length (a few), not a comparison of
    -- every login prefix with every indicator (two large lists would be a cross product)
    select a.ip_prefix
    from login_at_indicator_lengths as a
    inner join indicator_prefixes as i
        on i.ip_version = a.ip_version
        and i.ip_prefix_len = a.indicator_len
        and (i.ip_net_bits >> ({{ login_prefix_bits('i.ip_version') }} - i.ip_prefix_len)) = a.net_at_len
),
prefix_hits as (
    select s.actor_key, count(distinct s.session_id) as n_hits
    from {{ ref('int_sessions_window') }} as s
    inner join prefix_matches as m on s.ip_prefix = m.ip_prefix
    where s.success
    group by s.actor_key
),
indicator_accounts as (
    select value as actor_key from indicators where indicator_type = 'account_id'
)
select
    cast(k.actor_key as varchar) as actor_key,
    cast(a.created_at as timestamp) as created_at,
    cast(a.signup_country as varchar) as country,
    cast(a.language as varchar) as language,
    cast(a.is_verified as boolean) as is_verified,
    cast(case when a.actor_key is not null then a.avatar_hash is null end as boolean) as has_default_avatar,
    cast(a.username_length as integer) as username_length,
    cast(a.username_digit_run as integer) as username_digit_run,
    cast(a.username_shape as varchar) as username_shape,
    cast(a.actor_key is not null as boolean) as has_account_record,
    cast(coalesce(a.is_deleted, false) as boolean) as is_deleted,
    cast(date_diff('day', cast(a.created_at as date), w.window_end) as integer) as account_age_days,
    cast(w.window_start as date) as window_start,
    cast(w.window_end as date) as window_end,
    cast(act.first_active as timestamp) as first_active_at,
    cast(act.last_active as timestamp) as last_active_at,
    cast(coalesce(ec.n_events, 0) as bigint) as n_events,
    cast(coalesce(ec.n_posts, 0) as bigint) as n_posts,
    cast(coalesce(ec.n_comments, 0) as bigint) as n_comments,
    cast(coalesce(ec.n_likes, 0) as bigint) as n_likes,
    cast(coalesce(ec.n_shares, 0) as bigint) as n_shares,
    cast(coalesce(ec.n_reposts, 0) as bigint) as n_reposts,
    cast(coalesce(ec.n_follows, 0) as bigint) as n_follows,
    cast(coalesce(ec.n_unfollows, 0) as bigint) as n_unfollows,
    cast(coalesce(ec.active_hours, 0) as integer) as active_hours,
    cast(coalesce(ec.active_days, 0) as integer) as active_days,
    cast(coalesce(sy.n_share_actions, 0) as bigint) as n_share_actions,
    cast(coalesce(sy.sync_share_ratio, 0) as double) as sync_share_ratio,
    cast(coalesce(l.n_login_attempts, 0) as bigint) as n_login_attempts,
    cast(coalesce(l.n_logins, 0) as bigint) as n_logins,
    cast(coalesce(l.n_ip_prefixes, 0) as bigint) as n_ip_prefixes,
    cast(coalesce(l.n_devices, 0) as bigint) as n_devices,
    cast(coalesce(l.n_asns, 0) as bigint) as n_asns,
    cast(coalesce(l.hosting_login_share, 0) as double) as hosting_login_share,
    cast(coalesce(sh.n_accounts_sharing_devices, 0) as bigint) as n_accounts_sharing_devices,
    cast(coalesce(sh.n_accounts_sharing_ip_prefixes, 0) as bigint) as n_accounts_sharing_ip_prefixes,
    cast(coalesce(en.n_enforcement_actions, 0) as bigint) as n_enforcement_actions,
    cast(coalesce(en.n_cib_enforcement_actions, 0) as bigint) as n_cib_enforcement_actions,
    cast(coalesce(dh.n_hits, 0) as bigint) as n_indicator_domain_hits,
    cast(coalesce(hh.n_hits, 0) as bigint) as n_indicator_hashtag_hits,
    cast(coalesce(soh.n_hits, 0) as bigint) as n_indicator_sound_hits,
    cast(coalesce(ph.n_hits, 0) as bigint) as n_indicator_ip_prefix_hits,
    cast(ia.actor_key is not null as boolean) as is_indicator_account,
    cast(coalesce(dh.n_hits, 0) + coalesce(hh.n_hits, 0) + coalesce(soh.n_hits, 0) + coalesce(ph.n_hits, 0)
        + case when ia.actor_key is not null then 1 else 0 end as bigint) as n_indicator_hits
from {{ ref('int_actor_keys') }} as k
cross join w
left join {{ ref('int_accounts_current') }} as a on k.actor_key = a.actor_key
left join {{ ref('int_actor_activity') }} as act on k.actor_key = act.actor_key
left join event_counts as ec on k.actor_key = ec.actor_key
left join sync as sy on k.actor_key = sy.actor_key
left join logins as l on k.actor_key = l.actor_key
left join sharing as sh on k.actor_key = sh.actor_key
left join enforcement as en on k.actor_key = en.actor_key
left join domain_hits as dh on k.actor_key = dh.actor_key
left join hashtag_hits as hh on k.actor_key = hh.actor_key
left join sound_hits as soh on k.actor_key = soh.actor_key
left join prefix_hits as ph on k.actor_key = ph.actor_key
left join (select distinct actor_key from indicator_accounts) as ia on k.actor_key = ia.actor_key
