"""Django's ASGI handler, with the middleware chain and the view in one thread hop.

Django's own handler runs the middleware chain in the event loop, and every middleware built on
``MiddlewareMixin`` (all of Django's) then calls its ``process_request`` and ``process_response``
through ``sync_to_async``: a dozen trips between the loop and the request's thread per request,
each a thread wake-up and a loop wake-up, around a view that is sync anyway (DRF, the admin).
This handler loads the chain in sync mode, as under WSGI, and runs it with the view in the
request's thread in one trip. Reading the body, the request signals, disconnects and sending
the response stay Django's.

Django also starts a new thread for each request (a ``ThreadSensitiveContext`` with its own
executor) and joins it at the end. This handler keeps those single-thread executors and gives
an idle one to the next request: each request still runs all its sync code in one thread of its
own, as Django's does, without a thread start and join per request.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers import asgi
from django.db import connections
from django.http import FileResponse, HttpRequest, HttpResponseBase


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

    async def run_get_response(self, request: HttpRequest) -> HttpResponseBase:
        response = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        # As Django's: larger chunks for file responses (the ASGI server chunks them itself).
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        return response
