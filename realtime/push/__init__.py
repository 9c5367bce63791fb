"""Web Push (RFC 8030, 8291, 8292): browsers' subscriptions (``/api/push/…``), and the push
worker (``manage.py push_worker``) that follows the event log and pushes each stored
notification to the subscriptions of a user who has been away (docs/operations.md)."""
