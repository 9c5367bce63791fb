"""PetLand's sockets in process (tests/support/sockets.py, shared with examples/clinic's suite)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from petland.asgi import application
from tests.support import sockets
from tests.support.sockets import OpenSocket, token_for

__all__ = ["Socket", "open_socket", "token_for"]


class Socket(sockets.Socket):
    """A client of PetLand's application on one channel."""

    def __init__(self, path: str, headers: sockets.Headers | None = None) -> None:
        super().__init__(application, path, headers)


@pytest.fixture
async def open_socket() -> AsyncIterator[OpenSocket]:
    async with sockets.socket_opener(application) as open_socket:
        yield open_socket
