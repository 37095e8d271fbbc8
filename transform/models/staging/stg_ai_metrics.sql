-- GitLab's aggregate metrics (aiMetrics) of a scope and period, one row each, with the
-- headline numbers pulled out of the nested objects. Distinct counts (users,
-- contributors) are for the row's whole period and cannot be summed over days.
select
    scope_type,
    scope_path,
    period,
    cast({{ adapter.quote('date') }} as date) as period_start,
    duo_used_count,
    code_contributors_count,
    duo_chat_contributors_count,
    root_cause_analysis_users_count,
    {{ json_integer('code_suggestions', 'shown_count') }} as code_suggestions_shown_count,
    {{ json_integer('code_suggestions', 'accepted_count') }} as code_suggestions_accepted_count,
    {{ json_integer('code_suggestions', 'shown_lines_of_code') }} as code_suggestions_shown_lines,
    {{ json_integer('code_suggestions', 'accepted_lines_of_code') }} as code_suggestions_accepted_lines,
    {{ json_integer('code_suggestions', 'contributors_count') }} as code_suggestions_contributors_count,
    {{ json_integer('chat', 'request_duo_chat_response_event_count') }} as chat_request_count,
    {{ json_integer('troubleshoot', 'troubleshoot_job_event_count') }} as troubleshoot_job_count,
    {{ json_integer('agent_platform', 'created_session_event_count') }} as agent_sessions_created_count,
    {{ json_integer('agent_platform', 'finished_session_event_count') }} as agent_sessions_finished_count
from {{ source('tap_gitlab_duo', 'ai_metrics') }}
