-- Code-suggestion events of every scope in one shape: group and project scopes from the
-- code_suggestion_events stream (language, no IDE), the instance scope from
-- ai_usage_events, whose extras carry language and IDE.
select
    event_key,
    scope_type,
    scope_path,
    event_at,
    event_date,
    event,
    user_id,
    username,
    language,
    cast(null as {{ dbt.type_string() }}) as ide_name,
    suggestion_lines,
    unique_tracking_id,
    'code_suggestion_events' as source_stream
from {{ ref('stg_code_suggestion_events') }}

union all

select
    event_key,
    scope_type,
    scope_path,
    event_at,
    event_date,
    event,
    user_id,
    username,
    language,
    ide_name,
    suggestion_lines,
    unique_tracking_id,
    'ai_usage_events' as source_stream
from {{ ref('stg_ai_usage_events') }}
where scope_type = 'instance'
  and event in (
      'CODE_SUGGESTION_SHOWN_IN_IDE',
      'CODE_SUGGESTION_ACCEPTED_IN_IDE',
      'CODE_SUGGESTION_REJECTED_IN_IDE',
      'CODE_SUGGESTIONS_REQUESTED'
  )
