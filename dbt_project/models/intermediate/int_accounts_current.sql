-- Profile per actor_key as known at the end of the analysis window: only account records with
-- event_time < window_end_excl_ts count (a historical window never sees a later profile
-- change, deletion or first record), and the latest of them by event_time wins.
-- A deleted account keeps the attributes of its last record before the deletion
-- (a deletion record may carry little profile) and is flagged is_deleted.
with known as (
    select a.*
    from {{ source('bronze', 'accounts') }} as a
    cross join {{ ref('int_window') }} as w
    where a.event_time < w.window_end_excl_ts
),
records as (
    select
        *,
        row_number() over (partition by actor_key order by event_time desc, dt desc, line_no desc) as rn_all,
        row_number() over (
            partition by actor_key
            order by (change_type = 'deleted') asc, event_time desc, dt desc, line_no desc
        ) as rn_profile
    from known
),
latest as (
    select actor_key, event_time, change_type
    from records
    where rn_all = 1
),
profile as (
    select *
    from records
    where rn_profile = 1
),
created as (
    select actor_key, min(created_at) as created_at
    from known
    group by actor_key
)
select
    p.actor_key,
    c.created_at,
    p.username_key,
    p.username_length,
    p.username_digit_run,
    p.username_shape,
    p.display_name_key,
    p.bio,
    p.email_domain,
    p.signup_country,
    p.language,
    p.is_verified,
    p.signup_ip_key,
    p.signup_ip_prefix,
    p.signup_device_key,
    p.avatar_hash,
    l.change_type = 'deleted' as is_deleted,
    case when l.change_type = 'deleted' then l.event_time end as deleted_at,
    l.event_time as last_record_at,
    l.change_type as last_change_type
from profile as p
inner join latest as l on p.actor_key = l.actor_key
inner join created as c on p.actor_key = c.actor_key
