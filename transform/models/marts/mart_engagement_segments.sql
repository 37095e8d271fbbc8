-- How many known users of each scope fall in each engagement segment on the as-of day
-- (see mart_user_engagement for the thresholds). Every segment has a row, 0 included.
with segments as (
    select 'inactive' as segment, 1 as segment_order
    union all select 'experimenting', 2
    union all select 'regular', 3
    union all select 'heavy', 4
),

scopes as (
    select distinct scope_type, scope_path, as_of_date, window_start, window_days
    from {{ ref('mart_user_engagement') }}
),

counts as (
    select scope_type, scope_path, segment,
           count(*) as users,
           count(case when has_seat then 1 end) as seat_holders
    from {{ ref('mart_user_engagement') }}
    group by scope_type, scope_path, segment
),

totals as (
    select scope_type, scope_path, count(*) as known_users
    from {{ ref('mart_user_engagement') }}
    group by scope_type, scope_path
)

select
    scopes.scope_type,
    scopes.scope_path,
    scopes.as_of_date,
    scopes.window_start,
    scopes.window_days,
    segments.segment,
    segments.segment_order,
    coalesce(counts.users, 0) as users,
    coalesce(counts.seat_holders, 0) as seat_holders,
    {{ ratio('coalesce(counts.users, 0)', 'totals.known_users') }} as share_of_users
from scopes
cross join segments
inner join totals
    on totals.scope_type = scopes.scope_type
    and totals.scope_path = scopes.scope_path
left join counts
    on counts.scope_type = scopes.scope_type
    and counts.scope_path = scopes.scope_path
    and counts.segment = segments.segment
