-- The analysis window: one row. window_end is the var `window_end` when given, else the newest
-- day ingested: the latest dt in any partitioned bronze source (accounts, events, sessions,
-- enforcement) or in the ingest log (bronze.ingest_files). A day whose rows were all quarantined,
-- or whose events were rewritten empty by a bad re-delivery, is still the newest ingested day:
-- the window keeps ending on it (so the window gates see it) instead of moving back in time.
-- Today when nothing was ingested.
{%- set window_end = var('window_end', none) %}
{%- set partitioned = ['accounts', 'events', 'sessions', 'enforcement'] %}
with ingested_days as (
    {%- for s in partitioned %}
    select max(dt) as dt from {{ source('bronze', s) }}
    union all
    {%- endfor %}
    select max(dt) as dt
    from {{ source('bronze', 'ingest_files') }}
    where dt is not null and source in ({% for s in partitioned %}'{{ s }}'{{ ', ' if not loop.last }}{% endfor %})
),
bounds as (
    select
        {%- if window_end %}
        cast('{{ window_end }}' as date) as window_end
        {%- else %}
        coalesce((select max(dt) from ingested_days), current_date) as window_end
        {%- endif %}
)
select
    cast(window_end - interval ({{ var('window_days') | int }} - 1) day as date) as window_start,
    window_end,
    cast(window_end - interval ({{ var('window_days') | int }} - 1) day as timestamp) as window_start_ts,
    -- exclusive upper bound: midnight after the last day
    cast(window_end + interval 1 day as timestamp) as window_end_excl_ts
from bounds
