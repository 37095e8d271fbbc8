"""Settings checks: each bad input gives one line naming the setting and the fix."""

from __future__ import annotations

import pendulum
import pytest

from tap_gitlab_duo.scopes import GROUP, INSTANCE, PROJECT, Scope, configured_scopes
from tap_gitlab_duo.settings import check_config

NOW = pendulum.datetime(2026, 11, 22, 12)
GOOD = {"token": "t", "group_paths": ["acme"], "api_url": "https://gitlab.example.com"}


def errors(**overrides: object) -> list[str]:
    return check_config({**GOOD, **overrides}, now=NOW)


def test_good_config_has_no_errors() -> None:
    assert errors() == []
    assert errors(api_url="http://127.0.0.1:8080") == []
    assert errors(api_url="http://localhost:8080/gitlab") == []


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"api_url": "gitlab.com"}, "'api_url'"),
        ({"api_url": "https://gitlab.com/api/graphql"}, "'api_url'"),
        ({"api_url": "https://user:pw@gitlab.com"}, "'api_url'"),
        ({"api_url": "http://gitlab.example.com"}, "'allow_http'"),
        ({"group_paths": ["/acme/"]}, "'group_paths'"),
        ({"group_paths": ["https://gitlab.com/acme"]}, "'group_paths'"),
        ({"group_paths": ["acme", "acme"]}, "'group_paths'"),
        ({"group_paths": [], "project_paths": [], "instance": False}, "'instance'"),
        ({"group_paths": ["acme"], "project_paths": ["acme/web"]}, "'allow_overlapping_scopes'"),
        ({"group_paths": ["acme", "acme/sub"]}, "'allow_overlapping_scopes'"),
        ({"start_date": "yesterday"}, "'start_date'"),
        ({"start_date": "2027-01-01T00:00:00Z"}, "'start_date'"),
        ({"start_date": "2026-10-02", "end_date": "2026-10-01"}, "'end_date'"),
        ({"lookback_days": -1}, "'lookback_days'"),
        ({"page_size": 101}, "'page_size'"),
        ({"request_timeout": 1}, "'request_timeout'"),
    ],
)
def test_bad_input_names_the_setting(overrides: dict, names: str) -> None:
    found = errors(**overrides)
    assert len(found) == 1, found
    assert names in found[0]
    assert "\n" not in found[0]


def test_plain_http_allowed_when_asked() -> None:
    assert errors(api_url="http://gitlab.internal", allow_http=True) == []


def test_overlap_allowed_when_asked() -> None:
    assert errors(project_paths=["acme/web"], allow_overlapping_scopes=True) == []


def test_sibling_paths_with_a_common_prefix_do_not_overlap() -> None:
    assert errors(group_paths=["acme", "acme-labs"]) == []


def test_scopes_in_configured_order() -> None:
    scopes = configured_scopes(
        {"group_paths": ["a", "b"], "project_paths": ["c/d"], "instance": True}
    )
    assert scopes == [Scope(GROUP, "a"), Scope(GROUP, "b"), Scope(PROJECT, "c/d"), Scope(INSTANCE)]
    assert Scope(INSTANCE).context == {"scope_type": "instance", "scope_path": ""}
