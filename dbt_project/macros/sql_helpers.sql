{#- Window predicates: join {{ ref('int_window') }} as w, then filter with in_window('col'). -#}
{% macro in_window(column, alias='w') -%}
    ({{ column }} >= {{ alias }}.window_start_ts and {{ column }} < {{ alias }}.window_end_excl_ts)
{%- endmacro %}

{#- Inverse-frequency discount of an object used by n accounts (n >= 2 for any pair). -#}
{% macro idf_weight(n_accounts) -%}
    (1.0 / ln(1.0 + greatest({{ n_accounts }}, 2)))
{%- endmacro %}

{#- Normalised form of a URL used as a co-sharing object: lower case, without scheme, www., fragment and trailing slash. -#}
{% macro normalise_url(url) -%}
    rtrim(regexp_replace(regexp_replace(lower(trim({{ url }})), '#.*$', ''), '^(https?://)?(www\.)?', ''), '/')
{%- endmacro %}

{#- Host of a URL, lower case, without www. and port. -#}
{% macro url_domain(url) -%}
    regexp_replace(lower(regexp_extract(trim({{ url }}), '^(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^@/?#]*@)?([^/:?#]+)', 1)), '^www\.', '')
{%- endmacro %}
