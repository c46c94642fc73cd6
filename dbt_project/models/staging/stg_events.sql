-- One row per event_id: an event re-delivered in several partitions keeps its latest dt.
select
    event_id,
    event_time,
    actor_key,
    event_type,
    video_id,
    target_actor_key,
    text,
    coalesce(hashtags, []::varchar[]) as hashtags,
    coalesce(mention_actor_keys, []::varchar[]) as mention_actor_keys,
    coalesce(urls, []::varchar[]) as urls,
    sound_id,
    share_channel,
    session_id,
    region_code,
    dt
from {{ source('bronze', 'events') }}
qualify row_number() over (partition by event_id order by dt desc, source_file desc, line_no desc) = 1
