-- Threat indicator records with normalised values, one row per record of bronze.indicators
-- (int_indicators_window keeps those known by the end of the window, one per type and value).
-- domain: lower case, without www.; hashtag: lower case, without '#'; ip_prefix: canonical CIDR
-- (lower case, host bits zeroed, IPv6 compressed: the form of bronze.sessions.ip_prefix), with
-- ip_version / ip_prefix_len / ip_net_bits for matching logins inside a wider range; a value that
-- is no CIDR stays as given (trimmed, lower case) and matches only by equality.
with parsed as (
    {{ ip_prefix_parse(source('bronze', 'indicators'), "case when indicator_type = 'ip_prefix' then value end") }}
)
select
    indicator_type,
    case
        when indicator_type = 'domain' then regexp_replace(lower(trim(value)), '^www\.', '')
        when indicator_type = 'hashtag' then lower(ltrim(trim(value), '#'))
        when indicator_type = 'ip_prefix' then coalesce(ip_prefix_canonical, lower(trim(value)))
        else trim(value)
    end as value,
    threat_actor,
    source,
    confidence,
    first_seen,
    ip_version,
    ip_prefix_len,
    ip_net_bits,
    source_file,
    line_no
from parsed
