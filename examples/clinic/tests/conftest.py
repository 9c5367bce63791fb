"""Personas: ``staff`` sees every visit; ``alice`` and ``bob`` are clients, and bob must never see
alice's visits. ``open_socket`` connects to the clinic's own ASGI application in-process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from clinic.asgi import application
from tests.factories import StaffFactory, UserFactory


@pytest.fixture
def staff(db):
    return StaffFactory(username="sam_staff")


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def token_for(user) -> str:
    return str(AccessToken.for_user(user))


class Socket:
    """A client of one channel: reads JSON frames, notes the close code."""

    def __init__(self, path: str):
        self.communicator = WebsocketCommunicator(application, path)
        self.close_code: int | None = None

    async def receive(self, timeout: float = 5) -> dict:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            self.close_code = output.get("code")
            return {"type": "<closed>", "code": self.close_code}
        return json.loads(output["text"])

    async def receive_type(self, kind: str, timeout: float = 5) -> dict:
        while (message := await self.receive(timeout))["type"] != kind:
            pass
        return message

    async def send(self, message: dict) -> None:
        await self.communicator.send_to(text_data=json.dumps(message))

    async def nothing_more(self, timeout: float = 0.5) -> bool:
        return await self.communicator.receive_nothing(timeout)


@pytest.fixture
async def open_socket() -> AsyncIterator:
    """``await open_socket("visits", alice, query="last_event_id=3")``: the socket and its first
    frame. Every socket is disconnected at the end of the test."""
    sockets: list[Socket] = []

    async def _open(channel: str, user=None, query: str = "") -> tuple[Socket, dict]:
        params = [f"token={token_for(user)}"] if user is not None else []
        params += [query] if query else []
        socket = Socket(f"/ws/{channel}/" + (f"?{'&'.join(params)}" if params else ""))
        sockets.append(socket)
        connected, _ = await socket.communicator.connect(timeout=10)
        assert connected
        return socket, await socket.receive()

    yield _open
    for socket in sockets:
        await socket.communicator.disconnect()
