"""The real-time app's pages and its socket-ticket endpoint; a project includes them at its
root: ``path("", include("realtime.web.urls"))``."""

from django.urls import path

from realtime.push import urls as push_urls
from realtime.web import api, views

app_name = "realtime"

urlpatterns = [
    path("live/", views.live, name="live"),
    path("realtime/example/", views.example, name="example"),
    path("api/realtime/ticket/", api.TicketView.as_view(), name="ticket"),
    *push_urls.urlpatterns,  # /api/push/key/, /api/push/subscriptions/, /realtime/sw.js
]
