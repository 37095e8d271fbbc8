-- One row per code-suggestion event of a group or project scope (the tap's
-- code_suggestion_events), typed: the suggestion size becomes an integer.
select
    event_key,
    scope_type,
    scope_path,
    {{ adapter.quote('timestamp') }} as event_at,
    cast({{ adapter.quote('timestamp') }} as date) as event_date,
    event,
    user_id,
    username,
    language,
    {{ safe_integer('suggestion_size') }} as suggestion_lines,
    unique_tracking_id
from {{ source('tap_gitlab_duo', 'code_suggestion_events') }}
