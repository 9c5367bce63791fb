from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("petland.api.urls")),
    path("", include("realtime.urls")),  # /live/ and /realtime/example/
    path("", include("realtime.operations_urls")),  # /healthz, /readyz, /metrics
]
