-- Raw events against GitLab's own aggregates, per group or project scope, day and metric.
-- Only days with a day row of ai_metrics or ai_user_metrics are compared (the instance
-- scope has no aggregates). A metric disagrees when
-- |raw - aggregate| > max(reconciliation_tolerance_abs,
--                         reconciliation_tolerance_pct / 100 * |aggregate|).
-- Metrics (aggregate_source.metric):
--   ai_metrics.events:<EVENT>                 an event counter vs raw ai_usage_events rows
--   ai_metrics.users:duo_used_count           distinct users with any event
--   ai_metrics.users:duo_chat_contributors_count   distinct users with a chat request
--   ai_metrics.users:root_cause_analysis_users_count  distinct users troubleshooting a job
--   ai_metrics.code_suggestion_events:<field> shown/accepted counts, users and lines of
--                                             code_suggestion_events rows
--   ai_user_metrics.total_event_count         sum over users vs raw ai_usage_events rows
--   ai_user_metrics.users                     named users with a row vs distinct raw users
--   ai_user_metrics.<feature>_event_count     a feature's total vs raw events of the feature
{%- set shown = "event = 'CODE_SUGGESTION_SHOWN_IN_IDE'" -%}
{%- set accepted = "event = 'CODE_SUGGESTION_ACCEPTED_IN_IDE'" %}
with aggregate_days as (
    select scope_type, scope_path, period_start as metric_date
    from {{ ref('stg_ai_metrics') }}
    where period = 'day'
    union
    select scope_type, scope_path, period_start as metric_date
    from {{ ref('stg_ai_user_metrics') }}
    where period = 'day'
),

raw_events as (
    select
        scope_type, scope_path, event_date,
        count(*) as event_count,
        count(distinct user_id) as users,
        count(distinct case when event = 'REQUEST_DUO_CHAT_RESPONSE' then user_id end) as chat_users,
        count(distinct case when event = 'TROUBLESHOOT_JOB' then user_id end) as troubleshoot_users
    from {{ ref('int_duo_events') }}
    group by scope_type, scope_path, event_date
),

raw_event_counts as (
    select scope_type, scope_path, event_date, event, count(*) as event_count
    from {{ ref('int_duo_events') }}
    group by scope_type, scope_path, event_date, event
),

raw_feature_counts as (
    select scope_type, scope_path, event_date, feature, count(*) as event_count
    from {{ ref('int_duo_events') }}
    group by scope_type, scope_path, event_date, feature
),

raw_suggestions as (
    select
        scope_type, scope_path, event_date,
        count(case when {{ shown }} then 1 end) as shown_count,
        count(case when {{ accepted }} then 1 end) as accepted_count,
        count(distinct case when {{ shown }} or {{ accepted }} then user_id end) as contributors_count,
        coalesce(sum(case when {{ shown }} then suggestion_lines end), 0) as shown_lines_of_code,
        coalesce(sum(case when {{ accepted }} then suggestion_lines end), 0) as accepted_lines_of_code
    from {{ ref('stg_code_suggestion_events') }}
    group by scope_type, scope_path, event_date
),

user_metrics as (
    select
        scope_type, scope_path, period_start as metric_date,
        sum(total_event_count) as total_event_count,
        count(case when user_id <> 0 then 1 end) as users,
        {% for feature in ai_user_metrics_features() %}
        sum({{ feature }}_event_count) as {{ feature }}_event_count{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ ref('stg_ai_user_metrics') }}
    where period = 'day'
    group by scope_type, scope_path, period_start
),

day_metrics as (
    select * from {{ ref('stg_ai_metrics') }} where period = 'day'
),

comparisons as (
    -- ai_metrics event counters
    select
        counts.scope_type, counts.scope_path, counts.period_start as metric_date,
        'ai_metrics' as aggregate_source,
        'events:' || counts.event as metric,
        coalesce(raw.event_count, 0) as raw_value,
        counts.event_count as aggregate_value
    from {{ ref('stg_ai_metrics_event_counts') }} as counts
    left join raw_event_counts as raw
        on raw.scope_type = counts.scope_type
        and raw.scope_path = counts.scope_path
        and raw.event_date = counts.period_start
        and raw.event = counts.event
    where counts.period = 'day'

    {% for metric, raw_column, aggregate_column in [
        ['users:duo_used_count', 'raw.users', 'metrics.duo_used_count'],
        ['users:duo_chat_contributors_count', 'raw.chat_users', 'metrics.duo_chat_contributors_count'],
        ['users:root_cause_analysis_users_count', 'raw.troubleshoot_users', 'metrics.root_cause_analysis_users_count'],
    ] %}
    union all
    select
        metrics.scope_type, metrics.scope_path, metrics.period_start,
        'ai_metrics', '{{ metric }}',
        coalesce({{ raw_column }}, 0), {{ aggregate_column }}
    from day_metrics as metrics
    left join raw_events as raw
        on raw.scope_type = metrics.scope_type
        and raw.scope_path = metrics.scope_path
        and raw.event_date = metrics.period_start
    where {{ aggregate_column }} is not null
    {% endfor %}

    {% for field in ['shown_count', 'accepted_count', 'contributors_count',
                     'shown_lines_of_code', 'accepted_lines_of_code'] %}
    {%- set aggregate_column = {
        'shown_count': 'code_suggestions_shown_count',
        'accepted_count': 'code_suggestions_accepted_count',
        'contributors_count': 'code_suggestions_contributors_count',
        'shown_lines_of_code': 'code_suggestions_shown_lines',
        'accepted_lines_of_code': 'code_suggestions_accepted_lines',
    }[field] %}
    union all
    select
        metrics.scope_type, metrics.scope_path, metrics.period_start,
        'ai_metrics', 'code_suggestion_events:{{ field }}',
        coalesce(raw.{{ field }}, 0), metrics.{{ aggregate_column }}
    from day_metrics as metrics
    left join raw_suggestions as raw
        on raw.scope_type = metrics.scope_type
        and raw.scope_path = metrics.scope_path
        and raw.event_date = metrics.period_start
    where metrics.{{ aggregate_column }} is not null
    {% endfor %}

    {# metric name, raw_events column, summed ai_user_metrics column #}
    {% for metric, raw_column, aggregate_column in [
        ('total_event_count', 'event_count', 'total_event_count'),
        ('users', 'users', 'users'),
    ] %}
    union all
    select
        days.scope_type, days.scope_path, days.metric_date,
        'ai_user_metrics', '{{ metric }}',
        coalesce(raw.{{ raw_column }}, 0), coalesce(user_metrics.{{ aggregate_column }}, 0)
    from aggregate_days as days
    left join user_metrics
        on user_metrics.scope_type = days.scope_type
        and user_metrics.scope_path = days.scope_path
        and user_metrics.metric_date = days.metric_date
    left join raw_events as raw
        on raw.scope_type = days.scope_type
        and raw.scope_path = days.scope_path
        and raw.event_date = days.metric_date
    {% endfor %}

    {% for feature in ai_user_metrics_features() %}
    union all
    select
        days.scope_type, days.scope_path, days.metric_date,
        'ai_user_metrics', '{{ feature }}_event_count',
        coalesce(raw.event_count, 0), coalesce(user_metrics.{{ feature }}_event_count, 0)
    from aggregate_days as days
    left join user_metrics
        on user_metrics.scope_type = days.scope_type
        and user_metrics.scope_path = days.scope_path
        and user_metrics.metric_date = days.metric_date
    left join raw_feature_counts as raw
        on raw.scope_type = days.scope_type
        and raw.scope_path = days.scope_path
        and raw.event_date = days.metric_date
        and raw.feature = '{{ feature }}'
    {% endfor %}
)

select
    scope_type,
    scope_path,
    metric_date,
    aggregate_source,
    metric,
    raw_value,
    aggregate_value,
    raw_value - aggregate_value as difference,
    {{ reconciliation_allowed_difference('aggregate_value') }} as allowed_difference,
    abs(raw_value - aggregate_value) <= {{ reconciliation_allowed_difference('aggregate_value') }}
        as agrees
from comparisons
