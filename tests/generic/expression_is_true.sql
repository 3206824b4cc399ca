{#-
    expression_is_true(expression, where): every row (optionally only the rows
    matching `where`) satisfies the boolean SQL `expression`; a null result
    fails. Used for the contract's row invariants.
-#}
{% test expression_is_true(model, expression, where_clause=none) %}
select *
from {{ model }}
where
    {% if where_clause %}({{ where_clause }}) and{% endif %}
    not coalesce(({{ expression }}), false)
{% endtest %}
