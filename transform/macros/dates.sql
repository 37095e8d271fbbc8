{#- The first day of the `period` (day, week: ISO, Monday first; month) holding a date. -#}
{% macro period_start(period, date_expression) -%}
  {%- if period == 'day' -%}
  cast({{ date_expression }} as date)
  {%- elif period in ('week', 'month') -%}
  cast({{ dbt.date_trunc(period, date_expression) }} as date)
  {%- else -%}
  {{ exceptions.raise_compiler_error("period must be day, week or month, not " ~ period) }}
  {%- endif -%}
{%- endmacro %}

{#- The last day of the `period` that starts on `start_expression`. -#}
{% macro period_end(period, start_expression) -%}
  cast({{ dbt.dateadd('day', -1, dbt.dateadd(period, 1, start_expression)) }} as date)
{%- endmacro %}

{#- The periods every period-grained mart is built for. -#}
{% macro report_periods() -%}
  {{ return(['day', 'week', 'month']) }}
{%- endmacro %}

{#- The day the "current" models are computed for: var as_of_date, else the latest day
    with a Duo event in the loaded data. -#}
{% macro as_of_date() -%}
  {%- if var('as_of_date', none) -%}
  cast('{{ var("as_of_date") }}' as date)
  {%- else -%}
  (select max(event_date) from {{ ref('stg_ai_usage_events') }})
  {%- endif -%}
{%- endmacro %}

{#- One row per day from start_expression to end_expression (inclusive), column `day`. -#}
{% macro day_series(start_expression, end_expression) -%}
  {{ return(adapter.dispatch('day_series', 'gitlab_duo')(start_expression, end_expression)) }}
{%- endmacro %}

{% macro postgres__day_series(start_expression, end_expression) -%}
  select cast(generated_day as date) as day
  from generate_series(
    cast({{ start_expression }} as timestamp),
    cast({{ end_expression }} as timestamp),
    interval '1 day'
  ) as days(generated_day)
{%- endmacro %}

{% macro default__day_series(start_expression, end_expression) -%}
  select cast(date_day as date) as day
  from ({{ dbt.date_spine('day', start_expression, dbt.dateadd('day', 1, end_expression)) }}) as spine
{%- endmacro %}
