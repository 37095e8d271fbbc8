-- GitLab's per-user aggregates (aiUserMetrics), one row per scope, period and user, with
-- each feature's event total pulled out of its nested object. user_id 0 holds the
-- events of users GitLab does not name.
select
    scope_type,
    scope_path,
    period,
    cast({{ adapter.quote('date') }} as date) as period_start,
    user_id,
    username,
    total_event_count,
    cast(last_duo_activity_on as date) as last_duo_activity_on,
    {% for feature in ai_user_metrics_features() %}
    {{ json_integer(feature, 'total_event_count') }} as {{ feature }}_event_count,
    {% endfor %}
    {{ json_integer('code_suggestions', 'code_suggestion_shown_in_ide_event_count') }} as code_suggestions_shown_count,
    {{ json_integer('code_suggestions', 'code_suggestion_accepted_in_ide_event_count') }} as code_suggestions_accepted_count
from {{ source('tap_gitlab_duo', 'ai_user_metrics') }}
