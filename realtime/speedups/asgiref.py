"""asgiref's thread-sensitive context, from the inside.

Internals used (pinned by tests/realtime/speedups/test_asgiref.py): the context variable
``SyncToAsync.thread_sensitive_context``, set (to the context's key) while sync code runs
under a ``ThreadSensitiveContext``.
"""

from __future__ import annotations

from asgiref.sync import SyncToAsync


def in_a_thread_of_its_own() -> bool:
    """Whether this sync code runs under a ``ThreadSensitiveContext`` (Django's ASGI handlers
    give each request one, with a thread of its own), rather than in the thread that all other
    thread-sensitive sync code shares."""
    return SyncToAsync.thread_sensitive_context.get(None) is not None
