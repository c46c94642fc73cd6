-- The analysis window: one row. window_end is the var `window_end` when given,
-- else the latest landing partition (dt) in bronze.events (today when bronze is empty).
{%- set window_end = var('window_end', none) %}
with bounds as (
    select
        {%- if window_end %}
        cast('{{ window_end }}' as date) as window_end
        {%- else %}
        coalesce((select max(dt) from {{ source('bronze', 'events') }}), current_date) as window_end
        {%- endif %}
)
select
    cast(window_end - interval ({{ var('window_days') | int }} - 1) day as date) as window_start,
    window_end,
    cast(window_end - interval ({{ var('window_days') | int }} - 1) day as timestamp) as window_start_ts,
    -- exclusive upper bound: midnight after the last day
    cast(window_end + interval 1 day as timestamp) as window_end_excl_ts
from bounds
