from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

import realtime

from petland import views

urlpatterns = [
    path("", views.home, name="home"),
    path("chat/", views.chat, name="chat"),
    # Browsers ask for /favicon.ico whatever the page says; point them at the SVG one.
    path("favicon.ico", RedirectView.as_view(url=static("petland/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/", include("petland.api.urls")),
    path("", include(realtime.urls)),  # /live/, /realtime/example/, /api/realtime/ticket/
    path("", include(realtime.operations_urls)),  # /healthz, /readyz, /metrics
    path("", include(realtime.feed_urls)),  # /api/events/, /api/events/stream: the change feed
]
