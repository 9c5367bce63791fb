"""Django's ASGI handler, with the middleware chain and the view in one thread hop.

Django's own handler runs the middleware chain in the event loop, and every middleware built on
``MiddlewareMixin`` (all of Django's) then calls its ``process_request`` and ``process_response``
through ``sync_to_async``: a dozen trips between the loop and the request's thread per request,
each a thread wake-up and a loop wake-up, around a view that is sync anyway (DRF, the admin).
This handler loads the chain in sync mode, as under WSGI, and runs it with the view in the
request's thread in one trip. Reading the body, the request signals, disconnects and sending
the response stay Django's.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers import asgi
from django.http import FileResponse, HttpRequest, HttpResponseBase


class ASGIHandler(asgi.ASGIHandler):
    def __init__(self) -> None:
        # Not super().__init__(), which loads the chain in async mode.
        self.load_middleware(is_async=False)

    async def run_get_response(self, request: HttpRequest) -> HttpResponseBase:
        response = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        # As Django's: larger chunks for file responses (the ASGI server chunks them itself).
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        return response
