"""Presence: who has a record open on a channel right now, and whether they are editing it,
across every server process (docs/protocol.md, "Presence").

``members`` merges one user's entries into a member and diffs member lists; ``store`` keeps
each process's entries in Redis with an expiry (or nowhere, with one process); ``topics`` holds
what one process knows of a topic; ``process`` is a hub's presence (joins, leaves, watches,
refreshes, expiry); ``access`` decides who may join; ``handlers`` are the client messages;
``selectors`` answers "who is here" for sync code. Presence is never stored in the event log.
"""
