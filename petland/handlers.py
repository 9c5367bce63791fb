"""Django's ASGI handler, with a request's sync work in two thread hops instead of six.

Django's own handler runs the middleware chain in the event loop, and every middleware built on
``MiddlewareMixin`` (all of Django's) then calls its ``process_request`` and ``process_response``
through ``sync_to_async``: a dozen trips between the loop and the request's thread per request,
each a thread wake-up and a loop wake-up, around a view that is sync anyway (DRF, the admin).
Around that, it sends ``request_started`` (whose receivers are sync) through a trip of its own,
and closes the response (``request_finished``) through another.

This handler loads the chain in sync mode, as under WSGI, and makes two trips: one from
``request_started`` to the finished response (the chain and the view included), and one after
the response is sent, to close it. Reading the body and sending the response stay Django's.
Unlike Django's, it does not listen for the client's disconnect while the view runs: a sync
view runs to its end either way, and the server drops a response whose client has gone.

Django also starts a new thread for each request (a ``ThreadSensitiveContext`` with its own
executor) and joins it at the end. This handler keeps those single-thread executors and gives
an idle one to the next request: each request still runs all its sync code in one thread of its
own, as Django's does, without a thread start and join per request.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import asgi
from django.db import connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


class RequestThreads:
    """Single-thread executors for requests, each reused once its thread is idle again."""

    def __init__(self, keep: int = 16) -> None:
        self.keep = keep  # idle threads kept for later requests; more are stopped
        self._idle: list[ThreadPoolExecutor] = []

    def take(self) -> ThreadPoolExecutor:
        try:
            return self._idle.pop()
        except IndexError:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def __len__(self) -> int:
        """Idle threads, ready for the next request."""
        return len(self._idle)

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        # A view can outlive its request (a client that went away cancels only the awaiting):
        # the executor is idle again once a job queued behind it has run. That job closes the
        # thread's database connections, as the end of Django's per-request thread did: a
        # request that ended early (no ``request_finished``) must not leave one open.
        executor.submit(connections.close_all).add_done_callback(lambda _: self._keep_or_stop(executor))

    def _keep_or_stop(self, executor: ThreadPoolExecutor) -> None:
        if len(self._idle) < self.keep:
            self._idle.append(executor)  # list.append is atomic: safe from the worker thread
        else:
            executor.shutdown(wait=False)


class ASGIHandler(asgi.ASGIHandler):
    def __init__(self) -> None:
        # Not super().__init__(), which loads the chain in async mode.
        self.load_middleware(is_async=False)
        self.threads = RequestThreads()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.threads.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give_back(executor)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(asgi.get_script_prefix(scope))
        try:
            response = await sync_to_async(self.serve, thread_sensitive=True)(scope, body_file)
        except BaseException:
            body_file.close()
            raise
        try:
            await self.send_response(response, send)
        finally:
            await sync_to_async(self.close, thread_sensitive=True)(response, body_file)

    def serve(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """In the request's thread: ``request_started``, the request, the chain and the view."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:  # then Django's create_request gave the error response
            return cast(HttpResponseBase, error_response)
        response = self.get_response(request)
        response._handler_class = self.__class__  # type: ignore[attr-defined]  # as Django's handler does; not in the stubs
        # As Django's: larger chunks for file responses (the ASGI server chunks them itself).
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        return response

    def close(self, response: HttpResponseBase, body_file: Any) -> None:
        """In the request's thread, after the response is sent: ``request_finished``."""
        try:
            response.close()
        finally:
            body_file.close()


def skip_daphne_form_parsing() -> None:
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
