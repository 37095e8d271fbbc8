"""The one base stream: endpoint, authentication, payload, error policy and paging.

Concrete streams declare what they fetch (a query file, the operation per scope type,
the scope types they serve) and how a node becomes a record.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
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

# Words GitLab uses when it stops a query that ran too long (HTTP 200 + errors).
_TIMEOUT_MARKERS = ("timeout", "timed out")
# Words of GitLab's answers that mean "not for you here", not "your query is wrong".
_DENIED_MARKERS = (
    "you don't have permission",
    "not available for this resource",
    "can only be queried on a root namespace",
)


# When a 429 carries no usable header, wait this long (GitLab's windows are a minute).
DEFAULT_THROTTLE_SECONDS = 60.0


class ThrottledError(RetriableAPIError):
    """HTTP 429: retried after the wait GitLab asked for, by every worker."""

    def __init__(self, message: str, response: requests.Response, wait_seconds: float) -> None:
        super().__init__(message, response)
        self.wait_seconds = wait_seconds


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
        """The SDK's retry decorator, minus backoff's own log lines.

        ``backoff_handler`` announces each retry, and a window that gives up is reported
        once, with its scope, day and the fix (``gave_up``).
        """
        return backoff.on_exception(
            self.backoff_wait_generator,
            (
                ConnectionResetError,
                RetriableAPIError,
                requests.exceptions.Timeout,
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ),
            max_tries=self.backoff_max_tries,
            # An untrusted certificate will not become trusted by waiting.
            giveup=lambda exc: isinstance(exc, requests.exceptions.SSLError),
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=self.logger,
            backoff_log_level=logging.DEBUG,
            giveup_log_level=logging.DEBUG,
        )(func)

    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        return retry_waits(float(self.config.get("max_backoff_seconds", 60)))

    def backoff_max_tries(self) -> int:
        return int(self.config.get("max_retries", 5)) + 1

    def backoff_handler(self, details: t.Any) -> None:
        # The SDK's handler prints the call's arguments; say what matters instead.
        exception = details.get("exception")
        context = (details.get("args") or (None, None))[-1]
        where = _describe_context(context) if isinstance(context, dict) else ""
        self.logger.warning(
            "Retrying %s%s in %.1f s (attempt %d of %d): %s",
            self.name,
            where,
            details.get("wait", 0.0),
            details.get("tries", 0),
            self.backoff_max_tries(),
            exception,
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
        if status == HTTPStatus.NOT_FOUND:
            msg = f"No GraphQL endpoint at {self.url_base} (HTTP 404): check 'api_url'."
            raise FatalAPIError(msg)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            wait = server_wait_seconds(response)
            wait = DEFAULT_THROTTLE_SECONDS if wait is None else wait
            self.request_gate.pause_for(wait)
            msg = f"GitLab rate limit reached (HTTP 429): waiting {wait:.0f} s as it asks"
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
        excerpt = response.text[:200].replace("\n", " ") if response.content else ""
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


def _describe_context(context: dict[str, t.Any]) -> str:
    scope = Scope.from_context(context) if "scope_type" in context else None
    text = f" for {scope}" if scope else ""
    if "start_date" in context:
        text += f", window {context['start_date']}..{context['end_date']}"
    return text


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
