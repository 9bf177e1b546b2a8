"""Fixtures for tests against a running gateway started by scripts/sdk-python.sh."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest


@dataclass(frozen=True)
class Gateway:
    admin: str
    main: str
    api_key: str
    site_id: str
    organization_id: str
    webhook_secret: str
    core_addr: str
    repo_root: Path

    def pay(self, checkout_id: str, payment_method: str = "tok_visa") -> dict[str, str]:
        """What the checkout page does: the runtime API's pay call."""
        answer = httpx.post(
            f"{self.main}/api/v1/checkouts/{checkout_id}/pay",
            json={"paymentMethod": payment_method},
            timeout=10,
        )
        assert answer.status_code == 202, answer.text
        paid: dict[str, str] = answer.json()
        return paid


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests with scripts/sdk-python.sh")
    return value


@pytest.fixture(scope="session")
def gateway() -> Gateway:
    credentials = json.loads(_require("PAYGATE_CREDENTIALS"))
    return Gateway(
        admin=_require("PAYGATE_ADMIN_URL"),
        main=_require("PAYGATE_MAIN_URL"),
        api_key=credentials["apiKey"],
        site_id=credentials["siteId"],
        organization_id=credentials["organizationId"],
        webhook_secret=credentials["webhookSecret"],
        core_addr=_require("PAYGATE_CORE_ADDR"),
        repo_root=Path(_require("PAYGATE_REPO_ROOT")),
    )


@dataclass
class ReceivedIpn:
    body: bytes
    headers: dict[str, str]


class IpnReceiver:
    """A merchant's IPN endpoint on a loopback port, keeping the raw bytes of each request."""

    def __init__(self) -> None:
        self.received: queue.Queue[ReceivedIpn] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                # Header names as sent (HTTP/1.1 servers may lower-case them).
                received.put(ReceivedIpn(body, dict(self.headers.items())))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ipn"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, event_type: str, timeout: float = 20) -> ReceivedIpn:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {event_type} IPN within {timeout}s")
            try:
                ipn = self.received.get(timeout=remaining)
            except queue.Empty:
                continue
            if json.loads(ipn.body)["type"] == event_type:
                return ipn

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ipn_receiver() -> Iterator[IpnReceiver]:
    receiver = IpnReceiver()
    yield receiver
    receiver.close()
