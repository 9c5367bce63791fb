from django.contrib import admin
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from rest_framework_simplejwt.views import TokenObtainPairView

import realtime
from visits.api import VisitBookApi

router = DefaultRouter()
router.register("notifications", realtime.NotificationViewSet, basename="notification")

urlpatterns = [
    path("admin/", admin.site.urls),  # /live/ links back to it
    path("api/auth/token/", TokenObtainPairView.as_view(), name="token"),
    path("api/visits/", VisitBookApi.as_view(), name="visit-book"),
    path("api/", include(router.urls)),  # /api/notifications/
    path("", include(realtime.urls)),  # /live/, /realtime/example/, /api/realtime/ticket/
    path("", include(realtime.operations_urls)),  # /healthz, /readyz, /metrics
]
