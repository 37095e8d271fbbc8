-- One row per GitLab user seen in events or seat snapshots, with the latest username
-- (usernames can change; user_id is the key).
with sightings as (
    select user_id, username, event_at as seen_at
    from {{ ref('stg_ai_usage_events') }}
    where user_id is not null
    union all
    select user_id, username, cast(snapshot_date as {{ dbt.type_timestamp() }}) as seen_at
    from {{ ref('stg_duo_seat_assignments') }}
),

ranked as (
    select
        user_id,
        username,
        seen_at,
        row_number() over (
            partition by user_id order by seen_at desc, username desc
        ) as recency
    from sightings
)

select
    user_id,
    username,
    seen_at as last_seen_at
from ranked
where recency = 1
