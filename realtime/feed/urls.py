"""The change feed's routes; a project includes them at its root: ``path("", include(realtime.feed_urls))``."""

from django.urls import path

from realtime.feed import views

app_name = "realtime_feed"

urlpatterns = [
    path("api/events/", views.EventsView.as_view(), name="events"),
    path("api/events/stream", views.EventStreamView.as_view(), name="stream"),
]
