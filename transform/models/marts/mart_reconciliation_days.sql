-- One row per group or project scope and day compared in mart_reconciliation_daily: how
-- many metrics were compared and which disagree. `disagrees` flags the day.
select
    scope_type,
    scope_path,
    metric_date,
    count(*) as metrics_compared,
    count(case when not agrees then 1 end) as metrics_disagreeing,
    count(case when not agrees then 1 end) > 0 as disagrees,
    max(case when aggregate_source = 'ai_user_metrics' and metric = 'total_event_count'
             then raw_value end) as raw_events,
    max(case when aggregate_source = 'ai_user_metrics' and metric = 'total_event_count'
             then aggregate_value end) as aggregate_events,
    {{ dbt.listagg(
        "case when not agrees then aggregate_source || '.' || metric end",
        "', '",
        "order by aggregate_source, metric") }} as disagreeing_metrics
from {{ ref('mart_reconciliation_daily') }}
group by scope_type, scope_path, metric_date
