-- Duo events and distinct users per scope, calendar period (day, week, month) and feature
-- (chat, code review, troubleshoot, agent platform, code suggestions, MCP, ...).
{% for period in report_periods() %}
{% if not loop.first %}union all{% endif %}
select
    scope_type,
    scope_path,
    '{{ period }}' as period,
    {{ period_start(period, 'event_date') }} as period_start,
    feature,
    feature_label,
    count(*) as event_count,
    count(distinct user_id) as active_users
from {{ ref('int_duo_events') }}
group by 1, 2, 3, 4, 5, 6
{% endfor %}
