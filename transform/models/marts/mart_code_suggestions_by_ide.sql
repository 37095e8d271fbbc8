-- Code-suggestion volume and acceptance rate per scope, period and IDE. GitLab sends the
-- IDE only with instance-scope events; group and project scopes show '(not reported)'
-- (see mart_code_suggestion_ides_reported for the IDE names GitLab lists for them).
{{ code_suggestion_rollup([['ide_name', "coalesce(ide_name, '(not reported)')"]]) }}
