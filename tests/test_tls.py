"""TLS: certificates are always verified; a private CA is trusted only through ca_bundle.

A real HTTPS endpoint (a self-signed certificate made here with openssl) relays to the
simulator, so the tap talks TLS exactly as it would to a self-managed instance.
"""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
import typing as t
from pathlib import Path

import pytest
import requests

from tests.expectations import emitted, expected
from tests.simulator_process import SimulatorProcess, shared_simulator
from tests.tap_runner import base_config, run_tap

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


class _Relay(http.server.BaseHTTPRequestHandler):
    upstream = ""
    requests_relayed = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {
            k: v for k, v in self.headers.items() if k.lower() in {"authorization", "content-type"}
        }
        answer = requests.post(
            f"{self.upstream}{self.path}", data=body, headers=headers, timeout=60
        )
        type(self).requests_relayed += 1
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    def log_message(self, format: str, *args: t.Any) -> None:
        return


@pytest.fixture(scope="module")
def https_gitlab(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[str, Path]]:
    """An HTTPS URL in front of the simulator, and the PEM file of its certificate."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    handler = type("Relay", (_Relay,), {"upstream": shared_simulator().url})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    assert t.cast("type[_Relay]", handler).requests_relayed > 0, "the trusted run used TLS"


@pytest.fixture(scope="module")
def simulator() -> SimulatorProcess:
    return shared_simulator()


def test_an_untrusted_certificate_stops_at_once_naming_ca_bundle(
    https_gitlab: tuple[str, Path], simulator: SimulatorProcess
) -> None:
    url, _ = https_gitlab
    config = base_config(simulator, api_url=url, start_date="2026-10-01T00:00:00Z",
                         end_date="2026-10-01T00:00:00Z")  # fmt: skip
    run = run_tap(config, check=False)
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, errors
    assert "is not trusted (certificate verify failed)" in errors[0]
    assert "'ca_bundle'" in errors[0]
    assert "Retrying" not in run.stderr, "a certificate problem is not retried"
    assert "Traceback" not in run.stderr


def test_ca_bundle_trusts_a_private_certificate_authority(
    https_gitlab: tuple[str, Path], simulator: SimulatorProcess
) -> None:
    url, cert = https_gitlab
    config = base_config(simulator, api_url=url, ca_bundle=str(cert), instance=False,
                         project_paths=[], start_date="2026-10-01T00:00:00Z",
                         end_date="2026-10-01T00:00:00Z")  # fmt: skip
    run = run_tap(config)
    want = expected(simulator, "ai_usage_events", "group", "acme-corp", "2026-10-01", "2026-10-01")
    got = emitted(run.records["ai_usage_events"], "ai_usage_events", "group", "acme-corp")
    assert got == want
    assert sum(want.values()) > 100
