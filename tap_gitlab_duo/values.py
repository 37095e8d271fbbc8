"""GitLab's values normalised once: global ids and timestamps."""

from __future__ import annotations

import pendulum


def parse_gid(gid: str | None) -> int | None:
    """``gid://gitlab/User/123`` → ``123``; None stays None."""
    if not gid:
        return None
    tail = gid.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def utc_timestamp(value: str) -> str:
    """A GitLab ``Time`` as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC.

    GitLab.com already answers in this form; other instances may send an offset.
    Bookmarks and keys compare these strings, so there must be exactly one form.
    """
    if len(value) == 20 and value.endswith("Z"):
        return value
    parsed = pendulum.parse(value)
    if not isinstance(parsed, pendulum.DateTime):
        msg = f"not a timestamp: {value!r}"
        raise ValueError(msg)
    return parsed.in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
