"""The one base stream: endpoint, authentication, payload, error policy and paging.

Concrete streams declare what they fetch (a query file, the operation per scope type,
the scope types they serve) and how a node becomes a record.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import typing as t
from functools import cached_property
from http import HTTPStatus
from importlib import metadata

import backoff
import requests
from graphql import DocumentNode, print_ast
from singer_sdk import GraphQLStream, SchemaDirectory, StreamSchema
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams.rest import HTTPRequest, PageContext

from tap_gitlab_duo import schemas
from tap_gitlab_duo.cli import EXPECTED_FAILURES
from tap_gitlab_duo.graphql_response import (
    ScopeNotFoundError,
    StreamUnavailableError,
    connection,
    errors_spare_the_data,
    payload,
)
from tap_gitlab_duo.instance_schema import FittedQueries, OperationUnusableError
from tap_gitlab_duo.pagination import PageInfoPaginator
from tap_gitlab_duo.queries import Operation
from tap_gitlab_duo.scopes import GROUP, INSTANCE, PROJECT, Scope
from tap_gitlab_duo.throttle import RequestGate, retry_waits, server_wait_seconds

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_gitlab_duo.privacy import People

SCHEMAS = SchemaDirectory(schemas)

_NEEDS_DUO_ANALYTICS = (
    "the {kind} needs Premium or Ultimate with GitLab Duo, and the token's user at least "
    "the Reporter role (before GitLab 18.7 also a Duo Enterprise seat)"
)
UNAVAILABLE_CAUSE = {
    GROUP: _NEEDS_DUO_ANALYTICS.format(kind="group"),
    PROJECT: _NEEDS_DUO_ANALYTICS.format(kind="project"),
    INSTANCE: "instance-wide data needs an administrator's token and GitLab 18.7 or later",
}

_SCOPE_SETTING = {GROUP: "'group_paths'", PROJECT: "'project_paths'", INSTANCE: "'instance'"}

# Words GitLab uses when it stops a query that ran too long (HTTP 200 + errors).
_TIMEOUT_MARKERS = ("timeout", "timed out")
# Words of GitLab's answers that mean "not for you here", not "your query is wrong".
_DENIED_MARKERS = (
    "you don't have permission",
    "not available for this resource",
    "can only be queried on a root namespace",
)


# Failures worth another try (with backoff, up to 'max_retries'): GitLab or the network
# may answer the same request next time.
RETRIED_FAILURES: tuple[type[Exception], ...] = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

# Every way a request can fail for good, retried or not (an invalid URL, say).
REQUEST_FAILURES: tuple[type[Exception], ...] = (
    *RETRIED_FAILURES,
    requests.exceptions.RequestException,
)

# When a 429 carries no usable header, wait this long (GitLab's windows are a minute).
DEFAULT_THROTTLE_SECONDS = 60.0
# 429s do not count against 'max_retries': the tap waits as GitLab asks, then goes on.
# Only this many in a row for one request (most of an hour at a minute each) end it.
MAX_THROTTLED_IN_A_ROW = 50


class ThrottledError(RetriableAPIError):
    """HTTP 429: retried after the wait GitLab asked for, by every worker."""

    def __init__(self, message: str, response: requests.Response, wait_seconds: float) -> None:
        super().__init__(message, response)
        self.wait_seconds = wait_seconds


class FinalFailureError(FatalAPIError):
    """A request failed for good: the line names stream, scope, day and what to do."""


class GraphQLTimeoutError(RetriableAPIError):
    """GitLab stopped the query after its 30 s limit: retried with a smaller page."""


# Page sizes tried, in turn, after GraphQL timeouts (DESIGN: 100, 50, 20).
PAGE_SIZE_STEPS = (100, 50, 20)


def smaller_page(prepared_request: requests.PreparedRequest) -> int | None:
    """Lower ``first`` in a request's body to the next step; the new size or None."""
    if not prepared_request.body:
        return None
    body = json.loads(prepared_request.body)
    current = (body.get("variables") or {}).get("first")
    if not isinstance(current, int):
        return None
    smaller = next((size for size in PAGE_SIZE_STEPS if size < current), None)
    if smaller is None:
        return None
    body["variables"]["first"] = smaller
    prepared_request.prepare_body(data=None, files=None, json=body)
    return smaller


def _version() -> str:
    try:
        return metadata.version("tap-gitlab-duo")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class DuoStream(GraphQLStream):
    """Base for every stream: talks to ``{api_url}/api/graphql``."""

    # A POST to GraphQL is never followed to another place: the token would go along.
    allow_redirects = False

    #: The ``.graphql`` file of the stream, in ``tap_gitlab_duo/queries``.
    query_file: t.ClassVar[str]
    #: Operation name per scope type (``group``, ``project``, ``instance``).
    operations: t.ClassVar[dict[str, str]]

    schema = StreamSchema(SCHEMAS)

    # Records are built field by field with the schema's types (tests/test_schemas.py
    # and the SDK's record-vs-schema tests hold them to it), so the SDK's per-record
    # type conformance, a third of the per-record CPU, would only repeat that.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    @property
    def url_base(self) -> str:
        return f"{self.config['api_url'].rstrip('/')}/api/graphql"

    @cached_property
    def authenticator(self) -> BearerTokenAuthenticator:
        return BearerTokenAuthenticator(token=self.config["token"])

    @cached_property
    def user_agent(self) -> str:
        return self.config.get("user_agent") or f"tap-gitlab-duo/{_version()}"

    @property
    def http_headers(self) -> dict[str, str]:
        return {"User-Agent": self.user_agent, "Accept": "application/json"}

    @property
    def timeout(self) -> int:
        return int(self.config.get("request_timeout", 60))

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size", 100))

    @cached_property
    def _configured_session(self) -> requests.Session:
        session = requests.Session()
        # One pooled connection per concurrent worker.
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(10, self.concurrency))
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        # Certificates are always verified; a private CA comes in through ca_bundle or,
        # as for any requests program, REQUESTS_CA_BUNDLE (which Session.send ignores).
        session.verify = (
            self.config.get("ca_bundle")
            or os.environ.get("REQUESTS_CA_BUNDLE")
            or os.environ.get("CURL_CA_BUNDLE")
            or True
        )
        return session

    @property
    def requests_session(self) -> requests.Session:
        # The SDK makes a plain session in __init__; ours carries the TLS and pool
        # settings.
        return self._configured_session

    @property
    def people(self) -> People:
        """How records name people (privacy mode pseudonymizes them)."""
        return t.cast("People", self._tap.people)  # type: ignore[attr-defined]

    def backend_of(self, scope: Scope) -> str:
        """Which store serves the scope's data (see ``backend``), probed once per run."""
        return t.cast("str", self._tap.backend_of(scope, self))  # type: ignore[attr-defined]

    @property
    def concurrency(self) -> int:
        return int(self.config.get("concurrency", 4))

    @property
    def request_gate(self) -> RequestGate:
        return t.cast("RequestGate", self._tap.request_gate)  # type: ignore[attr-defined]

    @property
    def partitions(self) -> list[dict[str, t.Any]]:
        """The configured scopes this stream serves."""
        return [s.context for s in self._tap.scopes if s.type in self.operations]  # type: ignore[attr-defined]

    def warn_no_scope(self) -> None:
        """The SDK reads a stream without partitions once, with no scope: say why not.

        That happens when no configured scope is of a kind the stream serves (seats
        with only projects configured, say); the rest of the sync goes on.
        """
        settings = " or ".join(_SCOPE_SETTING[scope_type] for scope_type in self.operations)
        self.logger.warning(
            "Stream '%s' skipped: no configured scope is of a kind it serves (set %s, or "
            "deselect it).",
            self.name,
            settings,
        )

    # --- requests -----------------------------------------------------------------

    def operation_for(self, scope: Scope) -> Operation:
        return self.operation(self.query_file, self.operations[scope.type])

    def operation(self, file_name: str, operation_name: str) -> Operation:
        """An operation as this instance can answer it (older GitLabs lack some fields)."""
        try:
            return t.cast("FittedQueries", self._tap.queries).operation(  # type: ignore[attr-defined]
                file_name, operation_name
            )
        except OperationUnusableError as exc:
            raise StreamUnavailableError(str(exc), cause="an older GitLab version") from exc

    def variables_for(self, context: Context) -> dict[str, t.Any]:
        """GraphQL variables of one request, except the page cursor."""
        scope = Scope.from_context(context)
        variables: dict[str, t.Any] = {"first": self.page_size}
        if scope.path:
            variables["fullPath"] = scope.path
        return variables

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        # Variables travel only in the JSON body: the SDK would also put them in the URL.
        return {}

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        request = super().get_http_request(page=page)
        request.params = {}
        return request

    def prepare_request_payload(
        self, context: Context | None, next_page_token: t.Any
    ) -> dict[str, t.Any]:
        if context is None:
            msg = f"stream {self.name} needs a scope context"
            raise ValueError(msg)
        operation = self.operation_for(Scope.from_context(context))
        variables = self.variables_for(context)
        if next_page_token:
            variables["after"] = next_page_token
        return graphql_body(operation, variables)

    def get_new_paginator(self) -> PageInfoPaginator:
        return PageInfoPaginator()

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        yield from connection(response).get("nodes") or ()

    def execute(self, operation: Operation, variables: dict[str, t.Any]) -> dict[str, t.Any]:
        """Send one operation outside the paged record flow (checks, probes)."""
        return self._send(graphql_body(operation, variables))

    def execute_document(
        self, document: DocumentNode, variables: dict[str, t.Any]
    ) -> dict[str, t.Any]:
        """Send a document built on the parsed AST (the schema probe)."""
        return self._send({"query": print_ast(document), "variables": variables})

    def _send(self, body: dict[str, t.Any]) -> dict[str, t.Any]:
        prepared = self.build_prepared_request(
            method="POST",
            url=self.url_base,
            json=body,
            headers=self.http_headers,
        )
        response = self.request_decorator(self._request)(prepared, None)
        return payload(response)

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        # Every attempt, retries included, waits for its turn at the shared gate.
        self.request_gate.wait_turn()
        try:
            return super()._request(prepared_request, context)
        except requests.exceptions.SSLError as exc:
            msg = (
                f"The TLS certificate of {self.url_base} is not trusted ({_reason(exc)}): "
                "if the instance uses a private certificate authority, set 'ca_bundle' to "
                "its PEM file."
            )
            raise FatalAPIError(msg) from exc
        except GraphQLTimeoutError:
            # The retry (same request object) asks for fewer rows: the cursor stays
            # valid whatever the page size.
            if (size := smaller_page(prepared_request)) is not None:
                self.logger.warning("GitLab timed out: retrying with pages of %d", size)
            raise

    # --- error policy -----------------------------------------------------------

    def log(self, message: str, *args: t.Any, level: int = logging.INFO, **kwargs: t.Any) -> None:
        # The SDK announces every failure with a generic "unhandled error" line; for
        # an expected failure the command line prints the one line that says what to
        # do, and a second, vaguer line would only bury it.
        if message.startswith("An unhandled error occurred") and isinstance(
            sys.exc_info()[1], EXPECTED_FAILURES
        ):
            return
        super().log(message, *args, level=level, **kwargs)

    def request_decorator(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """The SDK's retry decorator, minus backoff's own log lines, and 429s apart.

        A 429 is waited out as GitLab asks without using up 'max_retries'; failures are
        retried with exponential backoff and jitter up to 'max_retries'.
        ``backoff_handler`` announces each retry, and a request that fails for good is
        reported once, with its scope, day and the fix (``final_failure``).
        """
        wait_when_asked = self._retrying(ThrottledError, MAX_THROTTLED_IN_A_ROW)
        retry_failures = self._retrying(
            RETRIED_FAILURES,
            self.backoff_max_tries,
            # An untrusted certificate will not become trusted by waiting; 429s that
            # never stop were already waited out above.
            giveup=lambda exc: isinstance(exc, (requests.exceptions.SSLError, ThrottledError)),
        )
        return retry_failures(wait_when_asked(func))

    def _retrying(
        self,
        errors: type[Exception] | tuple[type[Exception], ...],
        max_tries: int | t.Callable[[], int],
        giveup: t.Callable[[Exception], bool] = lambda _: False,
    ) -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]:
        return backoff.on_exception(
            self.backoff_wait_generator,
            errors,
            max_tries=max_tries,
            giveup=giveup,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,  # adds up to a second: never shorter than asked
            logger=self.logger,
            backoff_log_level=logging.DEBUG,
            giveup_log_level=logging.DEBUG,
        )

    def request_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Every node of a request's pages; a failure for good names scope, day and fix."""
        with self.failures_named(context):
            yield from super().request_records(context)

    @contextlib.contextmanager
    def failures_named(self, context: Context | None) -> t.Iterator[None]:
        """A request that failed for good becomes the one line of ``final_failure``."""
        try:
            yield
        except FinalFailureError:
            raise  # already named, by a request inside this one
        except REQUEST_FAILURES as exc:
            raise self.final_failure(
                context, self.failed_request(exc), retried=isinstance(exc, RETRIED_FAILURES)
            ) from exc
        except FatalAPIError as exc:
            raise self.final_failure(context, f"stopped: {exc}") from exc

    def failed_request(self, error: Exception) -> str:
        """A request that failed for good, and how many tries it had, in a few words."""
        if not isinstance(error, RETRIED_FAILURES):
            return f"failed: {failure_reason(error)}"
        if isinstance(error, ThrottledError):
            tries = f"{MAX_THROTTLED_IN_A_ROW} rate-limit answers (HTTP 429) in a row"
        else:
            tries = f"{self.backoff_max_tries()} attempts"
        return f"gave up after {tries}: {failure_reason(error)}"

    def final_failure(
        self, context: Context | None, what: str, *, retried: bool = False
    ) -> FinalFailureError:
        """The one line that ends the run: stream, scope, day, what failed, what to do.

        A final answer (a 401, a refused query) says its own fix; a request retried in
        vain gets the settings that help against slow or unreachable GitLabs.
        """
        where = _describe_context(context) if context else ""
        advice = (
            "Run again to resume; if GitLab is slow, raise 'max_retries' or "
            "'request_timeout'; if it cannot be reached, check 'api_url' and the network; "
            "if it rate-limits, lower 'concurrency' or set 'requests_per_minute'."
            if retried
            else "Fix what it names, then run again to resume."
        )
        msg = f"Stream '{self.name}'{where} {what.rstrip('. ')}. {self.resume_hint} {advice}"
        return FinalFailureError(msg)

    #: What a failed run keeps of this stream (said after a final failure).
    resume_hint = "Records of other scopes already sent are kept."

    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        return retry_waits(float(self.config.get("max_backoff_seconds", 60)))

    def backoff_max_tries(self) -> int:
        return int(self.config.get("max_retries", 5)) + 1

    def backoff_handler(self, details: t.Any) -> None:
        # The SDK's handler prints the call's arguments; say what matters instead.
        exception = details.get("exception")
        context = (details.get("args") or (None, None))[-1]
        where = _describe_context(context) if isinstance(context, dict) else ""
        if isinstance(exception, ThrottledError):
            self.logger.warning(
                "%s: waiting %.1f s%s, as GitLab asks (%d in a row)",
                exception,
                details.get("wait", 0.0),
                where,
                details.get("tries", 0),
            )
            return
        self.logger.warning(
            "Retrying %s%s in %.1f s (attempt %d of %d): %s",
            self.name,
            where,
            details.get("wait", 0.0),
            details.get("tries", 0),
            self.backoff_max_tries(),
            failure_reason(exception) if isinstance(exception, Exception) else exception,
        )

    def unavailable_cause(self, scope: Scope) -> str:
        """The likely reason GitLab answers this stream and scope with null."""
        return UNAVAILABLE_CAUSE[scope.type]

    @contextlib.contextmanager
    def scope_errors(self, scope: Scope) -> t.Iterator[None]:
        """Turn GitLab's nulls for one scope into a fatal error or a skip with a warning.

        A missing group or project is a configuration error; a null on the way to the
        data means this stream is not available there, and the rest of the sync goes on.
        """
        try:
            yield
        except ScopeNotFoundError as exc:
            msg = (
                f"{scope.type.capitalize()} '{scope.path}' was not found, or the token "
                f"cannot see it: check '{scope.type}_paths' and the token's access."
            )
            raise FatalAPIError(msg) from exc
        except StreamUnavailableError as exc:
            self.logger.warning(
                "Stream '%s' is not available for %s: %s (likely cause: %s). Skipped; "
                "its bookmark stays where it was.",
                self.name,
                scope,
                exc.detail,
                exc.cause or self.unavailable_cause(scope),
            )

    def validate_response(self, response: requests.Response) -> None:
        """Classify every answer once: retriable, fatal, or fine."""
        status = response.status_code
        if HTTPStatus.MULTIPLE_CHOICES <= status < HTTPStatus.BAD_REQUEST:
            location = response.headers.get("Location", "(no Location header)")
            msg = (
                f"GitLab answered {status} with a redirect to {location}: set 'api_url' "
                "to the address GitLab really serves (redirects are not followed, so the "
                "token does not travel elsewhere)."
            )
            raise FatalAPIError(msg)
        if status == HTTPStatus.UNAUTHORIZED:
            msg = (
                "GitLab rejected the token (HTTP 401): check the 'token' setting (a token "
                "with the read_api scope that has not expired or been revoked)."
            )
            raise FatalAPIError(msg)
        if status == HTTPStatus.FORBIDDEN:
            msg = (
                f"GitLab refused the request (HTTP 403) at {self.url_base}: check that "
                "'token' has the read_api scope, and that no IP allow-list blocks this host."
            )
            raise FatalAPIError(msg)
        if status == HTTPStatus.NOT_FOUND:
            msg = f"No GraphQL endpoint at {self.url_base} (HTTP 404): check 'api_url'."
            raise FatalAPIError(msg)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            wait = server_wait_seconds(response)
            wait = DEFAULT_THROTTLE_SECONDS if wait is None else wait
            self.request_gate.pause_for(wait)
            msg = "GitLab rate limit reached (HTTP 429)"
            raise ThrottledError(msg, response, wait)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR and _says_timeout(response):
            # GitLab answers its own 30 s query timeout with a 503 and a JSON error.
            msg = f"GitLab timed out (HTTP {status}): {self.response_error_message(response)}"
            raise GraphQLTimeoutError(msg, response)
        super().validate_response(response)
        try:
            body = payload(response)
        except ValueError as exc:
            msg = f"GitLab sent a response that is not valid JSON ({exc}); retrying"
            raise RetriableAPIError(msg, response) from exc
        errors = body.get("errors") or []
        if not errors:
            return
        messages = "; ".join(_describe_error(e) for e in errors)
        if _mentions_timeout(messages):
            raise GraphQLTimeoutError(f"GitLab timed out: {messages}", response)
        if all(_is_denial(e) for e in errors):
            raise StreamUnavailableError(f"GitLab answered: {messages}")
        if errors_spare_the_data(body):
            self.logger.warning(
                "GitLab returned partial data; the rows read are whole: %s", messages
            )
            return
        msg = f"GitLab returned errors: {messages}"
        raise FatalAPIError(msg)

    def response_error_message(self, response: requests.Response) -> str:
        # The SDK default prints the whole body and every header name.
        excerpt = " ".join(response.text[:200].split()) if response.content else ""
        if "html" in response.headers.get("Content-Type", "") and (
            title := re.search(r"<title>([^<]*)</title>", response.text, re.IGNORECASE)
        ):
            excerpt = " ".join(title[1].split())  # an error page: its title says it all
        request_id = response.headers.get("X-Request-Id")
        text = f"HTTP {response.status_code} {response.reason} from {self.url_base}"
        if request_id:
            text += f" (request id {request_id})"
        return f"{text}: {excerpt}" if excerpt else text


def graphql_body(operation: Operation, variables: dict[str, t.Any]) -> dict[str, t.Any]:
    """The JSON body of a GraphQL request; the document is sent unchanged."""
    return {
        "query": operation.text,
        "operationName": operation.name,
        "variables": {k: v for k, v in variables.items() if k in operation.variables},
    }


def _describe_context(context: t.Mapping[str, t.Any]) -> str:
    scope = Scope.from_context(context) if "scope_type" in context else None
    text = f" on {scope}" if scope else ""
    # The day being synced; a week or month read on it starts earlier.
    day = context.get("day") or context.get("start_date")
    if day:
        text += f", day {str(day)[:10]}"
    return text


def failure_reason(error: Exception) -> str:
    """A failed request in a few words: requests' own text nests three exceptions deep."""
    if isinstance(error, requests.exceptions.Timeout):
        return f"no answer within 'request_timeout' ({type(error).__name__})"
    text = str(error)
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if isinstance(error, requests.exceptions.ConnectionError) and found:
        return f"cannot connect: {found[1].strip()}"
    return " ".join(text.split())[:300]


def _reason(error: Exception) -> str:
    text = str(error)
    return "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in text else text[:200]


def _says_timeout(response: requests.Response) -> bool:
    try:
        errors = payload(response).get("errors") or []
    except ValueError:
        return False
    return _mentions_timeout(" ".join(_describe_error(e) for e in errors))


def _mentions_timeout(messages: str) -> bool:
    return any(marker in messages.lower() for marker in _TIMEOUT_MARKERS)


def _is_denial(error: t.Any) -> bool:
    message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
    return any(marker in message.lower() for marker in _DENIED_MARKERS)


def _describe_error(error: t.Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    message = str(error.get("message", "unknown error"))
    path = error.get("path")
    return f"{message} (at {'.'.join(map(str, path))})" if path else message
