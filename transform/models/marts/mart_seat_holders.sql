-- Every eligible user of each scope and add-on in the scope's latest seat snapshot, with
-- their seat status:
--   active      holds a seat and used Duo within seat_active_days days up to the snapshot day
--   inactive    holds a seat, used Duo before, but not within that window
--   never_used  holds a seat and GitLab has no Duo activity for them at all
--   no_seat     eligible, holds no seat of this add-on
-- Duo activity is GitLab's last_duo_activity_on (any namespace).
{%- set active_days = var('seat_active_days') | int %}
with latest as (
    select scope_type, scope_path, max(snapshot_date) as snapshot_date
    from {{ ref('stg_duo_seat_assignments') }}
    group by scope_type, scope_path
)

select
    seats.scope_type,
    seats.scope_path,
    seats.snapshot_date,
    seats.add_on_type,
    seats.user_id,
    seats.username,
    seats.user_display_name,
    seats.user_state,
    seats.seat_assigned,
    seats.last_activity_on,
    seats.last_duo_activity_on,
    {{ dbt.datediff('seats.last_duo_activity_on', 'seats.snapshot_date', 'day') }}
        as days_since_duo_activity,
    case
        when not seats.seat_assigned then 'no_seat'
        when seats.last_duo_activity_on is null then 'never_used'
        when seats.last_duo_activity_on
             >= cast({{ dbt.dateadd('day', -(active_days - 1), 'seats.snapshot_date') }} as date)
            then 'active'
        else 'inactive'
    end as seat_status
from {{ ref('stg_duo_seat_assignments') }} as seats
inner join latest
    on latest.scope_type = seats.scope_type
    and latest.scope_path = seats.scope_path
    and latest.snapshot_date = seats.snapshot_date
