-- One row per scope, day and user with at least one Duo event (events of unnamed users
-- cannot be attributed and are left out).
select
    scope_type,
    scope_path,
    event_date as activity_date,
    user_id,
    count(*) as event_count,
    count(distinct feature) as feature_count
from {{ ref('int_duo_events') }}
where user_id is not null
group by scope_type, scope_path, event_date, user_id
