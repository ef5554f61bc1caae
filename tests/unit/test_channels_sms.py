"""The SMS gateway adapter against a gateway server on 127.0.0.1 (http.server in a thread): the request it
sends, the message id it returns, and how answers map to retries (5xx, timeout, refused → transient;
4xx, no message id → permanent)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from qingshou.channels.errors import PermanentDeliveryError, TransientDeliveryError
from qingshou.channels.sms import SmsGateway


class Gateway(ThreadingHTTPServer):
    """Answers with the scripted (status, body) replies in turn, then 200 with a fresh message id."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict[str, Any]] = []
        self.replies: list[tuple[int, str]] = []
        self.delay = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms"


class Handler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(
            {"auth": self.headers.get("Authorization"), "body": json.loads(body), "path": self.path}
        )
        if self.server.delay:
            threading.Event().wait(self.server.delay)
        status, text = (
            self.server.replies.pop(0)
            if self.server.replies
            else (200, json.dumps({"message_id": f"gw-{len(self.server.requests)}"}))
        )
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_sms_is_posted_as_json_with_the_api_key_and_returns_the_message_id(gateway: Gateway) -> None:
    message_id = SmsGateway(gateway.url, "key-123").send("+8613800000000", "您好，张三", "K1")
    assert message_id == "gw-1"
    [request] = gateway.requests
    assert request["auth"] == "Bearer key-123"
    assert request["body"] == {"to": "+8613800000000", "text": "您好，张三", "reference": "K1"}


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_transient(gateway: Gateway, status: int) -> None:
    gateway.replies.append((status, '{"error": "busy"}'))
    with pytest.raises(TransientDeliveryError, match=str(status)):
        SmsGateway(gateway.url, "k").send("+8613800000000", "x", "K1")


@pytest.mark.parametrize("status", [400, 401, 422])
def test_a_client_error_is_permanent(gateway: Gateway, status: int) -> None:
    gateway.replies.append((status, '{"error": "invalid number"}'))
    with pytest.raises(PermanentDeliveryError, match="invalid number"):
        SmsGateway(gateway.url, "k").send("+86", "x", "K1")


def test_an_answer_without_message_id_is_permanent(gateway: Gateway) -> None:
    gateway.replies.append((200, '{"ok": true}'))
    with pytest.raises(PermanentDeliveryError, match="no message_id"):
        SmsGateway(gateway.url, "k").send("+8613800000000", "x", "K1")


def test_a_timeout_is_transient(gateway: Gateway) -> None:
    gateway.delay = 0.5
    with pytest.raises(TransientDeliveryError, match="timed out"):
        SmsGateway(gateway.url, "k", timeout=0.1).send("+8613800000000", "x", "K1")


def test_a_refused_connection_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        SmsGateway(f"http://127.0.0.1:{port}/sms", "k").send("+8613800000000", "x", "K1")


def test_no_gateway_configured_is_permanent() -> None:
    with pytest.raises(PermanentDeliveryError, match="QINGSHOU_SMS_GATEWAY_URL"):
        SmsGateway("", "k").send("+8613800000000", "x", "K1")


def test_without_an_api_key_no_authorization_header_is_sent(gateway: Gateway) -> None:
    assert SmsGateway(gateway.url, "").send("+8613800000000", "x", "K1") == "gw-1"
    assert gateway.requests[0]["auth"] is None
