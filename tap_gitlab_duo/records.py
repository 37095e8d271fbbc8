"""Turning GitLab's nested camelCase objects into snake_case records."""

from __future__ import annotations

import re
import typing as t

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``codeSuggestionShownInIdeEventCount`` → ``code_suggestion_shown_in_ide_event_count``."""
    return _CAMEL_BOUNDARY.sub(r"_\1", name).lower()


def snake_keys(value: t.Any) -> t.Any:
    """The same structure with every object key in snake_case."""
    if isinstance(value, dict):
        return {snake_case(k): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value
