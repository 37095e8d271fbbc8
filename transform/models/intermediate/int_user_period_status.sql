-- Each user's status in each calendar period (day, week, month) of a scope:
--   new          active, and this is the user's first active period in the loaded data
--   returning    active in this period and in the previous one
--   reactivated  active, not in the previous period, but in an earlier one
--   churned      active in the previous period, not in this one
-- Churned rows exist only for periods that start on or before the as-of day.
{% for period in report_periods() %}
{% if not loop.first %}union all{% endif %}
select * from (
    with activity as (
        select scope_type, scope_path, period_start, user_id
        from {{ ref('int_user_periods') }}
        where period = '{{ period }}'
    ),

    firsts as (
        select scope_type, scope_path, user_id, min(period_start) as first_period_start
        from activity
        group by scope_type, scope_path, user_id
    ),

    active as (
        select
            activity.scope_type,
            activity.scope_path,
            activity.period_start,
            activity.user_id,
            case
                when activity.period_start = firsts.first_period_start then 'new'
                when previous.user_id is not null then 'returning'
                else 'reactivated'
            end as status
        from activity
        inner join firsts
            on firsts.scope_type = activity.scope_type
            and firsts.scope_path = activity.scope_path
            and firsts.user_id = activity.user_id
        left join activity as previous
            on previous.scope_type = activity.scope_type
            and previous.scope_path = activity.scope_path
            and previous.user_id = activity.user_id
            and previous.period_start = cast({{ dbt.dateadd(period, -1, 'activity.period_start') }} as date)
    ),

    churned as (
        select
            previous.scope_type,
            previous.scope_path,
            cast({{ dbt.dateadd(period, 1, 'previous.period_start') }} as date) as period_start,
            previous.user_id,
            'churned' as status
        from activity as previous
        left join activity as following
            on following.scope_type = previous.scope_type
            and following.scope_path = previous.scope_path
            and following.user_id = previous.user_id
            and following.period_start = cast({{ dbt.dateadd(period, 1, 'previous.period_start') }} as date)
        where following.user_id is null
          and cast({{ dbt.dateadd(period, 1, 'previous.period_start') }} as date) <= {{ as_of_date() }}
    )

    select scope_type, scope_path, '{{ period }}' as period, period_start, user_id, status
    from active
    union all
    select scope_type, scope_path, '{{ period }}' as period, period_start, user_id, status
    from churned
) as status_by_{{ period }}
{% endfor %}
