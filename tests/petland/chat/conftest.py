"""The chat's fixtures: sockets as the realtime tests open them."""

from tests.realtime.conftest import open_socket, token_for  # noqa: F401 - the socket fixture, reused
