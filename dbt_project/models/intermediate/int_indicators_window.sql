-- Threat indicators known at the end of the analysis window, one row per (indicator_type,
-- normalised value): records first seen before window_end_excl_ts (the rule enforcement follows),
-- or with no first_seen (the contract makes it optional; an undated record counts in every
-- window). Among them the most confident record wins, then the latest first_seen.
select i.indicator_type, i.value, i.threat_actor, i.source, i.confidence, i.first_seen, i.ip_version, i.ip_prefix_len, i.ip_net_bits
from {{ ref('stg_indicators') }} as i
cross join {{ ref('int_window') }} as w
where i.first_seen is null or i.first_seen < w.window_end_excl_ts
qualify row_number() over (
    partition by i.indicator_type, i.value
    order by i.confidence desc nulls last, i.first_seen desc nulls last, i.source_file desc, i.line_no desc
) = 1
