-- The IDE names GitLab lists for a scope and period (aiMetrics.codeSuggestions.ideNames):
-- IDEs with at least one suggestion shown or accepted. GitLab gives no counts per IDE
-- here; counts per IDE come from instance-scope events (mart_code_suggestions_by_ide).
select
    metrics.scope_type,
    metrics.scope_path,
    metrics.period,
    cast(metrics.{{ adapter.quote('date') }} as date) as period_start,
    ide_name
from {{ source('tap_gitlab_duo', 'ai_metrics') }} as metrics
cross join {{ json_array_elements(json_field('metrics.code_suggestions', 'ide_names'), 'ide_name') }}
