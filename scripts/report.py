"""The GitLab Duo analytics report: one self-contained HTML file from the dbt marts.

Reads the marts that `meltano invoke dbt-postgres:build` builds (transform/) and writes an
HTML page with the plots inlined (plotly.js included, no network needed to open it):
active users over time, new/returning/churned users, acceptance rate by language and
IDE, weekly suggestion volume, engagement segments, seat utilisation, chat, code review,
troubleshoot and agent-platform use, and whether raw events reconcile with GitLab's own
aggregates.

Connection, as for target-postgres and the demo (first found wins):
  --url URL                      a SQLAlchemy or libpq URL
  TARGET_POSTGRES_SQLALCHEMY_URL e.g. postgresql+psycopg://user:pass@host:5432/db
  TARGET_POSTGRES_HOST, _PORT, _USER, _PASSWORD, _DATABASE
Variables missing from the environment are read from the repository's `.env` (Meltano's
secrets file) when it has them. The marts' schema is --schema, else DBT_POSTGRES_SCHEMA
(the dbt-postgres transformer's `schema` setting), else gitlab_duo_analytics.

Run it with `bash scripts/report.sh [--output PATH] [--scope group:my-org]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import plotly.graph_objects as go
import psycopg
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots
from psycopg import sql
from psycopg.conninfo import make_conninfo

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCHEMA = "gitlab_duo_analytics"
DEFAULT_OUTPUT = REPO / "output" / "gitlab-duo-report.html"
RECENT_DAYS = 30
HIGHLIGHTED_FEATURES = {
    "chat": "Chat",
    "code_review": "Code Review",
    "troubleshoot_job": "Troubleshoot",
    "agent_platform": "Agent Platform",
    "mcp": "MCP",
    "code_suggestions": "Code Suggestions",
}
SEGMENT_COLOURS = {
    "inactive": "#c7c7c7",
    "experimenting": "#9ecae1",
    "regular": "#4292c6",
    "heavy": "#08519c",
}
SEAT_COLOURS = {
    "active": "#2ca02c",
    "inactive": "#ff7f0e",
    "never used": "#d62728",
    "unassigned": "#c7c7c7",
}
PLOT_CONFIG = {"displaylogo": False, "responsive": True}

Scope = tuple[str, str]


class ReportError(Exception):
    """An expected failure, printed as one line."""


# --- connection ---------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments, blanks and `export` allowed)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw_line in path.read_text().splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def settings(env_file: Path | None) -> dict[str, str]:
    """The environment, completed with the .env file's values it lacks."""
    merged = read_env_file(env_file) if env_file is not None else {}
    merged.update(os.environ)
    return merged


def conninfo(url: str | None, env: Mapping[str, str]) -> str:
    """A libpq connection string from --url or the TARGET_POSTGRES_* settings."""
    url = url or env.get("TARGET_POSTGRES_SQLALCHEMY_URL")
    if url:
        parts = urlsplit(url)
        # postgresql+psycopg://... (SQLAlchemy) -> postgresql://... (libpq)
        return urlunsplit(parts._replace(scheme=parts.scheme.split("+", 1)[0]))
    host = env.get("TARGET_POSTGRES_HOST")
    if not host:
        raise ReportError(
            "No database: set TARGET_POSTGRES_SQLALCHEMY_URL (or TARGET_POSTGRES_HOST, "
            "_PORT, _USER, _PASSWORD, _DATABASE), or pass --url"
        )
    params = {
        "host": host,
        "port": env.get("TARGET_POSTGRES_PORT", "5432"),
        "user": env.get("TARGET_POSTGRES_USER"),
        "password": env.get("TARGET_POSTGRES_PASSWORD"),
        "dbname": env.get("TARGET_POSTGRES_DATABASE"),
    }
    return make_conninfo(**{k: v for k, v in params.items() if v})


# --- reading the marts --------------------------------------------------------------


@dataclass
class Marts:
    """Queries on the marts of one schema."""

    db: psycopg.Connection[Any]
    schema: str

    def rows(self, query: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run `query`, where `{s}` stands for the marts' schema, and return dict rows."""
        composed = sql.SQL(query).format(s=sql.Identifier(self.schema))
        with self.db.cursor() as cursor:
            cursor.execute(composed, params or {})
            names = [column.name for column in cursor.description or []]
            return [dict(zip(names, record, strict=True)) for record in cursor.fetchall()]

    def for_scope(self, query: str, scope: Scope, **params: Any) -> list[dict[str, Any]]:
        """``rows`` of a query on one scope: ``%(t)s`` is its type, ``%(p)s`` its path."""
        return self.rows(query, {"t": scope[0], "p": scope[1], **params})

    def check(self) -> None:
        found = self.rows(
            "SELECT count(*) AS n FROM information_schema.tables "
            "WHERE table_schema = %(schema)s AND table_name = 'mart_active_users'",
            {"schema": self.schema},
        )
        if not found or not found[0]["n"]:
            raise ReportError(
                f"Schema {self.schema!r} has no marts: build them first "
                "(meltano invoke dbt-postgres:build), or pass --schema"
            )


def scope_label(scope: Scope) -> str:
    kind, path = scope
    return "instance" if kind == "instance" else f"{kind} {path}"


def parse_scope(text: str) -> Scope:
    kind, _, path = text.partition(":")
    if kind not in {"group", "project", "instance"}:
        raise ReportError(
            f"--scope must look like group:my-org, project:a/b or instance, not {text!r}"
        )
    return kind, "" if kind == "instance" else path


def pick_scope(marts: Marts, wanted: Scope | None) -> Scope:
    """The scope asked for, else the group or project scope with most events."""
    scopes = marts.rows(
        """
        SELECT scope_type, scope_path, sum(event_count) AS events
        FROM {s}.mart_feature_usage WHERE period = 'month'
        GROUP BY 1, 2
        ORDER BY (scope_type = 'instance'), events DESC, 1, 2
        """
    )
    known = [(row["scope_type"], row["scope_path"]) for row in scopes]
    if not known:
        raise ReportError("The marts hold no Duo events yet: sync, then build the models")
    if wanted is None:
        return known[0]
    if wanted not in known:
        listed = ", ".join(f"{k}:{p}" if p else k for k, p in known)
        raise ReportError(f"No data for scope {wanted[0]}:{wanted[1]}; scopes with data: {listed}")
    return wanted


# --- the figures --------------------------------------------------------------------


@dataclass
class Chart:
    """One section of the report: a figure, or a note saying why there is none."""

    name: str
    title: str
    caption: str
    figure: go.Figure | None = None
    empty_reason: str = ""


def style(figure: go.Figure, *, height: int = 360, **layout: Any) -> go.Figure:
    figure.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        legend={"orientation": "h", "y": -0.12, "yanchor": "top"},
        font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
        **layout,
    )
    return figure


def column(rows: Iterable[Mapping[str, Any]], name: str) -> list[Any]:
    return [row[name] for row in rows]


def active_users_chart(marts: Marts, scope: Scope) -> Chart:
    rows = marts.for_scope(
        """
        SELECT activity_date, daily_active_users, weekly_active_users, monthly_active_users
        FROM {s}.mart_active_users_rolling
        WHERE scope_type = %(t)s AND scope_path = %(p)s ORDER BY activity_date
        """,
        scope,
    )
    chart = Chart(
        "active-users",
        "Active Duo users",
        "Distinct users with at least one Duo event in the trailing 1, 7 and 28 days.",
    )
    if not rows:
        chart.empty_reason = "no Duo events in this scope"
        return chart
    figure = go.Figure()
    for name, label in (
        ("monthly_active_users", "28 days"),
        ("weekly_active_users", "7 days"),
        ("daily_active_users", "daily"),
    ):
        figure.add_trace(
            go.Scatter(
                x=column(rows, "activity_date"), y=column(rows, name), name=label, mode="lines"
            )
        )
    chart.figure = style(figure, yaxis_title="users")
    return chart


def user_flow_chart(marts: Marts, scope: Scope) -> Chart:
    rows = marts.for_scope(
        """
        SELECT period_start, is_complete, new_users, returning_users, reactivated_users,
               churned_users
        FROM {s}.mart_active_users
        WHERE scope_type = %(t)s AND scope_path = %(p)s AND period = 'week'
        ORDER BY period_start
        """,
        scope,
    )
    chart = Chart(
        "user-flow",
        "Weekly users: new, returning, reactivated, churned",
        "ISO weeks. Churned: active the week before, not this week (the current week is "
        "still open). The first week counts everyone as new.",
    )
    if not rows:
        chart.empty_reason = "no Duo events in this scope"
        return chart
    weeks = column(rows, "period_start")
    figure = go.Figure()
    for name, label, colour in (
        ("returning_users", "returning", "#4292c6"),
        ("reactivated_users", "reactivated", "#9ecae1"),
        ("new_users", "new", "#2ca02c"),
    ):
        figure.add_trace(go.Bar(x=weeks, y=column(rows, name), name=label, marker_color=colour))
    figure.add_trace(
        go.Bar(
            x=weeks,
            y=[-n for n in column(rows, "churned_users")],
            name="churned",
            marker_color="#d62728",
        )
    )
    chart.figure = style(figure, barmode="relative", yaxis_title="users")
    return chart


def recent_bounds(marts: Marts) -> tuple[dt.date, dt.date]:
    rows = marts.rows("SELECT max(activity_date) AS last_day FROM {s}.mart_active_users_rolling")
    last = (
        rows[0]["last_day"]
        if rows and rows[0]["last_day"]
        else dt.datetime.now(dt.timezone.utc).date()
    )
    return last - dt.timedelta(days=RECENT_DAYS - 1), last


def acceptance_rows(
    marts: Marts, table: str, dimension: str, scope: Scope, first: dt.date
) -> list[dict[str, Any]]:
    query = f"""
        SELECT {dimension} AS label, sum(suggestions_shown) AS shown,
               sum(suggestions_accepted) AS accepted
        FROM {{s}}.{table}
        WHERE scope_type = %(t)s AND scope_path = %(p)s AND period = 'day'
          AND period_start >= %(first)s
        GROUP BY 1 HAVING sum(suggestions_shown) > 0
        ORDER BY shown DESC, label
    """  # noqa: S608 (table and column names are constants of this module)
    return marts.for_scope(query, scope, first=first)


def acceptance_figure(rows: Sequence[Mapping[str, Any]], axis_title: str) -> go.Figure:
    rows = sorted(rows, key=lambda r: r["shown"])
    labels = column(rows, "label")
    rates = [r["accepted"] / r["shown"] for r in rows]
    figure = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        column_widths=[0.55, 0.45],
        subplot_titles=("acceptance rate", "suggestions"),
    )
    figure.add_trace(
        go.Bar(
            y=labels,
            x=rates,
            orientation="h",
            name="acceptance rate",
            marker_color="#08519c",
            text=[f"{r:.0%}" for r in rates],
            textposition="auto",
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Bar(
            y=labels, x=column(rows, "shown"), orientation="h", name="shown", marker_color="#9ecae1"
        ),
        row=1,
        col=2,
    )
    figure.add_trace(
        go.Bar(
            y=labels,
            x=column(rows, "accepted"),
            orientation="h",
            name="accepted",
            marker_color="#2ca02c",
        ),
        row=1,
        col=2,
    )
    figure.update_xaxes(tickformat=".0%", row=1, col=1)
    figure.update_yaxes(title_text=axis_title, row=1, col=1)
    return style(figure, height=max(300, 40 + 28 * len(rows)), barmode="group")


def language_chart(marts: Marts, scope: Scope, first: dt.date) -> Chart:
    rows = acceptance_rows(marts, "mart_code_suggestions_by_language", "language", scope, first)
    chart = Chart(
        "acceptance-by-language",
        f"Acceptance rate by language, last {RECENT_DAYS} days",
        "Accepted / shown code suggestions.",
    )
    if not rows:
        chart.empty_reason = "no code suggestions shown in this period"
        return chart
    chart.figure = acceptance_figure(rows, "language")
    return chart


def ide_chart(marts: Marts, scope: Scope, first: dt.date) -> Chart:
    """Acceptance by IDE: GitLab sends IDEs with instance-scope events only."""
    chart = Chart(
        "acceptance-by-ide",
        f"Acceptance rate by IDE, last {RECENT_DAYS} days",
        "Accepted / shown code suggestions.",
    )
    for candidate in (scope, ("instance", "")):
        rows = [
            r
            for r in acceptance_rows(
                marts, "mart_code_suggestions_by_ide", "ide_name", candidate, first
            )
            if r["label"] != "(not reported)"
        ]
        if rows:
            if candidate != scope:
                chart.caption += (
                    " Instance-wide: GitLab sends the IDE only with instance-scope events."
                )
            chart.figure = acceptance_figure(rows, "IDE")
            return chart
    reported = marts.for_scope(
        """
        SELECT ide_name AS label, count(*) AS days
        FROM {s}.mart_code_suggestion_ides_reported
        WHERE scope_type = %(t)s AND scope_path = %(p)s AND period = 'day'
          AND period_start >= %(first)s
        GROUP BY 1 ORDER BY days, label
        """,
        scope,
        first=first,
    )
    if not reported:
        chart.empty_reason = "GitLab reported no IDE for this scope"
        return chart
    chart.title = f"IDEs in use, last {RECENT_DAYS} days"
    chart.caption = (
        "Days on which GitLab's aggregates list the IDE. GitLab gives counts per IDE only "
        "with instance-scope events (sync the instance scope for acceptance by IDE)."
    )
    chart.figure = style(
        go.Figure(
            go.Bar(
                y=column(reported, "label"),
                x=column(reported, "days"),
                orientation="h",
                marker_color="#4292c6",
            )
        ),
        xaxis_title="days",
        height=max(260, 40 + 28 * len(reported)),
    )
    return chart


def suggestions_trend_chart(marts: Marts, scope: Scope) -> Chart:
    rows = marts.for_scope(
        """
        SELECT period_start, suggestions_shown, suggestions_accepted, acceptance_rate
        FROM {s}.mart_code_suggestions
        WHERE scope_type = %(t)s AND scope_path = %(p)s AND period = 'week'
        ORDER BY period_start
        """,
        scope,
    )
    chart = Chart(
        "suggestions-weekly",
        "Code suggestions per week",
        "Shown and accepted suggestions, and the acceptance rate (right axis).",
    )
    if not rows:
        chart.empty_reason = "no code suggestions in this scope"
        return chart
    weeks = column(rows, "period_start")
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(
        go.Bar(x=weeks, y=column(rows, "suggestions_shown"), name="shown", marker_color="#9ecae1"),
        secondary_y=False,
    )
    figure.add_trace(
        go.Bar(
            x=weeks, y=column(rows, "suggestions_accepted"), name="accepted", marker_color="#2ca02c"
        ),
        secondary_y=False,
    )
    figure.add_trace(
        go.Scatter(
            x=weeks,
            y=column(rows, "acceptance_rate"),
            name="acceptance rate",
            mode="lines+markers",
            line={"color": "#08519c"},
        ),
        secondary_y=True,
    )
    figure.update_yaxes(title_text="suggestions", secondary_y=False)
    figure.update_yaxes(
        title_text="acceptance rate", tickformat=".0%", rangemode="tozero", secondary_y=True
    )
    chart.figure = style(figure, barmode="group")
    return chart


def segments_chart(marts: Marts, scope: Scope) -> Chart:
    rows = marts.for_scope(
        """
        SELECT segment, users, seat_holders, as_of_date, window_days
        FROM {s}.mart_engagement_segments
        WHERE scope_type = %(t)s AND scope_path = %(p)s ORDER BY segment_order
        """,
        scope,
    )
    chart = Chart("engagement-segments", "Engagement segments", "")
    if not rows or not sum(column(rows, "users")):
        chart.empty_reason = "no known users in this scope"
        return chart
    chart.caption = (
        f"Known users (Duo users and seat holders) by days with Duo activity in the "
        f"{rows[0]['window_days']} days up to {rows[0]['as_of_date']}; thresholds are dbt vars."
    )
    segments = column(rows, "segment")
    figure = go.Figure(
        go.Bar(
            x=segments,
            y=column(rows, "users"),
            name="users",
            marker_color=[SEGMENT_COLOURS.get(s, "#888") for s in segments],
            text=column(rows, "users"),
            textposition="auto",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=segments,
            y=column(rows, "seat_holders"),
            name="of them seat holders",
            mode="markers",
            marker={"size": 12, "color": "#ff7f0e"},
        )
    )
    chart.figure = style(figure, yaxis_title="users")
    return chart


def latest_seats(marts: Marts) -> list[dict[str, Any]]:
    return marts.rows(
        """
        SELECT u.*
        FROM {s}.mart_seat_utilisation AS u
        JOIN (SELECT scope_type, scope_path, max(snapshot_date) AS snapshot_date
              FROM {s}.mart_seat_utilisation GROUP BY 1, 2) AS latest
          USING (scope_type, scope_path, snapshot_date)
        ORDER BY (u.scope_type = 'instance'), u.scope_path, u.add_on_type
        """
    )


def seats_chart(rows: Sequence[Mapping[str, Any]]) -> Chart:
    chart = Chart("seats", "Duo seats", "")
    if not rows:
        chart.empty_reason = "no seat snapshots (seats need the Owner role on a root group)"
        return chart
    window = rows[0]["active_window_days"]
    chart.caption = (
        f"Latest snapshot per root group (or instance) and add-on. Active: the holder used "
        f"Duo in the {window} days up to the snapshot; never used: no Duo activity at all."
    )
    labels = [
        f"{scope_label((r['scope_type'], r['scope_path']))} · {r['add_on_type']}" for r in rows
    ]
    parts = {
        "active": column(rows, "active_seats"),
        "inactive": column(rows, "inactive_seats"),
        "never used": column(rows, "never_used_seats"),
        "unassigned": [max(r["unassigned_seats"] or 0, 0) for r in rows],
    }
    figure = go.Figure()
    for name, values in parts.items():
        figure.add_trace(
            go.Bar(y=labels, x=values, name=name, orientation="h", marker_color=SEAT_COLOURS[name])
        )
    chart.figure = style(figure, barmode="stack", height=max(260, 80 + 45 * len(rows)))
    return chart


def feature_users_chart(marts: Marts, scope: Scope) -> Chart:
    rows = marts.for_scope(
        """
        SELECT period_start, feature, active_users
        FROM {s}.mart_feature_usage
        WHERE scope_type = %(t)s AND scope_path = %(p)s AND period = 'week'
          AND feature = ANY(%(features)s)
        ORDER BY period_start, feature
        """,
        scope,
        features=list(HIGHLIGHTED_FEATURES),
    )
    chart = Chart(
        "feature-users",
        "Weekly active users by feature",
        "Distinct users with an event of the feature in the ISO week.",
    )
    if not rows:
        chart.empty_reason = "no Duo events in this scope"
        return chart
    figure = go.Figure()
    for feature, label in HIGHLIGHTED_FEATURES.items():
        mine = [r for r in rows if r["feature"] == feature]
        if mine:
            figure.add_trace(
                go.Scatter(
                    x=column(mine, "period_start"),
                    y=column(mine, "active_users"),
                    name=label,
                    mode="lines+markers",
                )
            )
    chart.figure = style(figure, yaxis_title="users")
    return chart


FEATURE_ACTIONS = {
    "chat_requests": "chat requests",
    "code_review_requests": "code reviews requested",
    "code_review_comments": "review comments posted",
    "troubleshoot_jobs": "jobs troubleshot",
    "agent_sessions_created": "agent sessions created",
    "agent_sessions_finished": "agent sessions finished",
    "mcp_tool_calls": "MCP tool calls",
}


def feature_actions_chart(marts: Marts, scope: Scope, first: dt.date) -> Chart:
    sums = ", ".join(f"sum({name}) AS {name}" for name in FEATURE_ACTIONS)
    query = f"""
        SELECT {sums} FROM {{s}}.mart_feature_actions_daily
        WHERE scope_type = %(t)s AND scope_path = %(p)s AND activity_date >= %(first)s
    """  # noqa: S608 (column names are constants of this module)
    rows = marts.for_scope(query, scope, first=first)
    chart = Chart(
        "feature-actions",
        f"Chat, code review, troubleshoot and agents, last {RECENT_DAYS} days",
        "Events of the main actions of each feature.",
    )
    values = [int(rows[0][name] or 0) for name in FEATURE_ACTIONS] if rows else []
    if not any(values):
        chart.empty_reason = "no chat, code review, troubleshoot or agent events"
        return chart
    labels = list(FEATURE_ACTIONS.values())
    chart.figure = style(
        go.Figure(
            go.Bar(
                y=labels[::-1],
                x=values[::-1],
                orientation="h",
                marker_color="#4292c6",
                text=values[::-1],
                textposition="auto",
            )
        ),
        xaxis_title="events",
    )
    return chart


def aggregate_scope(marts: Marts, scope: Scope) -> Scope | None:
    """`scope` if GitLab's aggregates exist for it, else the first scope that has them."""
    rows = marts.rows(
        "SELECT DISTINCT scope_type, scope_path FROM {s}.mart_reconciliation_days ORDER BY 1, 2"
    )
    scopes = [(r["scope_type"], r["scope_path"]) for r in rows]
    if scope in scopes:
        return scope
    return scopes[0] if scopes else None


def flows_chart(marts: Marts, scope: Scope | None, first: dt.date) -> Chart:
    chart = Chart(
        "agent-flows",
        f"Agent-platform flows, last {RECENT_DAYS} days",
        "Sessions created per flow type and the share that finished (GitLab's aggregates).",
    )
    if scope is None:
        chart.empty_reason = "no GitLab aggregates (ai_metrics needs ClickHouse)"
        return chart
    rows = marts.for_scope(
        """
        SELECT flow_type, sum(sessions_count) AS sessions,
               sum(completion_rate * sessions_count) / nullif(sum(sessions_count), 0) AS completion
        FROM {s}.mart_agent_platform_flows
        WHERE scope_type = %(t)s AND scope_path = %(p)s AND period = 'day'
          AND period_start >= %(first)s
        GROUP BY 1 ORDER BY sessions, flow_type
        """,
        scope,
        first=first,
    )
    if not rows:
        chart.empty_reason = "no agent-platform sessions"
        return chart
    chart.caption += f" Scope: {scope_label(scope)}."
    completion = [float(r["completion"] or 0) for r in rows]
    figure = go.Figure(
        go.Bar(
            y=column(rows, "flow_type"),
            x=column(rows, "sessions"),
            orientation="h",
            marker_color="#6a51a3",
            text=[f"{c:.0%} finished" for c in completion],
            textposition="auto",
            name="sessions",
        )
    )
    chart.figure = style(figure, xaxis_title="sessions", height=max(260, 60 + 40 * len(rows)))
    return chart


# --- the page -----------------------------------------------------------------------


@dataclass
class Report:
    scope: Scope
    charts: list[Chart]
    kpis: list[tuple[str, str, str]] = field(default_factory=list)
    reconciliation: list[dict[str, Any]] = field(default_factory=list)
    generated_at: str = ""


def kpis(
    marts: Marts, scope: Scope, seats: Sequence[Mapping[str, Any]], first: dt.date, last: dt.date
) -> list[tuple[str, str, str]]:
    """(label, value, note) cards for the top of the page."""
    cards = []
    rolling = marts.for_scope(
        """
        SELECT monthly_active_users, weekly_active_users FROM {s}.mart_active_users_rolling
        WHERE scope_type = %(t)s AND scope_path = %(p)s ORDER BY activity_date DESC LIMIT 1
        """,
        scope,
    )
    if rolling:
        cards.append(
            (
                "Active users, 28 days",
                str(rolling[0]["monthly_active_users"]),
                f"{rolling[0]['weekly_active_users']} in the last 7 days",
            )
        )
    totals = acceptance_rows(marts, "mart_code_suggestions", "'all'", scope, first)
    if totals and totals[0]["shown"]:
        rate = totals[0]["accepted"] / totals[0]["shown"]
        cards.append(
            (
                f"Acceptance rate, {RECENT_DAYS} days",
                f"{rate:.1%}",
                f"{totals[0]['accepted']:,} of {totals[0]['shown']:,} suggestions",
            )
        )
    root = scope[1].split("/", 1)[0]
    mine = [
        s
        for s in seats
        if (s["scope_type"], s["scope_path"]) in {(scope[0], root), ("group", root)}
    ]
    for seat in mine or seats[:1]:
        cards.append(
            (
                f"{seat['add_on_type']} seats active",
                f"{seat['active_seats']} / {seat['assigned_seats']}",
                f"{seat['purchased_seats']} bought, {seat['never_used_seats']} never used",
            )
        )
    cards.append(("Data up to", last.isoformat(), f"recent window from {first.isoformat()}"))
    return cards


def reconciliation_rows(marts: Marts) -> list[dict[str, Any]]:
    return marts.rows(
        """
        SELECT scope_type, scope_path, count(*) AS days,
               count(*) FILTER (WHERE disagrees) AS disagreeing_days,
               sum(metrics_compared) AS comparisons,
               max(metric_date) FILTER (WHERE disagrees) AS last_disagreement,
               min(metric_date) AS first_day, max(metric_date) AS last_day
        FROM {s}.mart_reconciliation_days GROUP BY 1, 2 ORDER BY 1, 2
        """
    )


def build_report(marts: Marts, wanted: Scope | None) -> Report:
    marts.check()
    scope = pick_scope(marts, wanted)
    first, last = recent_bounds(marts)
    seats = latest_seats(marts)
    charts = [
        active_users_chart(marts, scope),
        user_flow_chart(marts, scope),
        language_chart(marts, scope, first),
        ide_chart(marts, scope, first),
        suggestions_trend_chart(marts, scope),
        segments_chart(marts, scope),
        seats_chart(seats),
        feature_users_chart(marts, scope),
        feature_actions_chart(marts, scope, first),
        flows_chart(marts, aggregate_scope(marts, scope), first),
    ]
    return Report(
        scope=scope,
        charts=charts,
        kpis=kpis(marts, scope, seats, first, last),
        reconciliation=reconciliation_rows(marts),
        generated_at=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0;
       background: #f5f6f8; color: #222; }
header { background: #292961; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: .85; font-size: 13px; }
main { padding: 18px 28px 40px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 12px;
        margin-bottom: 18px; }
.kpi { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px #0002; }
.kpi .label { font-size: 12px; color: #666; }
.kpi .value { font-size: 24px; font-weight: 600; margin: 2px 0; }
.kpi .note { font-size: 12px; color: #666; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
section.card { background: #fff; border-radius: 8px; padding: 12px 16px;
               box-shadow: 0 1px 2px #0002; min-width: 0; }
section.card h2 { font-size: 15px; margin: 4px 0; }
section.card p.caption { font-size: 12px; color: #666; margin: 0 0 6px; }
.empty { color: #a33; font-size: 13px; padding: 30px 0; text-align: center; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eee; }
.ok { color: #2ca02c; font-weight: 600; } .bad { color: #d62728; font-weight: 600; }
"""


# Plots are drawn while the page is parsed; size them again once the grid is laid out.
READY_SCRIPT = """<script type="text/javascript">
window.addEventListener("load", function () {
  var plots = Array.prototype.slice.call(document.querySelectorAll(".js-plotly-plot"));
  Promise.all(plots.map(function (plot) { return Plotly.Plots.resize(plot); }))
    .then(function () { document.body.dataset.ready = "true"; });
});
</script>"""


def render_reconciliation(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return (
            '<p class="empty">No GitLab aggregates to compare with '
            "(ai_metrics and ai_user_metrics need ClickHouse).</p>"
        )
    lines = [
        "<table><thead><tr><th>scope</th><th>days</th><th>comparisons</th>"
        "<th>days that disagree</th><th>status</th></tr></thead><tbody>"
    ]
    for row in rows:
        bad = row["disagreeing_days"]
        status = (
            f'<span class="bad">last on {row["last_disagreement"]}</span>'
            if bad
            else '<span class="ok">raw events match GitLab</span>'
        )
        lines.append(
            f"<tr><td>{html.escape(scope_label((row['scope_type'], row['scope_path'])))}</td>"
            f"<td>{row['first_day']} … {row['last_day']} ({row['days']})</td>"
            f"<td>{row['comparisons']:,}</td><td>{bad}</td><td>{status}</td></tr>"
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


def render(report: Report) -> str:
    sections = []
    for chart in report.charts:
        body = (
            chart.figure.to_html(
                full_html=False,
                include_plotlyjs=False,
                div_id=f"chart-{chart.name}",
                config=PLOT_CONFIG,
                default_width="100%",
                default_height=f"{chart.figure.layout.height}px",
            )
            if chart.figure is not None
            else f'<p class="empty">No chart: {html.escape(chart.empty_reason)}.</p>'
        )
        sections.append(
            f'<section class="card" data-chart="{chart.name}" '
            f'data-rendered="{"true" if chart.figure is not None else "false"}">'
            f"<h2>{html.escape(chart.title)}</h2>"
            f'<p class="caption">{html.escape(chart.caption)}</p>{body}</section>'
        )
    kpi_cards = "".join(
        f'<div class="kpi"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(value)}</div>'
        f'<div class="note">{html.escape(note)}</div></div>'
        for label, value, note in report.kpis
    )
    title = f"GitLab Duo usage: {scope_label(report.scope)}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<header><h1>{html.escape(title)}</h1>
<p>Built from the dbt marts of tap-gitlab-duo · generated {report.generated_at}</p></header>
<main>
<div class="kpis">{kpi_cards}</div>
<div class="grid" data-charts="{len(report.charts)}">
{"".join(sections)}
<section class="card" data-table="reconciliation"><h2>Raw events against GitLab's aggregates</h2>
<p class="caption">Every day with GitLab aggregates: event counters, distinct users, lines of
code and per-user totals compared with the raw events (mart_reconciliation_days).</p>
{render_reconciliation(report.reconciliation)}</section>
</div></main>
{READY_SCRIPT}
</body></html>
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"HTML file to write (default: {DEFAULT_OUTPUT.relative_to(REPO)})",
    )
    parser.add_argument("--url", help="database URL (default: TARGET_POSTGRES_SQLALCHEMY_URL)")
    parser.add_argument(
        "--schema", help=f"schema of the marts (default: DBT_POSTGRES_SCHEMA or {DEFAULT_SCHEMA})"
    )
    parser.add_argument(
        "--scope",
        help="group:PATH, project:PATH or instance (default: the "
        "group or project scope with most events)",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        default=REPO / ".env",
        help="file with TARGET_POSTGRES_* secrets (default: .env)",
    )
    args = parser.parse_args(argv)
    try:
        env = settings(args.env_file)
        schema = args.schema or env.get("DBT_POSTGRES_SCHEMA") or DEFAULT_SCHEMA
        wanted = parse_scope(args.scope) if args.scope else None
        try:
            db = psycopg.connect(conninfo(args.url, env), autocommit=True, connect_timeout=30)
        except psycopg.OperationalError as error:
            raise ReportError(f"Cannot connect to the database: {error}".strip()) from error
        with db:
            report = build_report(Marts(db, schema), wanted)
    except ReportError as error:
        print(f"report: {error}", file=sys.stderr)
        return 1
    output = args.output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(report), encoding="utf-8")
    rendered = sum(chart.figure is not None for chart in report.charts)
    print(
        f"Report written to {output} ({rendered} of {len(report.charts)} charts; "
        f"scope {scope_label(report.scope)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
