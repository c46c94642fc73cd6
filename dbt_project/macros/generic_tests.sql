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
