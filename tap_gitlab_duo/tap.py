"""tap-gitlab-duo: settings, scopes and the list of streams."""

from __future__ import annotations

import copy
import os
import sys
import threading
import typing as t
from functools import cached_property

import click
import pendulum
from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.singerlib.messages import StateMessage

from tap_gitlab_duo.backend import probe_backend
from tap_gitlab_duo.cli import TapCommand
from tap_gitlab_duo.client import DuoStream
from tap_gitlab_duo.instance_schema import FittedQueries
from tap_gitlab_duo.output import BufferedMessageWriter
from tap_gitlab_duo.preflight import check_access
from tap_gitlab_duo.privacy import People, people_for
from tap_gitlab_duo.scopes import Scope, configured_scopes
from tap_gitlab_duo.settings import CONFIG_SCHEMA, check_config, explain_schema_error
from tap_gitlab_duo.streams import (
    AiMetricsStream,
    AiUsageEventsStream,
    AiUserMetricsStream,
    CodeSuggestionEventsStream,
    DuoSeatAssignmentsStream,
)
from tap_gitlab_duo.throttle import RequestGate

STREAM_TYPES: tuple[type[DuoStream], ...] = (
    CodeSuggestionEventsStream,
    AiUsageEventsStream,
    AiUserMetricsStream,
    AiMetricsStream,
    DuoSeatAssignmentsStream,
)


class TapGitlabDuo(Tap):
    """GitLab Duo (AI) usage analytics from the GitLab GraphQL API."""

    name = "tap-gitlab-duo"
    # A copy: the SDK appends its built-in settings to this dict in place.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    message_writer_class = BufferedMessageWriter

    @cached_property
    def sync_started_at(self) -> pendulum.DateTime:
        """One "now" for the whole run, so every stream plans the same days."""
        return pendulum.now("UTC")

    @cached_property
    def request_gate(self) -> RequestGate:
        """Shared by every stream and worker: GitLab's pauses and the rate cap."""
        return RequestGate(int(self.config.get("requests_per_minute") or 0))

    @cached_property
    def people(self) -> People:
        """How records name people: as GitLab does, or pseudonymized (privacy mode)."""
        return people_for(self.config)

    @cached_property
    def scopes(self) -> list[Scope]:
        return configured_scopes(self.config)

    @classmethod
    def get_singer_command(cls) -> click.Command:
        command = super().get_singer_command()
        return TapCommand(
            name=command.name,
            callback=command.callback,
            params=command.params,
            context_settings=command.context_settings,
            help=command.help,
            logger=cls.logger,
        )

    def _handle_termination(self, signum: int, frame: t.Any) -> None:
        """SIGTERM: end the output with a STATE and leave at once.

        The SDK writes the state only when it changed since the last STATE, then exits
        the interpreter, which waits for window workers still inside a request or a
        backoff (up to the timeout times the retries): longer than a scheduler's grace
        period. The state covers only days emitted whole, so nothing in flight is owed.
        The signal may come while a message is half written: the STATE follows it.
        """
        t.cast("BufferedMessageWriter", self.message_writer).when_idle(self._leave_with_state)

    def _leave_with_state(self) -> None:
        try:
            self.message_writer.write_message(StateMessage(value=self.state))
            self.logger.info("Gracefully shutting down: the last STATE is the resume point.")
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            # Leave even when the target has gone (a broken pipe): waiting for the
            # workers is what a scheduler's grace period cannot afford.
            os._exit(0)

    def discover_streams(self) -> list[Stream]:
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        try:
            errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as exc:
            explained = [explain_schema_error(error) for error in exc.errors]
            raise ConfigValidationError(exc.args[0], errors=explained, schema=exc.schema) from None
        if errors:
            return [explain_schema_error(error) for error in errors]
        errors = check_config(self.config, now=self.sync_started_at)
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        for error in errors:
            self.logger.warning(error)
        return errors

    def check_access_once(self, transport: DuoStream) -> None:
        """Check the token and every scope, and fit the queries, before the first record."""
        if not self._access_checked:
            # Built here, before the checks' worker threads share them.
            _ = self.request_gate, self.people
            self.queries = FittedQueries(check_access(transport, self.scopes))
            self._warn_missing_fields()
            self._access_checked = True

    def _warn_missing_fields(self) -> None:
        """One warning per field this GitLab lacks, naming the stream that goes without."""
        for stream in self.streams.values():
            if not stream.selected or not isinstance(stream, DuoStream):
                continue
            scope_types = {s.type for s in self.scopes} & set(stream.operations)
            operations = [stream.operations[scope_type] for scope_type in scope_types]
            if not self.queries.usable(stream.query_file, operations):
                continue  # the stream warns per scope that it cannot be synced
            for field in self.queries.missing(stream.query_file):
                self.logger.warning(
                    "This GitLab has no %s %s (an older version): stream '%s' syncs without it%s.",
                    "argument" if "(" in field else "field",
                    field,
                    stream.name,
                    "" if "(" in field else ", and its columns stay empty",
                )

    def backend_of(self, scope: Scope, transport: DuoStream) -> str:
        """ClickHouse or PostgreSQL for a scope: probed once per scope and run."""
        with self._backend_lock:
            if scope not in self._backends:
                today = self.sync_started_at.date()
                self._backends[scope] = probe_backend(transport, scope, today)
            return self._backends[scope]

    @cached_property
    def _backends(self) -> dict[Scope, str]:
        return {}

    _backend_lock = threading.Lock()
    _access_checked = False
    # Until the instance has been asked, the queries as shipped.
    queries = FittedQueries()
