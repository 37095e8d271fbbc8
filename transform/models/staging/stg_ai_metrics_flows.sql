-- GitLab's agent-platform flow metrics (aiMetrics.agentPlatform.flowMetrics), one row per
-- scope, period and flow type.
select
    metrics.scope_type,
    metrics.scope_path,
    metrics.period,
    cast(metrics.{{ adapter.quote('date') }} as date) as period_start,
    {{ json_text('flow', 'flow_type') }} as flow_type,
    {{ json_integer('flow', 'sessions_count') }} as sessions_count,
    {{ json_integer('flow', 'users_count') }} as users_count,
    {{ json_number('flow', 'completion_rate') }} as completion_rate,
    {{ json_number('flow', 'median_execution_time') }} as median_execution_seconds
from {{ source('tap_gitlab_duo', 'ai_metrics') }} as metrics
cross join {{ json_array_elements(json_field('metrics.agent_platform', 'flow_metrics'), 'flow', kind='object') }}
