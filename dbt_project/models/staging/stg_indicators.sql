-- One row per (indicator_type, normalised value); the most confident record wins.
with normalised as (
    select
        indicator_type,
        case
            when indicator_type = 'domain' then regexp_replace(lower(trim(value)), '^www\.', '')
            when indicator_type = 'hashtag' then lower(ltrim(trim(value), '#'))
            else trim(value)
        end as value,
        threat_actor,
        source,
        confidence,
        first_seen,
        line_no
    from {{ source('bronze', 'indicators') }}
)
select indicator_type, value, threat_actor, source, confidence, first_seen
from normalised
qualify row_number() over (
    partition by indicator_type, value
    order by confidence desc nulls last, first_seen desc nulls last, line_no desc
) = 1
