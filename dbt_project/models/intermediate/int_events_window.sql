-- Deduplicated events whose event_time falls in the analysis window.
select
    e.*,
    epoch(e.event_time) as ts
from {{ ref('stg_events') }} as e
cross join {{ ref('int_window') }} as w
where {{ in_window('e.event_time') }}
