-- Agent-platform flows per scope, period and flow type, as GitLab aggregates them:
-- sessions created, their users, the share of sessions that finished and the median
-- seconds from start to finish.
select
    scope_type,
    scope_path,
    period,
    period_start,
    flow_type,
    sessions_count,
    users_count,
    completion_rate,
    median_execution_seconds
from {{ ref('stg_ai_metrics_flows') }}
where flow_type is not null
