-- First and last moment each actor was active in the window (own events, login attempts, creation).
with activity as (
    select actor_key, event_time from {{ ref('int_events_window') }}
    union all
    select actor_key, event_time from {{ ref('int_sessions_window') }}
    union all
    select a.actor_key, a.created_at
    from {{ ref('int_accounts_current') }} as a
    cross join {{ ref('int_window') }} as w
    where {{ in_window('a.created_at') }}
)
select actor_key, min(event_time) as first_active, max(event_time) as last_active
from activity
group by actor_key
