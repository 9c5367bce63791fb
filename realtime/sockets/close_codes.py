"""The close codes a socket may end with (docs/protocol.md, "Close codes")."""

GOING_AWAY = 1001  # the server process is stopping: reconnect with last_event_id
POLICY = 1008  # rate limited, too many connections
TOO_BIG = 1009  # a frame over MAX_MESSAGE_BYTES
SLOW_CONSUMER = 4008  # the client stopped reading: reconnect with last_event_id
UNAUTHENTICATED = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404

HANDSHAKE_SECONDS = 10.0  # a client busy this long still gets its error and close code
