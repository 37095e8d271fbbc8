"""The expected JSON schema of every stream: tap-added fields plus what the query selects."""

from __future__ import annotations

import typing as t

from tests.schema_derivation import node_properties

_SCOPE = {
    "scope_type": {
        "type": "string",
        "enum": ["group", "project", "instance"],
        "description": "What the row was read through: group, project or instance.",
    },
    "scope_path": {
        "type": "string",
        "description": "Full path of the group or project read; empty for the instance.",
    },
}
_PERIOD = {
    "period": {
        "type": "string",
        "enum": ["day", "week", "month"],
        "description": "The period the row covers: day, week (ISO, Monday first) or month.",
    },
    "date": {
        "type": "string",
        "format": "date",
        "description": "First day of the period (UTC).",
    },
}


def _schema(required: list[str], properties: dict[str, t.Any]) -> dict[str, t.Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


def ai_user_metrics() -> dict[str, t.Any]:
    properties = {
        **_SCOPE,
        **_PERIOD,
        "user_id": {
            "type": "integer",
            "description": (
                "GitLab user id. 0 stands for users GitLab does not name (their rows are "
                "summed into one)."
            ),
        },
        "username": {"type": ["string", "null"], "description": "Username at extraction time."},
        **node_properties(
            "ai_user_metrics.graphql", "AiUserMetricsPage", into="nodes", skip=("user",)
        ),
    }
    return _schema(["scope_type", "scope_path", "period", "date", "user_id"], properties)


def ai_metrics() -> dict[str, t.Any]:
    properties = {**_SCOPE, **_PERIOD, **node_properties("ai_metrics.graphql", "AiMetricsFields")}
    # A connection read to its last page: the record holds its nodes as a list, each
    # user named by user_id and username like every stream's users.
    agent_platform = properties["agent_platform"]["properties"]
    agent_platform["user_flow_counts"] = {
        "type": ["array", "null"],
        "items": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "user_id": {
                    "type": ["integer", "null"],
                    "description": "GitLab user id; null when GitLab does not name the user.",
                },
                "username": {
                    "type": ["string", "null"],
                    "description": "Username at extraction time.",
                },
                **node_properties(
                    "ai_metrics.graphql", "UserFlowCountsPage", into="nodes", skip=("user",)
                ),
            },
        },
        "description": "Agent platform sessions per user and flow type, every page of them.",
    }
    return _schema(["scope_type", "scope_path", "period", "date"], properties)


def duo_seat_assignments() -> dict[str, t.Any]:
    properties = {
        **_SCOPE,
        "snapshot_date": {
            "type": "string",
            "format": "date",
            "description": "UTC day of the sync that took this snapshot.",
        },
        "add_on_type": {
            "type": "string",
            "description": "GitLab add-on: CODE_SUGGESTIONS (Duo Pro), DUO_ENTERPRISE, ...",
        },
        "add_on_purchase_id": {"type": "string", "description": "GitLab id of the purchase."},
        "purchased_quantity": {"type": ["integer", "null"], "description": "Seats bought."},
        "assigned_quantity": {"type": ["integer", "null"], "description": "Seats assigned."},
        "user_id": {"type": "integer", "description": "GitLab user id."},
        "username": {"type": ["string", "null"], "description": "Username at snapshot time."},
        "name": {"type": ["string", "null"], "description": "Display name."},
        "state": {"type": ["string", "null"], "description": "active, blocked, deactivated, ..."},
        "bot": {"type": ["boolean", "null"], "description": "Whether the user is a bot."},
        "seat_assigned": {
            "type": "boolean",
            "description": "Whether the user holds a seat of this add-on on the snapshot day.",
        },
        "last_activity_on": {
            "type": ["string", "null"],
            "format": "date",
            "description": "Last GitLab activity of any kind.",
        },
        "last_duo_activity_on": {
            "type": ["string", "null"],
            "format": "date",
            "description": "Last GitLab Duo activity (any namespace).",
        },
    }
    return _schema(
        ["scope_type", "scope_path", "snapshot_date", "add_on_type", "user_id", "seat_assigned"],
        properties,
    )


DERIVED = {
    "ai_user_metrics": ai_user_metrics,
    "ai_metrics": ai_metrics,
    "duo_seat_assignments": duo_seat_assignments,
}
