-- Active Duo users per scope and calendar period (day, week, month), with how many are
-- new, returning or reactivated, and how many of the previous period's users churned.
-- An active user has at least one Duo event (any feature) in the period.
with statuses as (
    select
        scope_type,
        scope_path,
        period,
        period_start,
        count(case when status <> 'churned' then 1 end) as active_users,
        count(case when status = 'new' then 1 end) as new_users,
        count(case when status = 'returning' then 1 end) as returning_users,
        count(case when status = 'reactivated' then 1 end) as reactivated_users,
        count(case when status = 'churned' then 1 end) as churned_users
    from {{ ref('int_user_period_status') }}
    group by scope_type, scope_path, period, period_start
)

select
    periods.scope_type,
    periods.scope_path,
    periods.period,
    periods.period_start,
    periods.period_end,
    periods.is_complete,
    coalesce(statuses.active_users, 0) as active_users,
    coalesce(statuses.new_users, 0) as new_users,
    coalesce(statuses.returning_users, 0) as returning_users,
    coalesce(statuses.reactivated_users, 0) as reactivated_users,
    coalesce(statuses.churned_users, 0) as churned_users
from {{ ref('int_scope_periods') }} as periods
left join statuses
    on statuses.scope_type = periods.scope_type
    and statuses.scope_path = periods.scope_path
    and statuses.period = periods.period
    and statuses.period_start = periods.period_start
