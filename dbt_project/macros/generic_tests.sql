{#- Generic tests (dbt_utils is not available offline). Each returns the failing rows. -#}

{% test positive(model, column_name) %}
select * from {{ model }} where {{ column_name }} is null or {{ column_name }} <= 0
{% endtest %}

{% test between(model, column_name, min_value, max_value) %}
select * from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}

{% test unique_combination(model, combination) %}
select {{ combination | join(', ') }}, count(*) as n
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}

{% test columns_differ(model, column_name, other_column) %}
select * from {{ model }} where {{ column_name }} = {{ other_column }}
{% endtest %}

{#- first_seen <= last_seen, both inside the analysis window, and the window columns are the window's.
    A generic test (not a singular one reading two models) so Dagster shows it as a check of its model. -#}
{% test times_in_window(model) %}
select e.*
from {{ model }} as e
cross join {{ ref('int_window') }} as w
where e.first_seen > e.last_seen
    or e.first_seen < w.window_start_ts
    or e.last_seen >= w.window_end_excl_ts
    or e.window_start <> w.window_start
    or e.window_end <> w.window_end
{% endtest %}
