"""``GET /api/events/`` and ``GET /api/events/stream``: thin views that check who asks and what,
read the first page in the request's thread, and hand waiting and streaming to the event loop
(``realtime.feed.streaming``)."""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.views import APIView

from realtime.feed import streaming
from realtime.feed.access import FeedReader, Reader, feed_authenticators
from realtime.feed.params import DEFAULT_LIMIT, MAX_LIMIT, MAX_WAIT, feed_query
from realtime.feed.reading import Resync, feed_page

JSON = "application/json"
NDJSON = "application/x-ndjson"
UNCACHED = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # nginx passes it on at once

_CURSOR = [
    OpenApiParameter("after", int, description="Events after this event_id (0: from the oldest kept)"),
    OpenApiParameter("channels", str, description="Comma-separated channels (default: all the caller may read)"),
]


class _FeedView(APIView):
    permission_classes = [FeedReader]

    def get_authenticators(self) -> list[BaseAuthentication]:
        return feed_authenticators()

    @staticmethod
    def remote(request: Request) -> str:
        return str(request.META.get("REMOTE_ADDR", ""))

    @staticmethod
    def on_asgi(request: Request) -> bool:
        """Waiting and streaming happen on the ASGI server's event loop, beside its hub; under
        WSGI (``runserver``, the test client) a long-poll answers at once and there is no stream."""
        return isinstance(request._request, ASGIRequest)


class EventsView(_FeedView):
    """A page of events after ``after``; with ``wait``, held until there is one (long-poll)."""

    @extend_schema(
        parameters=[
            *_CURSOR,
            OpenApiParameter("limit", int, description=f"Events at most (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})"),
            OpenApiParameter("wait", int, description=f"Seconds to wait for an event when there is none (0–{MAX_WAIT})"),
        ],
        responses={200: OpenApiTypes.OBJECT, 410: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Any:
        reader = Reader.of(request)
        query = feed_query(request, reader, waits=True)
        page = feed_page(
            after=query.after, channels=query.channels, user_id=reader.user_id, is_staff=reader.is_staff, limit=query.limit
        )
        if isinstance(page, Resync):
            return HttpResponse(page.json(), status=410, content_type=JSON, headers=UNCACHED)
        if page.texts or page.has_more or not query.wait or not self.on_asgi(request):
            return HttpResponse(page.json(), content_type=JSON, headers=UNCACHED)
        return StreamingHttpResponse(
            streaming.long_poll(reader, query, self.remote(request)), content_type=JSON, headers=UNCACHED
        )


class EventStreamView(_FeedView):
    """Every event after ``after``, then each new one, as newline-delimited JSON."""

    @extend_schema(exclude=True)  # not JSON: documented in docs/protocol.md
    def get(self, request: Request) -> Any:
        reader = Reader.of(request)
        query = feed_query(request, reader, waits=False)
        if not self.on_asgi(request):
            return JsonResponse({"detail": "The stream is served by the ASGI server (daphne) only."}, status=501)
        return StreamingHttpResponse(streaming.stream(reader, query, self.remote(request)), content_type=NDJSON, headers=UNCACHED)
