{#- Which raw event each event counter of GitLab's aggregates counts.

    ai_metrics keeps counters in nested objects (target-postgres: jsonb columns); each
    entry is [object, field, event]. GitLab names a counter after its event
    (`post_comment_duo_code_review_on_diff_event_count`), except the agent-platform
    session counters (`created_session_event_count` counts AGENT_PLATFORM_SESSION_CREATED)
    and the Code Suggestions shown/accepted counts. -#}
{% macro ai_metrics_event_counters() -%}
  {{ return([
    ['code_suggestions', 'shown_count', 'CODE_SUGGESTION_SHOWN_IN_IDE'],
    ['code_suggestions', 'accepted_count', 'CODE_SUGGESTION_ACCEPTED_IN_IDE'],
    ['chat', 'request_duo_chat_response_event_count', 'REQUEST_DUO_CHAT_RESPONSE'],
    ['code_review', 'encounter_duo_code_review_error_during_review_event_count', 'ENCOUNTER_DUO_CODE_REVIEW_ERROR_DURING_REVIEW'],
    ['code_review', 'excluded_files_from_duo_code_review_event_count', 'EXCLUDED_FILES_FROM_DUO_CODE_REVIEW'],
    ['code_review', 'find_no_issues_duo_code_review_after_review_event_count', 'FIND_NO_ISSUES_DUO_CODE_REVIEW_AFTER_REVIEW'],
    ['code_review', 'find_nothing_to_review_duo_code_review_on_mr_event_count', 'FIND_NOTHING_TO_REVIEW_DUO_CODE_REVIEW_ON_MR'],
    ['code_review', 'post_comment_duo_code_review_on_diff_event_count', 'POST_COMMENT_DUO_CODE_REVIEW_ON_DIFF'],
    ['code_review', 'publish_duo_code_review_comments_event_count', 'PUBLISH_DUO_CODE_REVIEW_COMMENTS'],
    ['code_review', 'react_thumbs_down_on_duo_code_review_comment_event_count', 'REACT_THUMBS_DOWN_ON_DUO_CODE_REVIEW_COMMENT'],
    ['code_review', 'react_thumbs_up_on_duo_code_review_comment_event_count', 'REACT_THUMBS_UP_ON_DUO_CODE_REVIEW_COMMENT'],
    ['code_review', 'request_review_duo_code_review_on_mr_by_author_event_count', 'REQUEST_REVIEW_DUO_CODE_REVIEW_ON_MR_BY_AUTHOR'],
    ['code_review', 'request_review_duo_code_review_on_mr_by_non_author_event_count', 'REQUEST_REVIEW_DUO_CODE_REVIEW_ON_MR_BY_NON_AUTHOR'],
    ['troubleshoot', 'troubleshoot_job_event_count', 'TROUBLESHOOT_JOB'],
    ['mcp', 'start_mcp_tool_call_event_count', 'START_MCP_TOOL_CALL'],
    ['mcp', 'finish_mcp_tool_call_event_count', 'FINISH_MCP_TOOL_CALL'],
    ['agent_platform', 'created_session_event_count', 'AGENT_PLATFORM_SESSION_CREATED'],
    ['agent_platform', 'started_session_event_count', 'AGENT_PLATFORM_SESSION_STARTED'],
    ['agent_platform', 'finished_session_event_count', 'AGENT_PLATFORM_SESSION_FINISHED'],
    ['agent_platform', 'dropped_session_event_count', 'AGENT_PLATFORM_SESSION_DROPPED'],
    ['agent_platform', 'stopped_session_event_count', 'AGENT_PLATFORM_SESSION_STOPPED'],
    ['agent_platform', 'resumed_session_event_count', 'AGENT_PLATFORM_SESSION_RESUMED'],
    ['agent_platform', 'click_duo_agentic_subscription_expired_learn_more_session_event_count', 'CLICK_DUO_AGENTIC_SUBSCRIPTION_EXPIRED_LEARN_MORE'],
    ['agent_platform', 'click_duo_agentic_subscription_expired_upgrade_session_event_count', 'CLICK_DUO_AGENTIC_SUBSCRIPTION_EXPIRED_UPGRADE'],
    ['agent_platform', 'view_duo_agentic_subscription_expired_empty_state_session_event_count', 'VIEW_DUO_AGENTIC_SUBSCRIPTION_EXPIRED_EMPTY_STATE'],
  ]) }}
{%- endmacro %}

{#- The per-feature objects of ai_user_metrics (GitLab's feature names, as in the seed
    duo_event_features); each has a total_event_count. -#}
{% macro ai_user_metrics_features() -%}
  {{ return([
    'agent_platform', 'ai_catalog', 'chat', 'code_review', 'code_suggestions',
    'duo_messaging', 'duo_workflow', 'explain_vulnerability', 'feature_discovery',
    'fix_pipeline', 'generate_merge_commit_message', 'mcp',
    'request_duo_vulnerability_resolution', 'summarize_new_merge_request',
    'summarize_review', 'troubleshoot_job',
  ]) }}
{%- endmacro %}
