"""Web Push's routes, included by ``realtime.web.urls``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from realtime.push import api, views

router = SimpleRouter()
router.register("api/push/subscriptions", api.PushSubscriptionViewSet, basename="push-subscription")

urlpatterns = [
    path("api/push/key/", api.PushKeyView.as_view(), name="push-key"),
    path("realtime/sw.js", views.service_worker, name="service-worker"),
    *router.urls,
]
