{#- IP prefixes (CIDR) in plain DuckDB SQL (no extension is loaded at run time).

    ip_prefix_parse(relation, col): a select over `relation` (a table or a parenthesised query)
    with all its columns plus
      ip_version           4 or 6; null when `col` is no IPv4 / IPv6 address or CIDR
      ip_prefix_len        the prefix length (32 / 128 for a bare address)
      ip_net_bits          the network's leading 24 (IPv4) / 48 (IPv6) bits, host bits zeroed: the
                           part a login's /24 or /48 prefix (bronze.sessions.ip_prefix) carries
      ip_prefix_canonical  the network in Python's ipaddress form: lower case, host bits zeroed,
                           IPv6 compressed as RFC 5952 (the longest, then leftmost, run of two or
                           more zero groups becomes '::'); null when not parseable. IPv6 with an
                           embedded dotted IPv4 part is not parsed; IPv4 octets with leading zeros
                           are read as decimal.
    One nested select per step: DuckDB expands a reused select-list alias into its expression,
    and the steps reuse each other many times over. -#}
{% macro ip_prefix_parse(relation, col) -%}
{%- set helpers = ['_ipp_raw', '_ipp_addr', '_ipp_len', '_ipp_v4_shape', '_ipp_left', '_ipp_right', '_ipp_v4_octets',
                   '_ipp_v6_shape', '_ipp_is_v4', '_ipp_v6_groups', '_ipp_v4_net', '_ipp_is_v6', '_ipp_v6_net',
                   '_ipp_v6_full', '_ipp_v6_compressed', '_ipp_v6_lead'] -%}
select * exclude ({{ helpers | join(', ') }}),
    case when _ipp_is_v4 then 4 when _ipp_is_v6 then 6 end as ip_version,
    case when _ipp_is_v4 or _ipp_is_v6 then _ipp_len end as ip_prefix_len,
    case
        when _ipp_is_v4 then _ipp_v4_net >> 8
        when _ipp_is_v6 then (_ipp_v6_net[1] << 32) | (_ipp_v6_net[2] << 16) | _ipp_v6_net[3]
    end as ip_net_bits,
    case
        when _ipp_is_v4 then
            array_to_string([_ipp_v4_net >> 24, (_ipp_v4_net >> 16) & 255, (_ipp_v4_net >> 8) & 255, _ipp_v4_net & 255], '.')
            || '/' || _ipp_len
        when _ipp_is_v6 then
            (case when ends_with(_ipp_v6_lead, '::') then _ipp_v6_lead else _ipp_v6_lead[:-2] end) || '/' || _ipp_len
    end as ip_prefix_canonical
from (
select *,
    case when _ipp_is_v6 then
        case when starts_with(_ipp_v6_compressed, '::') then _ipp_v6_compressed else _ipp_v6_compressed[2:] end
    end as _ipp_v6_lead
from (
select *,
    case
        when not _ipp_is_v6 then null
        {%- for k in range(8, 1, -1) %}
        when contains(_ipp_v6_full, '{{ ":0" * k }}:') then regexp_replace(_ipp_v6_full, '{{ ":0" * k }}:', '::')
        {%- endfor %}
        else _ipp_v6_full
    end as _ipp_v6_compressed
from (
select *,
    case when _ipp_is_v6 then
        ':' || array_to_string(list_transform(_ipp_v6_net, lambda v: format('{:x}', v)), ':') || ':'
    end as _ipp_v6_full
from (
select *,
    case when _ipp_is_v4 then
        (((_ipp_v4_octets[1] << 24) | (_ipp_v4_octets[2] << 16) | (_ipp_v4_octets[3] << 8) | _ipp_v4_octets[4]) >> (32 - _ipp_len))
            << (32 - _ipp_len)
    end as _ipp_v4_net,
    case when _ipp_is_v6 then
        list_transform(_ipp_v6_groups, lambda g, i:
            (try_cast('0x' || g as bigint) >> (16 - greatest(0, least(16, _ipp_len - (i - 1) * 16))))
                << (16 - greatest(0, least(16, _ipp_len - (i - 1) * 16))))
    end as _ipp_v6_net
from (
select *,
    _ipp_v6_shape and len(_ipp_v6_groups) = 8
        and list_bool_and(list_transform(_ipp_v6_groups, lambda g: regexp_full_match(g, '[0-9a-f]{1,4}')))
        and _ipp_len between 0 and 128 as _ipp_is_v6
from (
select *,
    _ipp_v4_shape and list_max(_ipp_v4_octets) <= 255 and _ipp_len between 0 and 32 as _ipp_is_v4,
    case when _ipp_v6_shape then
        case when contains(_ipp_addr, '::') then
            list_concat(_ipp_left, list_transform(range(greatest(0, 8 - len(_ipp_left) - len(_ipp_right))), lambda i: '0'), _ipp_right)
        else string_split(_ipp_addr, ':')
        end
    end as _ipp_v6_groups
from (
select *,
    case when _ipp_v4_shape then list_transform(string_split(_ipp_addr, '.'), lambda o: try_cast(o as bigint)) end as _ipp_v4_octets,
    regexp_full_match(_ipp_raw, '[0-9a-f:]*:[0-9a-f:]*(/\d{1,3})?')
        and length(_ipp_addr) - length(replace(_ipp_addr, '::', '')) <= 2 as _ipp_v6_shape,
    case when split_part(_ipp_addr, '::', 1) = '' then []::varchar[] else string_split(split_part(_ipp_addr, '::', 1), ':') end as _ipp_left,
    case when split_part(_ipp_addr, '::', 2) = '' then []::varchar[] else string_split(split_part(_ipp_addr, '::', 2), ':') end as _ipp_right
from (
select *,
    split_part(_ipp_raw, '/', 1) as _ipp_addr,
    -- the length given after '/', else the whole address (32 or 128 bits); -1 when not a number
    case
        when contains(_ipp_raw, '/') then coalesce(try_cast(split_part(_ipp_raw, '/', 2) as integer), -1)
        when contains(_ipp_raw, ':') then 128
        else 32
    end as _ipp_len,
    regexp_full_match(_ipp_raw, '\d{1,3}(\.\d{1,3}){3}(/\d{1,2})?') as _ipp_v4_shape
from (
select *, lower(trim({{ col }})) as _ipp_raw
from {{ relation }} as _ipp_input
)))))))))
{%- endmacro %}

{#- The width in bits of a login's prefix (bronze.sessions.ip_prefix): /24 for IPv4, /48 for IPv6. -#}
{% macro login_prefix_bits(version) -%}
    (case {{ version }} when 4 then 24 when 6 then 48 end)
{%- endmacro %}
