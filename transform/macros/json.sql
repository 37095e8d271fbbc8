{#- JSON access, dispatched per adapter. target-postgres stores nested objects as jsonb. -#}

{#- The text value at `path` (a key or a list of keys) of a JSON column, or null. -#}
{% macro json_text(column, path) -%}
  {{ return(adapter.dispatch('json_text', 'gitlab_duo')(column, path)) }}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
  {%- set keys = [path] if path is string else path -%}
  json_extract_path_text({{ column }}, {% for key in keys %}'{{ key }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{% macro postgres__json_text(column, path) -%}
  {%- set keys = [path] if path is string else path -%}
  ({{ column }} #>> '{ {{- keys | join(',') -}} }')
{%- endmacro %}

{#- The integer at `path`, or null when it is missing or not an integer. -#}
{% macro json_integer(column, path) -%}
  {{ safe_integer(json_text(column, path)) }}
{%- endmacro %}

{#- The number at `path` as a float, or null. -#}
{% macro json_number(column, path) -%}
  {{ return(adapter.dispatch('json_number', 'gitlab_duo')(column, path)) }}
{%- endmacro %}

{% macro default__json_number(column, path) -%}
  {{ dbt.safe_cast(json_text(column, path), dbt.type_float()) }}
{%- endmacro %}

{% macro postgres__json_number(column, path) -%}
  (case when {{ json_text(column, path) }} ~ '^\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$'
        then cast({{ json_text(column, path) }} as double precision) end)
{%- endmacro %}

{#- A FROM-clause item that turns each element of a JSON array column into a row with
    one column `alias`: text for `kind='text'`, JSON objects for `kind='object'`. -#}
{% macro json_array_elements(column, alias, kind='text') -%}
  {{ return(adapter.dispatch('json_array_elements', 'gitlab_duo')(column, alias, kind)) }}
{%- endmacro %}

{% macro postgres__json_array_elements(column, alias, kind='text') -%}
  {%- if kind == 'text' -%}
  lateral jsonb_array_elements_text(
    case when jsonb_typeof({{ column }}) = 'array' then {{ column }} else '[]'::jsonb end
  ) as {{ alias }}_elements({{ alias }})
  {%- else -%}
  lateral jsonb_array_elements(
    case when jsonb_typeof({{ column }}) = 'array' then {{ column }} else '[]'::jsonb end
  ) as {{ alias }}_elements({{ alias }})
  {%- endif -%}
{%- endmacro %}

{% macro default__json_array_elements(column, alias, kind='text') -%}
  {{ exceptions.raise_compiler_error(
      "json_array_elements has no implementation for adapter " ~ adapter.type()
      ~ ": add one in macros/json.sql") }}
{%- endmacro %}

{#- The JSON value (not text) under `key` of a JSON column, or null. -#}
{% macro json_field(column, key) -%}
  {{ return(adapter.dispatch('json_field', 'gitlab_duo')(column, key)) }}
{%- endmacro %}

{% macro postgres__json_field(column, key) -%}
  ({{ column }} -> '{{ key }}')
{%- endmacro %}

{% macro default__json_field(column, key) -%}
  json_extract_path({{ column }}, '{{ key }}')
{%- endmacro %}
