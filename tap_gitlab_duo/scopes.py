"""Scopes: what a record was read through (a group, a project or the whole instance).

Configured scopes are the stream partitions. A group covers its subgroups and projects,
so a group and one of its own descendants would count the same events twice.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

GROUP = "group"
PROJECT = "project"
INSTANCE = "instance"


@dataclass(frozen=True)
class Scope:
    """A group, a project or the instance, as one stream partition."""

    type: str
    path: str = ""

    @property
    def context(self) -> dict[str, str]:
        """The partition context; the SDK copies its keys into every record."""
        return {"scope_type": self.type, "scope_path": self.path}

    @classmethod
    def from_context(cls, context: t.Mapping[str, t.Any]) -> Scope:
        return cls(type=context["scope_type"], path=context["scope_path"])

    def __str__(self) -> str:
        return "the instance" if self.type == INSTANCE else f"{self.type} '{self.path}'"


def configured_scopes(config: t.Mapping[str, t.Any]) -> list[Scope]:
    """The scopes the settings name, groups first, in the order given."""
    scopes = [Scope(GROUP, path) for path in config.get("group_paths") or []]
    scopes += [Scope(PROJECT, path) for path in config.get("project_paths") or []]
    if config.get("instance"):
        scopes.append(Scope(INSTANCE))
    return scopes


def overlapping_pairs(scopes: t.Sequence[Scope]) -> list[tuple[Scope, Scope]]:
    """Pairs (outer, inner) where ``inner`` lies inside group ``outer``.

    The instance overlaps every group and project too, on purpose: it serves other
    fields (``extras``, ``namespace_path``), and its records carry ``scope_type``
    'instance', so they never collide with a group's rows; it is not a pair here.
    """
    pairs = []
    for outer in scopes:
        if outer.type != GROUP:
            continue
        for inner in scopes:
            if (
                inner != outer
                and inner.type != INSTANCE
                and (inner.path == outer.path or inner.path.startswith(outer.path + "/"))
            ):
                pairs.append((outer, inner))
    return pairs
