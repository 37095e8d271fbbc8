-- The main actions of chat, code review, troubleshoot, agent platform and MCP per scope
-- and day (quiet days included, as zeros).
with actions as (
    select
        scope_type,
        scope_path,
        event_date,
        count(case when event = 'REQUEST_DUO_CHAT_RESPONSE' then 1 end) as chat_requests,
        count(distinct case when feature = 'chat' then user_id end) as chat_users,
        count(case when event in (
            'REQUEST_REVIEW_DUO_CODE_REVIEW_ON_MR_BY_AUTHOR',
            'REQUEST_REVIEW_DUO_CODE_REVIEW_ON_MR_BY_NON_AUTHOR') then 1 end) as code_review_requests,
        count(case when event = 'POST_COMMENT_DUO_CODE_REVIEW_ON_DIFF' then 1 end)
            as code_review_comments,
        count(case when event = 'REACT_THUMBS_UP_ON_DUO_CODE_REVIEW_COMMENT' then 1 end)
            as code_review_thumbs_up,
        count(case when event = 'REACT_THUMBS_DOWN_ON_DUO_CODE_REVIEW_COMMENT' then 1 end)
            as code_review_thumbs_down,
        count(distinct case when feature = 'code_review' then user_id end) as code_review_users,
        count(case when event = 'TROUBLESHOOT_JOB' then 1 end) as troubleshoot_jobs,
        count(distinct case when feature = 'troubleshoot_job' then user_id end)
            as troubleshoot_users,
        count(case when event = 'AGENT_PLATFORM_SESSION_CREATED' then 1 end)
            as agent_sessions_created,
        count(case when event = 'AGENT_PLATFORM_SESSION_FINISHED' then 1 end)
            as agent_sessions_finished,
        count(distinct case when feature = 'agent_platform' then user_id end)
            as agent_platform_users,
        count(case when event = 'START_MCP_TOOL_CALL' then 1 end) as mcp_tool_calls,
        count(distinct case when feature = 'mcp' then user_id end) as mcp_users
    from {{ ref('int_duo_events') }}
    group by scope_type, scope_path, event_date
)

select
    days.scope_type,
    days.scope_path,
    days.day as activity_date,
    {% for column in ['chat_requests', 'chat_users', 'code_review_requests',
                      'code_review_comments', 'code_review_thumbs_up',
                      'code_review_thumbs_down', 'code_review_users', 'troubleshoot_jobs',
                      'troubleshoot_users', 'agent_sessions_created',
                      'agent_sessions_finished', 'agent_platform_users', 'mcp_tool_calls',
                      'mcp_users'] %}
    coalesce(actions.{{ column }}, 0) as {{ column }}{% if not loop.last %},{% endif %}
    {% endfor %}
from {{ ref('int_scope_days') }} as days
left join actions
    on actions.scope_type = days.scope_type
    and actions.scope_path = days.scope_path
    and actions.event_date = days.day
