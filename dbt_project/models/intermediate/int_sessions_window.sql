-- Deduplicated login attempts whose event_time falls in the analysis window,
-- with the hosting flag of their ASN (seed hosting_asns).
select
    s.*,
    h.asn is not null as is_hosting_asn
from {{ ref('stg_sessions') }} as s
cross join {{ ref('int_window') }} as w
left join {{ ref('hosting_asns') }} as h on s.asn = h.asn
where {{ in_window('s.event_time') }}
