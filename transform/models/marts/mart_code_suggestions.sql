-- Code-suggestion volume and acceptance rate per scope and day, week and month.
{{ code_suggestion_rollup([]) }}
