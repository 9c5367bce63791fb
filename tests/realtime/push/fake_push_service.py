"""A push service of the tests' own: an HTTP server on a loopback port that records every
request the worker makes and answers what the test scripts (201 unless told otherwise); and
a browser's side of a subscription (its keys), which decrypts what arrives with ``http_ece``
and checks the VAPID token as a real push service would."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class FakePushService:
    host: str = "127.0.0.1"
    received: list[Received] = field(default_factory=list)
    answers: dict[str, deque[tuple[int, dict[str, str]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                service.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                queue = service.answers.get(self.path)
                status, headers = queue.popleft() if queue else (201, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((self.host, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.server.server_port}"

    def start(self) -> FakePushService:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str, status: int, headers: dict[str, str] | None = None, times: int = 1) -> None:
        """Answer the next ``times`` pushes to ``path`` with ``status`` (then 201 again)."""
        self.answers.setdefault(path, deque()).extend([(status, headers or {})] * times)

    def to(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]


class BrowserSubscription:
    """What a browser holds for one subscription: its P-256 key pair and auth secret."""

    def __init__(self, service: FakePushService) -> None:
        self.path = f"/push/{b64url(os.urandom(18))}"  # the endpoint's secret part
        self.endpoint = service.origin + self.path
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def to_json(self) -> dict[str, Any]:
        """As ``PushSubscription.toJSON()`` gives it."""
        point = self.private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}

    def decrypt(self, request: Received) -> dict[str, Any]:
        assert request.headers["content-encoding"] == "aes128gcm"
        plain = http_ece.decrypt(request.body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


def vapid_claims(request: Received, public_key: str) -> dict[str, Any]:
    """The VAPID token's claims (RFC 8292), after checking its ES256 signature with the
    server's public key, which the header must name (``vapid t=…, k=…``)."""
    scheme, _, params = request.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    parts = dict(item.strip().split("=", 1) for item in params.split(","))
    assert parts["k"] == public_key
    header, claims, signature = parts["t"].split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    return json.loads(unb64url(claims))


def wait_until(condition: Any, timeout: float = 20.0, interval: float = 0.05) -> Any:
    """The first truthy value of ``condition()`` within ``timeout`` seconds, else AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not within {timeout}s: {condition}")
