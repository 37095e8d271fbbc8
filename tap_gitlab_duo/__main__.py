"""Allow ``python -m tap_gitlab_duo``."""

from tap_gitlab_duo.tap import TapGitlabDuo

TapGitlabDuo.cli()
