-- One row per session_id (latest dt wins).
select
    session_id,
    event_time,
    actor_key,
    ip_key,
    ip_prefix,
    ip_version,
    asn,
    ip_country,
    device_key,
    user_agent,
    login_method,
    success,
    dt
from {{ source('bronze', 'sessions') }}
qualify row_number() over (partition by session_id order by dt desc, source_file desc, line_no desc) = 1
