{#-
    unique_combination(columns): no two rows share the same values of
    `columns` (a compound primary key). Rows with a null in the key count too.
-#}
{% test unique_combination(model, columns) %}
select
    {{ columns | join(', ') }},
    count(*) as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
