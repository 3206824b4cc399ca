{#-
    spark__load_csv_rows(model, agate_table): dbt's seed loader on Spark,
    with every value written as an escaped SQL literal. dbt-spark's own one
    hands values to the session as parameters that are pasted in unescaped,
    so a value with a quote (the holidays' names, the issue descriptions)
    breaks the insert (docs/engines.md, "Spark"). Empty cells stay null.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {% set column_override = model['config'].get('column_types', {}) %}
    {% set statements = [] %}
    {% for chunk in agate_table.rows | batch(get_batch_size()) %}
        {% set rows = [] %}
        {% for row in chunk %}
            {% set values = [] %}
            {% for col_name in agate_table.column_names %}
                {% set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) %}
                {% set value = row[loop.index0] %}
                {% if value is none %}
                    {% do values.append('cast(null as ' ~ type ~ ')') %}
                {% else %}
                    {% set text = (value | string | lower) if value is sameas true or value is sameas false
                        else value | string %}
                    {% do values.append("cast('" ~ text | replace('\\', '\\\\') | replace("'", "\\'")
                        ~ "' as " ~ type ~ ")") %}
                {% endif %}
            {% endfor %}
            {% do rows.append('(' ~ values | join(', ') ~ ')') %}
        {% endfor %}
        {% set sql = 'insert into ' ~ this.render() ~ ' values ' ~ rows | join(', ') %}
        {% do adapter.add_query(sql, abridge_sql_log=True) %}
        {% if loop.index0 == 0 %}{% do statements.append(sql) %}{% endif %}
    {% endfor %}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
