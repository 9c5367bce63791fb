"""The real-time app's pages; a project includes them at its root:
``path("", include("realtime.urls"))``."""

from django.urls import path

from realtime import views

app_name = "realtime"

urlpatterns = [
    path("live/", views.live, name="live"),
    path("realtime/example/", views.example, name="example"),
]
