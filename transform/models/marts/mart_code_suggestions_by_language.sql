-- Code-suggestion volume and acceptance rate per scope, period and programming language.
{{ code_suggestion_rollup([['language', "coalesce(language, '(unknown)')"]]) }}
