-- One row per Duo event of any feature and scope (the tap's ai_usage_events), with the
-- context GitLab sends in `extras` on the instance scope pulled into columns.
select
    event_key,
    scope_type,
    scope_path,
    {{ adapter.quote('timestamp') }} as event_at,
    cast({{ adapter.quote('timestamp') }} as date) as event_date,
    event,
    user_id,
    username,
    namespace_path,
    {{ json_text('extras', 'ide_name') }} as ide_name,
    {{ json_text('extras', 'language') }} as language,
    {{ json_integer('extras', 'suggestion_size') }} as suggestion_lines,
    {{ json_text('extras', 'unique_tracking_id') }} as unique_tracking_id,
    {{ json_text('extras', 'flow_type') }} as flow_type,
    {{ json_text('extras', 'session_id') }} as session_id
from {{ source('tap_gitlab_duo', 'ai_usage_events') }}
