{#- Code-suggestion volume and acceptance per scope and calendar period (day, week,
    month), broken down by `dimensions`: a list of [column name, expression] pairs over
    int_code_suggestion_events. -#}
{% macro code_suggestion_rollup(dimensions) -%}
{%- set shown = "event = 'CODE_SUGGESTION_SHOWN_IN_IDE'" -%}
{%- set accepted = "event = 'CODE_SUGGESTION_ACCEPTED_IN_IDE'" -%}
{%- set rejected = "event = 'CODE_SUGGESTION_REJECTED_IN_IDE'" -%}
{% for period in report_periods() %}
{% if not loop.first %}union all{% endif %}
select
    scope_type,
    scope_path,
    '{{ period }}' as period,
    {{ period_start(period, 'event_date') }} as period_start,
    {% for name, expression in dimensions %}
    {{ expression }} as {{ name }},
    {% endfor %}
    count(case when {{ shown }} then 1 end) as suggestions_shown,
    count(case when {{ accepted }} then 1 end) as suggestions_accepted,
    count(case when {{ rejected }} then 1 end) as suggestions_rejected,
    {{ ratio("count(case when " ~ accepted ~ " then 1 end)",
             "count(case when " ~ shown ~ " then 1 end)") }} as acceptance_rate,
    cast(coalesce(sum(case when {{ shown }} then suggestion_lines end), 0) as {{ dbt.type_bigint() }}) as shown_lines,
    cast(coalesce(sum(case when {{ accepted }} then suggestion_lines end), 0) as {{ dbt.type_bigint() }}) as accepted_lines,
    count(distinct case when {{ shown }} or {{ accepted }} then user_id end) as suggestion_users
from {{ ref('int_code_suggestion_events') }}
group by 1, 2, 3, 4{% for _ in dimensions %}, {{ 4 + loop.index }}{% endfor %}
{% endfor %}
{%- endmacro %}
