{#- The edge types of actor_edges (single source for accepted_values tests and reporting). -#}
{% macro directed_edge_types() -%}
    {{ return(['follow', 'like', 'comment', 'share', 'repost', 'mention']) }}
{%- endmacro %}

{% macro undirected_edge_types() -%}
    {{ return(['co_share', 'co_hashtag', 'co_sound', 'co_text', 'shared_device', 'shared_ip_prefix', 'shared_avatar', 'creation_burst']) }}
{%- endmacro %}

{% macro edge_types() -%}
    {{ return(directed_edge_types() + undirected_edge_types()) }}
{%- endmacro %}
