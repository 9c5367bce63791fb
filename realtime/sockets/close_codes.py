"""The close codes a socket may end with (docs/protocol.md, "Close codes")."""

GOING_AWAY = 1001  # the server process is stopping: reconnect with last_event_id
POLICY = 1008  # rate limited, too many connections
TOO_BIG = 1009  # a frame over MAX_MESSAGE_BYTES
SLOW_CONSUMER = 4008  # the client stopped reading: reconnect with last_event_id
UNAUTHENTICATED = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404

HANDSHAKE_SECONDS = 10.0  # a client busy this long still gets its error and close code

# daphne's ASGI ``websocket.close`` sends only 1000 and 3000–4999 (autobahn's ``sendClose``
# refuses the rest). With the speed-ups off (nothing reaches past it), a close with one of these
# codes is sent as its stand-in instead: HTTP's status in the 4000s, as 4401/4403/4404 are.
# A client reacts to each as to the code it stands for (docs/protocol.md, "Close codes").
ASGI_STAND_INS = {
    GOING_AWAY: 4503,  # reconnect with last_event_id
    POLICY: 4429,  # do not reconnect
    TOO_BIG: 4413,  # fix the client
}


def sendable(code: int) -> int:
    """``code`` as a server's ``websocket.close`` can send it (``ASGI_STAND_INS``)."""
    return ASGI_STAND_INS.get(code, code)
