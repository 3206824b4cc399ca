{#-
    normalize_label(expr): the contract's normalized form of a raw label or
    reason: trimmed, lower case, inner whitespace collapsed to one space; blank
    becomes null. Used for status labels, reasons and lead attributes.
-#}
{% macro normalize_label(expr) -%}
    nullif(lower(trim(regexp_replace({{ expr }}, '\s+', ' ', 'g'))), '')
{%- endmacro %}


{#-
    blank_to_null(expr): trimmed text, with blank turned into null (ids).
-#}
{% macro blank_to_null(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}
