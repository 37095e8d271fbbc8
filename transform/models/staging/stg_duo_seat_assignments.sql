-- Daily snapshots of Duo seats: one row per scope (root group or instance), snapshot day,
-- add-on and eligible user, whether or not the user holds a seat that day.
select
    scope_type,
    scope_path,
    snapshot_date,
    add_on_type,
    add_on_purchase_id,
    purchased_quantity,
    assigned_quantity,
    user_id,
    username,
    name as user_display_name,
    state as user_state,
    coalesce(bot, false) as is_bot,
    seat_assigned,
    last_activity_on,
    last_duo_activity_on
from {{ source('tap_gitlab_duo', 'duo_seat_assignments') }}
