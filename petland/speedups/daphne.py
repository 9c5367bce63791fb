"""daphne's HTTP requests, from the inside.

Internals used (pinned by tests/petland/speedups/test_daphne.py): daphne's requests are
``daphne.http_protocol.WebRequest``, a Twisted ``Request`` whose ``__init__`` takes Twisted's
``parsePOSTFormSubmission`` keyword.
"""

from __future__ import annotations

import functools
from typing import Any


def skip_form_parsing() -> None:
    """daphne's HTTP requests are Twisted ``Request``s, which parse a POST's form body
    (``x-www-form-urlencoded`` or ``multipart/form-data``) into ``request.args`` before daphne
    hands the raw body to the application. daphne never reads ``args``, and Django parses the
    body itself. Twisted's ``parsePOSTFormSubmission=False`` skips that work: the content type's
    parse through the ``email`` package (≈ 40 µs on every POST with a body), a second copy of
    every upload, and Twisted's own bare 400 for a multipart body Django would have judged."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # served by another ASGI server
        return
    if getattr(WebRequest.__init__, "skips_form_parsing", False):
        return
    init = WebRequest.__init__

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parsePOSTFormSubmission", False)
        init(self, *args, **kwargs)

    __init__.skips_form_parsing = True  # type: ignore[attr-defined]
    WebRequest.__init__ = __init__
