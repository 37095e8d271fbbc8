"""GitLab's custom scalars: how `Date`, `Time` and the global ID scalars read and render values.

Parsers raise ValueError, which graphql-core reports with the argument's location, as an
invalid argument. `JSON` and the other ID scalars keep graphql-core's pass-through.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timezone

from graphql import GraphQLError, GraphQLScalarType, GraphQLSchema

from simulator.timeutil import datetime_to_ms, format_seconds, parse_timestamp_ms

_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")
_ANY_GID = re.compile(r"^gid://gitlab/[A-Za-z:]+/\d+$")


def parse_date(value: object) -> date:
    """`Date.iso8601`: a calendar date; a full timestamp is accepted and cut to its date."""
    if isinstance(value, str):
        match = _DATE_PREFIX.match(value.strip())
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
    raise ValueError(f"{value!r} is not a valid ISO 8601 date")


def serialize_date(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise GraphQLError(f"Date cannot represent {value!r}")


def parse_time(value: object) -> datetime:
    if isinstance(value, str):
        try:
            return datetime.fromtimestamp(parse_timestamp_ms(value) / 1000, tz=timezone.utc)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a valid ISO 8601 time")


def serialize_time(value: object) -> str:
    """`Time` output is Ruby's `iso8601`: UTC, whole seconds (`2025-09-26T18:17:25Z`)."""
    if isinstance(value, datetime):
        return format_seconds(datetime_to_ms(value))
    raise GraphQLError(f"Time cannot represent {value!r}")


def _global_id_parser(type_name: str, accepted: tuple[str, ...]) -> Callable[[object], int]:
    """A parser of `gid://gitlab/<model>/<id>` for the accepted models, giving the id."""
    pattern = re.compile(rf"^gid://gitlab/(?:{'|'.join(map(re.escape, accepted))})/(\d+)$")

    def parse(value: object) -> int:
        if isinstance(value, str):
            match = pattern.match(value)
            if match:
                return int(match.group(1))
            if _ANY_GID.match(value):
                raise ValueError(f"{value} does not represent an instance of {type_name}")
        raise ValueError(f"{value!r} is not a valid Global ID")

    return parse


# `UserID` input: `gid://gitlab/User/<id>`, read as the integer id.
parse_user_id = _global_id_parser("User", ("User",))
# A group is a namespace, so `NamespaceID` takes both.
parse_namespace_id = _global_id_parser("Namespace", ("Namespace", "Group"))
parse_add_on_purchase_id = _global_id_parser(
    "GitlabSubscriptions::AddOnPurchase", ("GitlabSubscriptions::AddOnPurchase",)
)


def serialize_global_id(value: object) -> str:
    if isinstance(value, str) and _ANY_GID.match(value):
        return value
    raise GraphQLError(f"Global ID cannot represent {value!r}")


def install_scalars(schema: GraphQLSchema) -> None:
    """Give the SDL-built scalars GitLab's parsing and rendering."""
    for name, parse, serialize in (
        ("Date", parse_date, serialize_date),
        ("Time", parse_time, serialize_time),
        ("UserID", parse_user_id, serialize_global_id),
        ("NamespaceID", parse_namespace_id, serialize_global_id),
        ("GitlabSubscriptionsAddOnPurchaseID", parse_add_on_purchase_id, serialize_global_id),
    ):
        scalar = schema.type_map.get(name)
        if scalar is None:  # an older GitLab version's schema may not use it
            continue
        assert isinstance(scalar, GraphQLScalarType)
        # graphql-core 3.2 calls parse_value/serialize, 3.3 coerce_input/output_value (copied
        # from the former at construction): set whichever this version has.
        for attribute, function in (
            ("parse_value", parse),
            ("coerce_input_value", parse),
            ("serialize", serialize),
            ("coerce_output_value", serialize),
        ):
            if hasattr(scalar, attribute):
                setattr(scalar, attribute, function)
