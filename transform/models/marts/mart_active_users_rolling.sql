-- Daily, weekly and monthly active Duo users per scope and day, over trailing windows
-- ending that day: 1, 7 and 28 days. Stickiness is daily / monthly active users.
select
    days.scope_type,
    days.scope_path,
    days.day as activity_date,
    count(distinct case when activity.activity_date = days.day then activity.user_id end)
        as daily_active_users,
    count(distinct case
        when activity.activity_date >= cast({{ dbt.dateadd('day', -6, 'days.day') }} as date)
        then activity.user_id end) as weekly_active_users,
    count(distinct activity.user_id) as monthly_active_users,
    {{ ratio(
        "count(distinct case when activity.activity_date = days.day then activity.user_id end)",
        "count(distinct activity.user_id)") }} as stickiness,
    days.first_day <= cast({{ dbt.dateadd('day', -27, 'days.day') }} as date) as is_full_window
from {{ ref('int_scope_days') }} as days
left join {{ ref('int_user_days') }} as activity
    on activity.scope_type = days.scope_type
    and activity.scope_path = days.scope_path
    and activity.activity_date <= days.day
    and activity.activity_date >= cast({{ dbt.dateadd('day', -27, 'days.day') }} as date)
group by days.scope_type, days.scope_path, days.day, days.first_day
