"""Blocking WebSocket clients of a running server (``websockets.sync``), as a script or another
service would connect: open one as a persona, read JSON messages, tell silence from a close."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from websockets.sync.client import ClientConnection, connect

from tests.support.servers import LoopbackServer
from tests.support.sockets import token_for


def open_ws(
    server: LoopbackServer, channel: str, user: AbstractBaseUser | None = None, query: str = "", **kwargs: Any
) -> ClientConnection:
    params = ([f"token={token_for(user)}"] if user is not None else []) + ([query] if query else [])
    url = f"{server.ws}/ws/{channel}/" + (f"?{'&'.join(params)}" if params else "")
    return connect(url, open_timeout=10, **kwargs)


def recv(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=timeout))


def recv_until(ws: ClientConnection, kind: str, timeout: float = 5) -> dict[str, Any]:
    while (message := recv(ws, timeout))["type"] != kind:
        pass
    return message


def silent(ws: ClientConnection, timeout: float = 0.5) -> bool:
    try:
        ws.recv(timeout=timeout)
    except TimeoutError:
        return True
    return False
