-- Every known user of a scope (anyone with a Duo event in it up to the as-of day, and
-- every seat holder of its latest seat snapshot) with their activity in the trailing
-- engagement window and their segment. Thresholds are dbt vars (dbt_project.yml):
--   inactive      0 active days in the window
--   experimenting 1 .. engagement_experimenting_max_days active days
--   regular       more, but fewer than engagement_heavy_min_days
--   heavy         engagement_heavy_min_days or more
{%- set window_days = var('engagement_window_days') | int %}
with bounds as (
    select
        {{ as_of_date() }} as as_of_date,
        cast({{ dbt.dateadd('day', -(window_days - 1), as_of_date()) }} as date) as window_start
),

latest_seats as (
    select seats.scope_type, seats.scope_path, seats.user_id,
           max(case when seats.seat_assigned then 1 else 0 end) as has_seat
    from {{ ref('stg_duo_seat_assignments') }} as seats
    inner join (
        select scope_type, scope_path, max(snapshot_date) as snapshot_date
        from {{ ref('stg_duo_seat_assignments') }}
        group by scope_type, scope_path
    ) as latest
        on latest.scope_type = seats.scope_type
        and latest.scope_path = seats.scope_path
        and latest.snapshot_date = seats.snapshot_date
    group by seats.scope_type, seats.scope_path, seats.user_id
),

known_users as (
    select distinct days.scope_type, days.scope_path, days.user_id
    from {{ ref('int_user_days') }} as days
    cross join bounds
    where days.activity_date <= bounds.as_of_date
    union
    select scope_type, scope_path, user_id
    from latest_seats
    where has_seat = 1
),

history as (
    select
        days.scope_type,
        days.scope_path,
        days.user_id,
        min(days.activity_date) as first_active_on,
        max(days.activity_date) as last_active_on,
        count(distinct case when days.activity_date >= bounds.window_start
                            then days.activity_date end) as active_days,
        cast(coalesce(sum(case when days.activity_date >= bounds.window_start
                               then days.event_count end), 0) as {{ dbt.type_bigint() }}) as event_count
    from {{ ref('int_user_days') }} as days
    cross join bounds
    where days.activity_date <= bounds.as_of_date
    group by days.scope_type, days.scope_path, days.user_id
)

select
    known_users.scope_type,
    known_users.scope_path,
    known_users.user_id,
    users.username,
    bounds.as_of_date,
    bounds.window_start,
    {{ window_days }} as window_days,
    coalesce(history.active_days, 0) as active_days,
    coalesce(history.event_count, 0) as event_count,
    history.first_active_on,
    history.last_active_on,
    coalesce(latest_seats.has_seat, 0) = 1 as has_seat,
    case
        when coalesce(history.active_days, 0) = 0 then 'inactive'
        when history.active_days <= {{ var('engagement_experimenting_max_days') | int }} then 'experimenting'
        when history.active_days >= {{ var('engagement_heavy_min_days') | int }} then 'heavy'
        else 'regular'
    end as segment
from known_users
cross join bounds
left join history
    on history.scope_type = known_users.scope_type
    and history.scope_path = known_users.scope_path
    and history.user_id = known_users.user_id
left join latest_seats
    on latest_seats.scope_type = known_users.scope_type
    and latest_seats.scope_path = known_users.scope_path
    and latest_seats.user_id = known_users.user_id
left join {{ ref('int_users') }} as users
    on users.user_id = known_users.user_id
