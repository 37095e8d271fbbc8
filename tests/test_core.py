"""The Singer SDK's standard tap tests, against the simulator."""

from __future__ import annotations

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_gitlab_duo.tap import TapGitlabDuo
from tests.simulator_process import ADMIN_TOKEN, shared_simulator

TestTapGitlabDuo = get_tap_test_class(
    TapGitlabDuo,
    config={
        "api_url": shared_simulator().url,
        "token": ADMIN_TOKEN,
        "group_paths": ["acme-corp"],
        "instance": True,
        "start_date": "2026-10-20T00:00:00Z",
        "end_date": "2026-10-21T00:00:00Z",
    },
    suite_config=SuiteConfig(max_records_limit=200, ignore_no_records=False),
)
