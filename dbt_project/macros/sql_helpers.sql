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

{#- The published edge columns (actor_edges and evidence_edges share them), from edges `e`
    (src_actor_key, dst_actor_key, edge_type, is_directed, weight, evidence_count, first_seen,
    last_seen) and the window row `w`. -#}
{% macro typed_edge_columns(e='e', w='w') -%}
    cast({{ e }}.src_actor_key as varchar) as src_actor_key,
    cast({{ e }}.dst_actor_key as varchar) as dst_actor_key,
    cast({{ e }}.edge_type as varchar) as edge_type,
    cast({{ e }}.is_directed as boolean) as is_directed,
    -- rounded: parallel float sums differ in the last bits from run to run; published rows must not
    cast(round({{ e }}.weight, 9) as double) as weight,
    cast({{ e }}.evidence_count as bigint) as evidence_count,
    cast({{ e }}.first_seen as timestamp) as first_seen,
    cast({{ e }}.last_seen as timestamp) as last_seen,
    cast({{ w }}.window_start as date) as window_start,
    cast({{ w }}.window_end as date) as window_end
{%- endmacro %}

{#- `dbt run-operation duckdb_memory_limit`: the memory limit the profile gave DuckDB (a test reads it). -#}
{% macro duckdb_memory_limit() %}
    {% set limit = run_query("select current_setting('memory_limit')").columns[0].values()[0] %}
    {{ log("duckdb memory_limit: " ~ limit, info=True) }}
{% endmacro %}

{#- `relation` with repeat_rank: an account's rank among its own rows of one group (`partition_by`),
    earliest first. `n_in_group` counts those rows: only groups with more than `repeats` of them
    (where it matters, and rare) are ranked; a window over every row costs GBs. -#}
{% macro rank_repeats(relation, partition_by, n_in_group, repeats, applies='true') -%}
    select *, 1 as repeat_rank from {{ relation }}
    where not ({{ applies }}) or {{ n_in_group }} <= {{ repeats }}
    union all
    select *, row_number() over (partition by {{ partition_by }} order by ts, event_id) from {{ relation }}
    where ({{ applies }}) and {{ n_in_group }} > {{ repeats }}
{%- endmacro %}
