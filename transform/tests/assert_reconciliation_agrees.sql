-- Fails (or warns: var reconciliation_severity) for every day on which raw events and
-- GitLab's aggregates disagree beyond the tolerance (see mart_reconciliation_daily).
{{ config(severity=var('reconciliation_severity', 'warn')) }}
select *
from {{ ref('mart_reconciliation_days') }}
where disagrees
