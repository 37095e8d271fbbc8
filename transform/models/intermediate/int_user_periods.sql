-- One row per scope, calendar period (day, week, month) and user active in it.
{% for period in report_periods() %}
{% if not loop.first %}union all{% endif %}
select
    scope_type,
    scope_path,
    '{{ period }}' as period,
    {{ period_start(period, 'activity_date') }} as period_start,
    user_id,
    count(*) as active_days,
    cast(sum(event_count) as {{ dbt.type_bigint() }}) as event_count
from {{ ref('int_user_days') }}
group by 1, 2, 3, 4, 5
{% endfor %}
