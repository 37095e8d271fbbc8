"""The tap's settings: their JSON schema and the checks that run before any request.

Every check names the setting and the fix in one line, because that line is all a user
sees in ``meltano run`` output.
"""

from __future__ import annotations

import ipaddress
import re
import typing as t
import urllib.parse
from pathlib import Path

import pendulum
from singer_sdk import typing as th

from tap_gitlab_duo.periods import DAY, PERIODS
from tap_gitlab_duo.privacy import check_privacy
from tap_gitlab_duo.scopes import configured_scopes, overlapping_pairs
from tap_gitlab_duo.windows import parse_instant

DEFAULT_API_URL = "https://gitlab.com"
DEFAULT_START_DAYS_AGO = 30
MAX_PAGE_SIZE = 100  # GitLab clamps larger pages to 100

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "api_url",
        th.StringType(nullable=False),
        default=DEFAULT_API_URL,
        title="GitLab URL",
        description=(
            "Base URL of the GitLab instance, e.g. https://gitlab.example.com. "
            "The tap posts to {api_url}/api/graphql."
        ),
    ),
    th.Property(
        "token",
        th.StringType(nullable=False),
        required=True,
        secret=True,
        title="Access token",
        description=(
            "GitLab personal, group or project access token with the read_api scope. "
            "Sent only in the Authorization header to api_url."
        ),
    ),
    th.Property(
        "group_paths",
        th.ArrayType(th.StringType),
        default=[],
        title="Group paths",
        description=(
            'Full paths of groups to read, e.g. ["my-org"]. A group covers its '
            "subgroups and projects."
        ),
    ),
    th.Property(
        "project_paths",
        th.ArrayType(th.StringType),
        default=[],
        title="Project paths",
        description='Full paths of projects to read, e.g. ["my-org/my-project"].',
    ),
    th.Property(
        "instance",
        th.BooleanType,
        default=False,
        title="Instance-wide events",
        description=(
            "Also read the whole instance: ai_usage_events and, on self-managed, "
            "duo_seat_assignments (the token's user must be an administrator; "
            "self-managed and Dedicated)."
        ),
    ),
    th.Property(
        "allow_overlapping_scopes",
        th.BooleanType,
        default=False,
        title="Allow overlapping scopes",
        description=(
            "Allow a group together with one of its own subgroups or projects. Every "
            "event in the overlap is then loaded once per scope."
        ),
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        title="Start date",
        description=(
            "First UTC day to read on the first run, e.g. 2026-01-01T00:00:00Z. "
            f"Default: {DEFAULT_START_DAYS_AGO} days before the first run. Without "
            "ClickHouse, GitLab keeps raw events for three months only."
        ),
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        title="End date",
        description="Last UTC day to read (inclusive). Default: today.",
    ),
    th.Property(
        "lookback_days",
        th.IntegerType,
        default=3,
        title="Lookback days",
        description=(
            "Days before the bookmark that every run reads again, to catch events "
            "GitLab receives late. 0 to 90."
        ),
    ),
    th.Property(
        "metric_periods",
        th.ArrayType(th.StringType),
        default=["day"],
        title="Metric periods",
        description=(
            "Periods of ai_metrics and ai_user_metrics rows: any of day, week (ISO, "
            "Monday first) and month. Distinct counts and ratios cannot be summed from "
            "days, so add week or month to report on those."
        ),
    ),
    th.Property(
        "page_size",
        th.IntegerType,
        default=MAX_PAGE_SIZE,
        title="Page size",
        description="Records per GraphQL page, 1 to 100 (GitLab's maximum).",
    ),
    th.Property(
        "request_timeout",
        th.IntegerType,
        default=60,
        title="Request timeout",
        description=(
            "Seconds to wait for one HTTP response, 5 to 600. GitLab stops a query after 30 s."
        ),
    ),
    th.Property(
        "concurrency",
        th.IntegerType,
        default=4,
        title="Concurrency",
        description=(
            "Day windows fetched at once per scope, 1 to 32. Records are still emitted in "
            "day order and state only covers days fully emitted."
        ),
    ),
    th.Property(
        "requests_per_minute",
        th.IntegerType,
        default=0,
        title="Requests per minute",
        description=(
            "Cap on requests per minute for the whole run, for tokens shared with other "
            "tools; 0 for no cap. HTTP 429 answers are honoured either way."
        ),
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=5,
        title="Max retries",
        description=(
            "Retries of one request after HTTP 429, 5xx, timeouts, dropped connections or "
            "GitLab timeout errors, 0 to 20."
        ),
    ),
    th.Property(
        "max_backoff_seconds",
        th.IntegerType,
        default=60,
        title="Max backoff",
        description=(
            "Longest wait between retries in seconds, 1 to 600, unless GitLab asks for "
            "longer (Retry-After), which is always honoured."
        ),
    ),
    th.Property(
        "ca_bundle",
        th.StringType,
        title="CA bundle",
        description=(
            "Path to a PEM file of certificate authorities for an instance with a private "
            "CA. TLS certificates are always verified."
        ),
    ),
    th.Property(
        "allow_http",
        th.BooleanType,
        default=False,
        title="Allow plain HTTP",
        description=(
            "Allow an http:// api_url on a host other than loopback. The token would "
            "travel unencrypted."
        ),
    ),
    th.Property(
        "pseudonymize_users",
        th.BooleanType,
        default=False,
        title="Pseudonymize users",
        description=(
            "Privacy mode: replace every user id and username with a keyed hash "
            "(HMAC-SHA256 under 'pseudonymization_key') and drop display names, before "
            "records and keys are made. Counts, joins and segments still work; "
            "individuals cannot be told apart from outside."
        ),
    ),
    th.Property(
        "pseudonymization_key",
        th.StringType,
        secret=True,
        title="Pseudonymization key",
        description=(
            "Secret key (at least 16 characters) for 'pseudonymize_users'. Keep it "
            "stable: a new key gives every user a new pseudonym."
        ),
    ),
    th.Property(
        "user_agent",
        th.StringType,
        title="User agent",
        description="User-Agent header sent to GitLab. Default: tap-gitlab-duo/<version>.",
    ),
).to_dict()

_PATH_PATTERN = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.\-]*(/[A-Za-z0-9_.][A-Za-z0-9_.\-]*)*$")

_RANGES: dict[str, tuple[int, int]] = {
    "lookback_days": (0, 90),
    "page_size": (1, MAX_PAGE_SIZE),
    "request_timeout": (5, 600),
    "concurrency": (1, 32),
    "requests_per_minute": (0, 100_000),
    "max_retries": (0, 20),
    "max_backoff_seconds": (1, 600),
}


SECRET_SETTINGS = frozenset(
    name for name, spec in CONFIG_SCHEMA["properties"].items() if spec.get("secret")
)
_SCHEMA_ERROR = re.compile(r"^(?P<message>.*) in config\['(?P<name>[^']+)'\]")
_REQUIRED = re.compile(r"^'(?P<name>[^']+)' is a required property$")


def explain_schema_error(error: str) -> str:
    """A JSON-schema error of the SDK as one line naming the setting and the fix.

    The SDK's wording starts with the value itself, which for a secret is the secret.
    """
    if required := _REQUIRED.match(error):
        return (
            f"Setting '{required['name']}' is required: set it (see the settings table "
            "in the README)."
        )
    found = _SCHEMA_ERROR.match(error)
    if found is None:
        return error
    name = found["name"]
    if name in SECRET_SETTINGS:
        return f"Setting '{name}' has the wrong type (value not shown): give it as text."
    return (
        f"Setting '{name}' is not valid: {found['message']}. Give a value of the type the "
        "settings table in the README shows."
    )


def check_config(config: t.Mapping[str, t.Any], *, now: pendulum.DateTime) -> list[str]:
    """Every problem with the settings, one line each; empty when they are usable."""
    errors = _check_api_url(config)
    errors += _check_header_values(config)
    ca_bundle = config.get("ca_bundle")
    if ca_bundle and not Path(ca_bundle).is_file():
        errors.append(
            f"Setting 'ca_bundle' is {ca_bundle!r}, which is not a file: give the path of a "
            "PEM file."
        )
    errors += _check_paths(config)
    errors += _check_dates(config, now=now)
    errors += check_privacy(config)
    periods = config.get("metric_periods") or [DAY]
    unknown = [p for p in periods if p not in PERIODS]
    if unknown:
        errors.append(f"Setting 'metric_periods' has {unknown}: use any of {list(PERIODS)}.")
    for name, (low, high) in _RANGES.items():
        value = config.get(name)
        if value is not None and not low <= value <= high:
            errors.append(f"Setting '{name}' is {value}: use a value from {low} to {high}.")
    return errors


def _check_api_url(config: t.Mapping[str, t.Any]) -> list[str]:
    url = config.get("api_url", DEFAULT_API_URL)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return [f"Setting 'api_url' is not a URL ({url!r}): use e.g. https://gitlab.example.com."]
    if parts.username or parts.password:
        return ["Setting 'api_url' contains credentials: remove them; put the token in 'token'."]
    if parts.query or parts.fragment:
        return ["Setting 'api_url' has a query or fragment: give only the instance's base URL."]
    if parts.path.rstrip("/").endswith("/api/graphql") or parts.path.rstrip("/").endswith(
        "/api/v4"
    ):
        return [
            f"Setting 'api_url' ends with an API path ({parts.path}): give the instance's "
            "base URL, e.g. https://gitlab.example.com."
        ]
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not config.get("allow_http"):
        return [
            f"Setting 'api_url' uses plain http:// for {parts.hostname}: use https://, or set "
            "'allow_http' to true to send the token unencrypted."
        ]
    return []


# GitLab tokens are printable ASCII. Anything else (a trailing newline, a space, a
# typographic character from copy and paste) fails inside requests or http.client with
# an exception that quotes the whole header, token included.
_NOT_IN_A_TOKEN = re.compile(r"[^\x21-\x7e]")
# A header value: printable Latin-1, no line breaks, no space at either end.
_NOT_IN_A_HEADER = re.compile(r"[^\x20-\x7e\xa0-\xff]")


def _check_header_values(config: t.Mapping[str, t.Any]) -> list[str]:
    errors = []
    token = config.get("token")
    if isinstance(token, str) and not token.strip():
        errors.append("Setting 'token' is empty: give a GitLab access token with read_api.")
    elif isinstance(token, str) and _NOT_IN_A_TOKEN.search(token):
        errors.append(
            "Setting 'token' contains spaces, line breaks or other characters a token "
            "never has (often a trailing newline from a file or secret store): remove them."
        )
    user_agent = config.get("user_agent")
    if isinstance(user_agent, str) and (
        _NOT_IN_A_HEADER.search(user_agent) or user_agent != user_agent.strip()
    ):
        errors.append(
            "Setting 'user_agent' contains line breaks, control characters or spaces at "
            "either end: use one line of plain text."
        )
    return errors


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_paths(config: t.Mapping[str, t.Any]) -> list[str]:
    errors = []
    for setting in ("group_paths", "project_paths"):
        paths = config.get(setting) or []
        for path in paths:
            if not isinstance(path, str) or not _PATH_PATTERN.match(path):
                errors.append(
                    f"Setting '{setting}' has {path!r}, which is not a GitLab full path: use "
                    "the path as in the URL, e.g. 'my-org/my-subgroup', without slashes at "
                    "either end."
                )
        duplicates = sorted({p for p in paths if paths.count(p) > 1})
        if duplicates:
            errors.append(f"Setting '{setting}' lists {duplicates} more than once: list each once.")
    scopes = configured_scopes(config)
    if not scopes:
        errors.append(
            "No scope configured: set 'group_paths', 'project_paths' or 'instance' (at least one)."
        )
    if not config.get("allow_overlapping_scopes"):
        for outer, inner in overlapping_pairs(scopes):
            errors.append(
                f"Scopes overlap: {inner} lies inside {outer}, so its events would be "
                "loaded twice. Remove one, or set 'allow_overlapping_scopes' to true."
            )
    return errors


def _check_dates(config: t.Mapping[str, t.Any], *, now: pendulum.DateTime) -> list[str]:
    parsed: dict[str, pendulum.DateTime] = {}
    errors = []
    for name in ("start_date", "end_date"):
        value = config.get(name)
        if value is None:
            continue
        try:
            parsed[name] = parse_instant(value)
        except (ValueError, TypeError, pendulum.parsing.exceptions.ParserError):
            errors.append(
                f"Setting '{name}' is {value!r}, not a date: use ISO 8601, e.g. "
                "2026-01-01T00:00:00Z."
            )
    start, end = parsed.get("start_date"), parsed.get("end_date")
    if start is not None and start.date() > now.date():
        errors.append(f"Setting 'start_date' ({start.date()}) is in the future: use a past date.")
    if start is not None and end is not None and end.date() < start.date():
        errors.append(
            f"Setting 'end_date' ({end.date()}) is before 'start_date' ({start.date()}): "
            "swap them or remove 'end_date'."
        )
    return errors


def default_start_date(now: pendulum.DateTime) -> pendulum.DateTime:
    """Where a first run starts when 'start_date' is not set."""
    return now.start_of("day").subtract(days=DEFAULT_START_DAYS_AGO)
