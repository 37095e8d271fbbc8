-- GitLab's aggregate event counters (aiMetrics), one row per scope, period and event:
-- the nested counters of ai_metrics unpivoted by the list in macros/metric_fields.sql.
{% for object, field, event in ai_metrics_event_counters() %}
select
    scope_type,
    scope_path,
    period,
    cast({{ adapter.quote('date') }} as date) as period_start,
    '{{ object }}' as metric_object,
    '{{ field }}' as metric_field,
    '{{ event }}' as event,
    {{ json_integer(object, field) }} as event_count
from {{ source('tap_gitlab_duo', 'ai_metrics') }}
where {{ json_integer(object, field) }} is not null
{% if not loop.last %}union all{% endif %}
{% endfor %}
