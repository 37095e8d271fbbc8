-- The IDEs GitLab's aggregates list for a group or project scope and period: IDEs with at
-- least one suggestion shown or accepted (no counts).
select distinct
    scope_type,
    scope_path,
    period,
    period_start,
    ide_name
from {{ ref('stg_ai_metrics_ide_names') }}
where ide_name is not null
