-- Every actor known at the end of the window: accounts created by then, plus any actor key
-- seen in the window only in events (acting, targeted, mentioned), logins or enforcement.
select a.actor_key
from {{ ref('int_accounts_current') }} as a
cross join {{ ref('int_window') }} as w
where a.created_at < w.window_end_excl_ts
union
select actor_key from {{ ref('int_events_window') }}
union
select target_actor_key from {{ ref('int_events_window') }} where target_actor_key is not null
union
select mentioned from (select unnest(mention_actor_keys) as mentioned from {{ ref('int_events_window') }}) where mentioned is not null
union
select actor_key from {{ ref('int_sessions_window') }}
union
select e.actor_key
from {{ ref('stg_enforcement') }} as e
cross join {{ ref('int_window') }} as w
where {{ in_window('e.event_time') }}
