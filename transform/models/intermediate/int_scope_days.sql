-- One row per scope and day, from the scope's first day with a Duo event to the as-of
-- day (var as_of_date, default the latest day with an event), quiet days included.
with bounds as (
    select scope_type, scope_path, min(event_date) as first_day
    from {{ ref('stg_ai_usage_events') }}
    group by scope_type, scope_path
),

days as (
    {{ day_series(
        "(select min(event_date) from " ~ ref('stg_ai_usage_events') ~ ")",
        as_of_date()
    ) }}
)

select
    bounds.scope_type,
    bounds.scope_path,
    days.day,
    bounds.first_day
from bounds
inner join days
    on days.day >= bounds.first_day
