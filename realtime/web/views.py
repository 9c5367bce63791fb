"""Pages of the real-time app: ``/live/``, the staff's stream of every channel, and
``/realtime/example/``, the example page of the browser client (docs/client.md)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from realtime.log import selectors
from realtime.log.messages import ACTIONS
from realtime.declaring.registry import registry


def _channels() -> list[str]:
    return [publication.channel for publication in registry().publications]


@staff_member_required
def live(request: HttpRequest) -> HttpResponse:
    """Every event of every channel as it happens, for staff (others go to the admin login)."""
    config = {
        "channels": _channels(),
        "actions": [*ACTIONS, "notification"],
        # Resume from here, so nothing committed between this render and the sockets' connect is lost.
        "lastEventId": selectors.last_seq(),
    }
    context = {**admin.site.each_context(request), "title": "Live events", "config": config}
    return render(request, "realtime/live.html", context)


def example(request: HttpRequest) -> HttpResponse:
    """A page that shows the browser client at work; it holds no data of its own."""
    return render(request, "realtime/example.html", {"channels": _channels()})
