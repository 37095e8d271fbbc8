-- One row per scope and calendar period (day, week, month) covered by int_scope_days.
-- A period is complete when it ends before the as-of day (the as-of day itself may
-- still be receiving events).
{% for period in report_periods() %}
{% if not loop.first %}union all{% endif %}
select distinct
    scope_type,
    scope_path,
    '{{ period }}' as period,
    {{ period_start(period, 'day') }} as period_start,
    {{ period_end(period, period_start(period, 'day')) }} as period_end,
    {{ period_end(period, period_start(period, 'day')) }} < {{ as_of_date() }} as is_complete
from {{ ref('int_scope_days') }}
{% endfor %}
