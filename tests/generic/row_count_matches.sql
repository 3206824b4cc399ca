{#-
    row_count_matches(compare_model, compare_where): the model has as many rows
    as compare_model (filtered by compare_where): a join did not fan out or
    drop rows.
-#}
{% test row_count_matches(model, compare_model, compare_where=none) %}
with

model_rows as (
    select count(*) as row_count from {{ model }}
),

compare_rows as (
    select count(*) as row_count
    from {{ compare_model }}
    {% if compare_where %}where {{ compare_where }}{% endif %}
)

select
    model_rows.row_count as model_row_count,
    compare_rows.row_count as compare_row_count
from model_rows
cross join compare_rows
where model_rows.row_count != compare_rows.row_count
{% endtest %}
