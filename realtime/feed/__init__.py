"""The change feed for integrations: ``GET /api/events/`` (pages, and long-polls with ``?wait``)
and ``GET /api/events/stream`` (newline-delimited JSON), read from the event log after a
cursor, for staff and for integration keys (docs/protocol.md, "Change feed")."""
