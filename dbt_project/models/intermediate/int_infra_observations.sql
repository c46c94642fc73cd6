-- Who used which device / IP prefix during the window: successful logins, plus the
-- sign-up device and prefix of accounts created in the window.
with observations as (
    select 'device' as infra_type, device_key as infra_value, actor_key, event_time as seen_at
    from {{ ref('int_sessions_window') }}
    where success and device_key is not null
    union all
    select 'ip_prefix', ip_prefix, actor_key, event_time
    from {{ ref('int_sessions_window') }}
    where success and ip_prefix is not null
    union all
    select 'device', a.signup_device_key, a.actor_key, a.created_at
    from {{ ref('int_accounts_current') }} as a
    cross join {{ ref('int_window') }} as w
    where a.signup_device_key is not null and {{ in_window('a.created_at') }}
    union all
    select 'ip_prefix', a.signup_ip_prefix, a.actor_key, a.created_at
    from {{ ref('int_accounts_current') }} as a
    cross join {{ ref('int_window') }} as w
    where a.signup_ip_prefix is not null and {{ in_window('a.created_at') }}
)
select
    infra_type,
    infra_value,
    actor_key,
    min(seen_at) as first_seen,
    max(seen_at) as last_seen,
    count(*) as n_observations,
    count(*) over (partition by infra_type, infra_value) as n_accounts
from observations
group by infra_type, infra_value, actor_key
