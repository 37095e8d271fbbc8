"""Synthetic keys for raw events, which GitLab serves without an id.

Timestamps have second precision, so two real events can be identical field for field.
The key numbers identical events within a day (their ordinal), so a re-read day yields
the same keys and a late identical event gets the next ordinal instead of merging.

The field list is frozen and versioned: changing it would give every re-read day new
keys and double it in the warehouse. Bump ``KEY_VERSION`` only with a migration note.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import typing as t
from collections import Counter

KEY_VERSION = 1

EVENT_KEY_FIELDS: tuple[str, ...] = (
    "scope_type",
    "scope_path",
    "timestamp",
    "user_id",
    "event",
    "language",
    "suggestion_size",
    "unique_tracking_id",
    "namespace_path",
    "extras",
)


def canonical_json(value: t.Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def _plain(value: t.Any) -> t.Any:
    # The SDK parses JSON floats as Decimal; their text is exact and stable.
    if isinstance(value, decimal.Decimal):
        return str(value)
    msg = f"cannot key a value of type {type(value).__name__}"
    raise TypeError(msg)


def assign_event_keys(records: t.Iterable[dict[str, t.Any]]) -> None:
    """Set ``event_key`` on each record of one scope and one day, in place.

    All records of the day must be passed together: the ordinal of an event among its
    identical twins is only known once the whole day has been read.
    """
    seen: Counter[str] = Counter()
    for record in records:
        identity = canonical_json([KEY_VERSION, *(record.get(f) for f in EVENT_KEY_FIELDS)])
        ordinal = seen[identity]
        seen[identity] += 1
        digest = hashlib.sha256(f"{identity}#{ordinal}".encode())
        record["event_key"] = digest.hexdigest()
