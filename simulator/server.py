"""HTTP transport: a threading HTTP/1.1 server that hands requests to the endpoints."""

from __future__ import annotations

import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from simulator.control import CONTROL_ENDPOINTS
from simulator.graphql_http import graphql_endpoint
from simulator.messages import Request, Response, json_response

if TYPE_CHECKING:
    from simulator.app import Simulator


class SimulatorHTTPServer(ThreadingHTTPServer):
    """One thread per connection, so concurrent clients are served concurrently."""

    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections as with GitLab
    server: SimulatorHTTPServer

    # Headers and body leave in two writes; with Nagle's algorithm on, the body waits
    # for the client's delayed ACK (~40 ms) on every keep-alive request. GitLab's
    # nginx sends without that stall, so the simulator must too.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Access logs would drown the output of the tests; errors are logged in _dispatch."""

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=url.path.rstrip("/") or "/",
            query=dict(parse_qsl(url.query)),
            headers=self.headers,
            body=self.rfile.read(length) if length > 0 else b"",
            query_string=url.query,
        )
        try:
            response = _route(self.server.simulator, request)
        except Exception:  # a simulator bug: answer as GitLab's 500 would, keep serving
            traceback.print_exc(file=sys.stderr)
            response = json_response(500, {"message": "500 Internal Server Error"})
        self._send(response)

    def _send(self, response: Response) -> None:
        if response.delivery == "drop":  # no response at all: the client sees a disconnect
            self.close_connection = True
            return
        try:
            self.send_response(response.status)
            if response.content_type is not None:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            if response.delivery == "truncate":
                self.wfile.write(response.body[: len(response.body) // 2])
                self.close_connection = True
            else:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a slow answer)
            self.close_connection = True


def _route(simulator: Simulator, request: Request) -> Response:
    if request.path == "/api/graphql" and request.method in ("GET", "POST"):
        return graphql_endpoint(simulator, request)
    endpoint = CONTROL_ENDPOINTS.get((request.method, request.path))
    if endpoint is not None:
        return endpoint(simulator, request)
    return json_response(404, {"message": "404 Not Found"})
