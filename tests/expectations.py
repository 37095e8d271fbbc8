"""Ground truth from the simulator, shaped like the tap's records, as multisets."""

from __future__ import annotations

import json
import typing as t
from collections import Counter

from tests.simulator_process import SimulatorProcess

Row = tuple[t.Any, ...]

SCOPES = [("group", "acme-corp"), ("project", "globex/website"), ("instance", "")]
STREAM_SCOPES = {
    "code_suggestion_events": [s for s in SCOPES if s[0] != "instance"],
    "ai_usage_events": SCOPES,
}


def _canonical(value: t.Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def row(stream: str, scope_type: str, event: dict[str, t.Any]) -> Row:
    """The fields of a record or truth event that the tap must reproduce exactly."""
    base: Row = (event["timestamp"], event["event"], event["user_id"], event["username"])
    if stream == "code_suggestion_events":
        return (*base, event["language"], event["suggestion_size"], event["unique_tracking_id"])
    if scope_type == "instance":
        return (*base, event["namespace_path"], _canonical(event["extras"]))
    return base


def expected(
    simulator: SimulatorProcess, stream: str, scope_type: str, scope_path: str, start: str, end: str
) -> Counter[Row]:
    kind = "code_suggestions" if stream == "code_suggestion_events" else "all"
    truth = simulator.truth(scope_type, scope_path, start, end, kind=kind)
    return Counter(row(stream, scope_type, e) for e in truth)


def emitted(
    records: list[dict[str, t.Any]], stream: str, scope_type: str, scope_path: str
) -> Counter[Row]:
    return Counter(
        row(stream, scope_type, r)
        for r in records
        if r["scope_type"] == scope_type and r["scope_path"] == scope_path
    )


def selected(value: t.Any, schema: dict[str, t.Any]) -> t.Any:
    """Only what a stream's schema has: the simulator's truth also carries unselected fields."""
    if isinstance(value, dict) and "properties" in schema:
        return {
            k: selected(v, schema["properties"][k])
            for k, v in value.items()
            if k in schema["properties"]
        }
    if isinstance(value, list) and "items" in schema:
        return [selected(v, schema["items"]) for v in value]
    return value


def describe_difference(want: Counter[Row], got: Counter[Row]) -> str:
    missing, extra = want - got, got - want
    return (
        f"missing {sum(missing.values())} (e.g. {list(missing)[:3]}), "
        f"extra {sum(extra.values())} (e.g. {list(extra)[:3]})"
    )
