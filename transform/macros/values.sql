{#- An integer from text, or null when the text is not an integer. GitLab sends
    suggestion sizes as strings. -#}
{% macro safe_integer(expression) -%}
  {{ return(adapter.dispatch('safe_integer', 'gitlab_duo')(expression)) }}
{%- endmacro %}

{% macro default__safe_integer(expression) -%}
  {{ dbt.safe_cast(expression, dbt.type_bigint()) }}
{%- endmacro %}

{% macro postgres__safe_integer(expression) -%}
  (case when {{ expression }} ~ '^\s*-?[0-9]{1,18}\s*$' then cast({{ expression }} as bigint) end)
{%- endmacro %}

{#- numerator / denominator as a float, null when the denominator is 0 or null. -#}
{% macro ratio(numerator, denominator) -%}
  (cast({{ numerator }} as {{ dbt.type_float() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}

{#- How far a raw count may be from GitLab's aggregate `aggregate` before the
    reconciliation flags it (vars reconciliation_tolerance_abs and _pct). -#}
{% macro reconciliation_allowed_difference(aggregate) -%}
  greatest(
    cast({{ var('reconciliation_tolerance_abs', 0) }} as {{ dbt.type_float() }}),
    cast({{ var('reconciliation_tolerance_pct', 0) }} as {{ dbt.type_float() }}) / 100 * abs({{ aggregate }})
  )
{%- endmacro %}
