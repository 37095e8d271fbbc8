"""Injected faults: what goes wrong with which GraphQL requests.

A fault is a kind (what happens), the kind's parameters, and a trigger (which requests):

- `count=N`: fire on N requests, then stop (the default is 1, or no limit with `every`);
- `every=N`: fire on every Nth request only;
- `after=N`: let the first N requests through before the trigger starts;
- `operation=Name`: only requests whose operation has that name count at all.

Faults are tried in list order and the first that fires answers the request; a request one
fault answered is not seen by the faults after it. So `rate_limit` then `http_error`, each
with `count=1`, give a 429, then a 502, then normal answers.

A fault is written as a JSON object, `{"kind": "rate_limit", "count": 3, "retry_after": 2}`,
or in the compact form `rate_limit:count=3,retry_after=2` (`kind[:key=value[,key=value…]]`;
numbers are read as numbers, everything else as text).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from graphql import GraphQLNonNull, GraphQLObjectType

from simulator.sdl import reference_schema

FaultKind = Literal[
    "rate_limit",
    "http_error",
    "slow",
    "drop",
    "truncate",
    "graphql_timeout",
    "null",
    "redirect",
]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "rate_limit",
    "http_error",
    "slow",
    "drop",
    "truncate",
    "graphql_timeout",
    "null",
    "redirect",
)
TRIGGER_KEYS = ("count", "every", "after", "operation")


class FaultError(ValueError):
    """A fault that cannot be read or makes no sense."""


# -- parameters -------------------------------------------------------------------------------

_Check = Callable[[str, object], object]
_REQUIRED = object()  # the default of a parameter that must be given


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require_int(name: str, value: object, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise FaultError(f"{name} must be an integer of at least {minimum}")
    return value


def _integer(minimum: int) -> _Check:
    def check(name: str, value: object) -> object:
        return _require_int(name, value, minimum)

    return check


def _seconds(name: str, value: object) -> object:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise FaultError(f"{name} must be a positive number of seconds")
    return float(value)


def _one_of(*choices: int) -> _Check:
    def check(name: str, value: object) -> object:
        if not _is_int(value) or value not in choices:
            raise FaultError(f"{name} must be one of {', '.join(map(str, choices))}")
        return value

    return check


def _text(name: str, value: object) -> object:
    if not isinstance(value, str) or not value.strip():
        raise FaultError(f"{name} must be a non-empty string")
    return value.strip()


def _optional_text(name: str, value: object) -> object:
    return None if value is None else _text(name, value)


@dataclass(frozen=True)
class _Param:
    check: _Check
    default: object


_PARAMS: dict[FaultKind, dict[str, _Param]] = {
    "rate_limit": {
        "retry_after": _Param(_integer(0), 1),
        "limit": _Param(_integer(1), 2000),  # GitLab.com: 2,000 API requests per minute
        "name": _Param(_text, "throttle_authenticated_api"),
    },
    "http_error": {"status": _Param(_one_of(502, 503), 502)},
    "slow": {"seconds": _Param(_seconds, 65.0)},  # a client's timeout is about 60 s
    "drop": {},
    "truncate": {},
    "graphql_timeout": {
        "status": _Param(_one_of(503, 200), None),
        "field": _Param(_optional_text, None),
    },
    "null": {"field": _Param(_text, _REQUIRED)},
    "redirect": {
        "status": _Param(_one_of(301, 302, 307, 308), 307),
        "location": _Param(_optional_text, None),
    },
}


def _schema_fields(field_ref: str) -> list[tuple[str, bool]]:
    """(`Type.field`, nullable) of every schema field `field_ref` names (`name` or `Type.name`)."""
    type_name, _, field_name = field_ref.rpartition(".")
    found = []
    for named_type in reference_schema().type_map.values():
        if not isinstance(named_type, GraphQLObjectType) or named_type.name.startswith("__"):
            continue
        if type_name and named_type.name != type_name:
            continue
        schema_field = named_type.fields.get(field_name)
        if schema_field is not None:
            nullable = not isinstance(schema_field.type, GraphQLNonNull)
            found.append((f"{named_type.name}.{field_name}", nullable))
    return found


def _check_field(kind: FaultKind, field_ref: str) -> None:
    fields = _schema_fields(field_ref)
    if not fields:
        raise FaultError(f"field {field_ref} is not in the schema")
    non_null = [name for name, nullable in fields if not nullable]
    if kind == "null" and non_null:
        raise FaultError(
            f"{', '.join(non_null)} is non-null: GitLab cannot answer null there without an "
            "error; name a nullable field (Type.field)"
        )


# -- faults -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One fault: its kind, the kind's parameters (defaults filled in) and its trigger."""

    kind: FaultKind
    params: Mapping[str, object] = field(default_factory=dict)
    count: int | None = 1  # None: no limit
    every: int = 1
    after: int = 0
    operation: str | None = None

    def int_param(self, name: str) -> int:
        value = self.params[name]
        assert isinstance(value, int)
        return value

    def float_param(self, name: str) -> float:
        value = self.params[name]
        assert isinstance(value, float)
        return value

    def text_param(self, name: str) -> str | None:
        value = self.params.get(name)
        assert value is None or isinstance(value, str)
        return value

    def as_json(self) -> dict[str, object]:
        """The JSON form, which `fault_from_json` reads back to an equal fault."""
        return {
            "kind": self.kind,
            **{name: value for name, value in self.params.items() if value is not None},
            "count": self.count,
            "every": self.every,
            "after": self.after,
            **({"operation": self.operation} if self.operation is not None else {}),
        }


def fault_from_json(value: object) -> Fault:
    """A fault from its JSON object; FaultError names what is wrong."""
    if isinstance(value, Fault):
        return value
    if isinstance(value, str):
        return parse_fault_spec(value)
    if not isinstance(value, Mapping):
        raise FaultError("a fault must be a JSON object or a string such as rate_limit:count=3")
    kind = next((k for k in FAULT_KINDS if k == value.get("kind")), None)
    if kind is None:
        raise FaultError(f"a fault's kind must be one of {', '.join(FAULT_KINDS)}")
    specs = _PARAMS[kind]
    unknown = sorted(set(value) - {"kind", *TRIGGER_KEYS, *specs})
    if unknown:
        allowed = ", ".join([*TRIGGER_KEYS, *specs])
        raise FaultError(f"{kind} does not take {', '.join(unknown)} (it takes {allowed})")
    params: dict[str, object] = {}
    for name, spec in specs.items():
        if name in value:
            params[name] = spec.check(name, value[name])
        elif spec.default is _REQUIRED:
            raise FaultError(f"{kind} needs {name}")
        else:
            params[name] = spec.default
    _check_kind(kind, params)
    raw_count = value.get("count", None if "every" in value else 1)
    operation = value.get("operation")
    return Fault(
        kind,
        params,
        count=None if raw_count is None else _require_int("count", raw_count, 1),
        every=_require_int("every", value.get("every", 1), 1),
        after=_require_int("after", value.get("after", 0), 0),
        operation=None if operation is None else str(_text("operation", operation)),
    )


def _check_kind(kind: FaultKind, params: dict[str, object]) -> None:
    field_ref = params.get("field")
    if isinstance(field_ref, str):
        _check_field(kind, field_ref)
    if kind == "graphql_timeout":
        if field_ref is not None and params["status"] is not None:
            raise FaultError("graphql_timeout takes field (an HTTP 200 answer) or status, not both")
        if field_ref is None and params["status"] is None:
            params["status"] = 503


_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def _scalar(text: str) -> object:
    if _INTEGER.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text):
        return float(text)
    return text


def _items(kind: object, text: str) -> list[str]:
    """The `key=value` items of a compact fault.

    A comma starts a new item only before a key the kind takes, so a URL keeps its commas.
    """
    if not text.strip():
        return []
    params = next((_PARAMS[k] for k in FAULT_KINDS if k == kind), {})
    keys = "|".join([*TRIGGER_KEYS, *params])
    return re.split(rf",(?=\s*(?:{keys})\s*=)", text)


def parse_fault_spec(spec: str) -> Fault:
    """A fault from `kind[:key=value[,key=value…]]` or from a JSON object."""
    text = spec.strip()
    if text.startswith("{"):
        try:
            return fault_from_json(json.loads(text))
        except json.JSONDecodeError as error:
            raise FaultError(f"the fault {spec!r} is not valid JSON") from error
    kind, _, rest = text.partition(":")
    value: dict[str, object] = {"kind": kind.strip()}
    for item in _items(value["kind"], rest):
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise FaultError(f"expected key=value in the fault {spec!r}, got {item!r}")
        value[key.strip()] = _scalar(raw.strip())
    return fault_from_json(value)


class FaultSchedule:
    """The active faults, in order, with how many requests each has seen and answered.

    A new schedule (a settings change) starts every trigger afresh.
    """

    def __init__(self, faults: Sequence[Fault] = ()) -> None:
        self.faults = tuple(faults)
        self._seen = [0] * len(self.faults)
        self._fired = [0] * len(self.faults)
        self._lock = threading.Lock()

    def select(self, operation_names: frozenset[str]) -> Fault | None:
        """The fault that answers this request, if any; requests are counted as they arrive."""
        with self._lock:
            for index, fault in enumerate(self.faults):
                if fault.operation is not None and fault.operation not in operation_names:
                    continue
                if fault.count is not None and self._fired[index] >= fault.count:
                    continue
                self._seen[index] += 1
                position = self._seen[index] - fault.after
                if position > 0 and position % fault.every == 0:
                    self._fired[index] += 1
                    return fault
            return None

    def as_json(self) -> list[dict[str, object]]:
        return [fault.as_json() for fault in self.faults]


def fault_schedule(value: object) -> FaultSchedule:
    """The `faults` setting: a list of faults (JSON objects or compact strings)."""
    if isinstance(value, FaultSchedule):
        return value
    if not isinstance(value, (list, tuple)):
        raise FaultError("faults must be a list")
    return FaultSchedule([fault_from_json(item) for item in value])
