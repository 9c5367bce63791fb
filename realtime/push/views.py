"""The service worker, served from ``/realtime/sw.js`` with ``Service-Worker-Allowed: /``, so
that a page registers it for the whole site (``scope: "/"``) while the file stays with the
app's static files (docs/client.md)."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

SCRIPT = "realtime/sw.js"


@never_cache  # browsers check for a new service worker on every registration
def service_worker(request: HttpRequest) -> HttpResponse:
    path = finders.find(SCRIPT)
    if not path:
        raise Http404("no service worker script")
    with open(path, "rb") as script:
        response = HttpResponse(script.read(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response
