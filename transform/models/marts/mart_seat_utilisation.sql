-- Seat utilisation per scope (root group or instance), snapshot day and add-on: seats
-- bought, assigned, and of the assigned ones how many are active, inactive or never used
-- (rules as in mart_seat_holders), plus eligible users who used Duo without a seat.
{%- set active_days = var('seat_active_days') | int %}
with classified as (
    select
        *,
        last_duo_activity_on is not null
            and last_duo_activity_on
                >= cast({{ dbt.dateadd('day', -(active_days - 1), 'snapshot_date') }} as date)
            as is_duo_active
    from {{ ref('stg_duo_seat_assignments') }}
)

select
    scope_type,
    scope_path,
    snapshot_date,
    add_on_type,
    max(add_on_purchase_id) as add_on_purchase_id,
    max(purchased_quantity) as purchased_seats,
    max(assigned_quantity) as gitlab_assigned_quantity,
    count(case when seat_assigned then 1 end) as assigned_seats,
    count(case when seat_assigned and is_duo_active then 1 end) as active_seats,
    count(case when seat_assigned and not is_duo_active
                    and last_duo_activity_on is not null then 1 end) as inactive_seats,
    count(case when seat_assigned and last_duo_activity_on is null then 1 end)
        as never_used_seats,
    max(purchased_quantity) - count(case when seat_assigned then 1 end) as unassigned_seats,
    count(*) as eligible_users,
    count(case when not seat_assigned and is_duo_active then 1 end) as active_without_seat,
    {{ ratio('count(case when seat_assigned and is_duo_active then 1 end)',
             'count(case when seat_assigned then 1 end)') }} as utilisation_rate,
    {{ ratio('count(case when seat_assigned then 1 end)', 'max(purchased_quantity)') }}
        as assignment_rate,
    {{ active_days }} as active_window_days
from classified
group by scope_type, scope_path, snapshot_date, add_on_type
