"""In-process socket clients over Channels' communicator, for any project's ASGI application:
PetLand's suite and the example project's (examples/clinic) both open their sockets with these."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AbstractBaseUser
from rest_framework_simplejwt.tokens import AccessToken

from realtime.delivery.hub import Hub

Headers = list[tuple[bytes, bytes]]
OpenSocket = Callable[..., Awaitable[tuple["Socket", dict[str, Any]]]]


def token_for(user: AbstractBaseUser) -> str:
    return str(AccessToken.for_user(user))


class Socket:
    """A test client on one channel: connects, reads JSON messages, notes the close code."""

    def __init__(self, application: Any, path: str, headers: Headers | None = None) -> None:
        self.communicator = WebsocketCommunicator(application, path, headers=headers or [])
        self.connected = False
        self.close_code: int | None = None

    async def connect(self) -> dict[str, Any]:
        self.connected, _ = await self.communicator.connect(timeout=10)
        assert self.connected
        return await self.receive()

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            self.close_code = output.get("code")
            return {"type": "<closed>", "code": self.close_code}
        return json.loads(output["text"])

    async def receive_type(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        while (message := await self.receive(timeout))["type"] != kind:
            pass
        return message

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.communicator.send_to(text_data=message if isinstance(message, str) else json.dumps(message))

    async def nothing_more(self, timeout: float = 0.5) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()


@asynccontextmanager
async def socket_opener(application: Any) -> AsyncIterator[OpenSocket]:
    """``open_socket("visits", alice, query="last_event_id=3", headers=[...])`` gives the socket
    and its first message. When the block ends, every socket opened is disconnected and the
    process's hub stopped: the next test starts from none, on its own event loop."""
    sockets: list[Socket] = []

    async def open_socket(
        channel: str, user: AbstractBaseUser | None = None, query: str = "", headers: Headers | None = None
    ) -> tuple[Socket, dict[str, Any]]:
        params = [f"token={token_for(user)}"] if user is not None else []
        params += [query] if query else []
        socket = Socket(application, f"/ws/{channel}/" + (f"?{'&'.join(params)}" if params else ""), headers)
        sockets.append(socket)
        return socket, await socket.connect()

    try:
        yield open_socket
    finally:
        for socket in sockets:
            await socket.close()
        await Hub.stop_running()
        await asyncio.sleep(0)
