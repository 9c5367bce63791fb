from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from petland.asgi import application
from realtime.delivery.hub import Hub


def token_for(user) -> str:
    return str(AccessToken.for_user(user))


class Socket:
    """A test client on one channel: connects, reads JSON messages, always disconnects."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]] | None = None):
        self.communicator = WebsocketCommunicator(application, path, headers=headers or [])
        self.connected = False
        self.close_code: int | None = None

    async def connect(self) -> dict:
        self.connected, _ = await self.communicator.connect(timeout=5)
        assert self.connected
        return await self.receive()

    async def receive(self, timeout: float = 3) -> dict:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            self.close_code = output.get("code")
            return {"type": "<closed>", "code": self.close_code}
        return json.loads(output["text"])

    async def receive_type(self, kind: str, timeout: float = 3) -> dict:
        while True:
            message = await self.receive(timeout)
            if message["type"] == kind:
                return message

    async def send(self, message: dict | str) -> None:
        await self.communicator.send_to(text_data=message if isinstance(message, str) else json.dumps(message))

    async def nothing_more(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
async def open_socket() -> AsyncIterator:
    sockets: list[Socket] = []

    async def _open(channel: str, user=None, query: str = "", headers=None) -> tuple[Socket, dict]:
        params = [f"token={token_for(user)}"] if user is not None else []
        if query:
            params.append(query)
        path = f"/ws/{channel}/" + (f"?{'&'.join(params)}" if params else "")
        socket = Socket(path, headers)
        sockets.append(socket)
        first = await socket.connect()
        return socket, first

    yield _open
    for socket in sockets:
        await socket.close()
    await Hub.stop_running()
    await asyncio.sleep(0)
