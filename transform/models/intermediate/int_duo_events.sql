-- Every Duo event with its feature (GitLab's aiUserMetrics feature, from the seed
-- duo_event_features). An event name the seed does not know yet is feature 'other'.
select
    events.event_key,
    events.scope_type,
    events.scope_path,
    events.event_at,
    events.event_date,
    events.event,
    coalesce(features.feature, 'other') as feature,
    coalesce(features.feature_label, 'Other') as feature_label,
    events.user_id,
    events.username,
    events.ide_name,
    events.language,
    events.flow_type,
    events.session_id
from {{ ref('stg_ai_usage_events') }} as events
left join {{ ref('duo_event_features') }} as features
    on features.event = events.event
