-- One row per action_id (latest dt wins).
select
    action_id,
    event_time,
    actor_key,
    action,
    policy,
    source,
    campaign_label,
    policy = 'coordinated_inauthentic_behavior' as is_cib,
    dt
from {{ source('bronze', 'enforcement') }}
qualify row_number() over (partition by action_id order by dt desc, source_file desc, line_no desc) = 1
