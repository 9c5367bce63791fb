from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter
from rest_framework_simplejwt.views import TokenRefreshView

from petland.api import chat, views
from realtime import NotificationViewSet

router = DefaultRouter()
router.register("pets", views.PetViewSet, basename="pet")
router.register("services", views.ServiceViewSet, basename="service")
router.register("reservations", views.ReservationViewSet, basename="reservation")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("medical-history", views.MedicalRecordViewSet, basename="medical-record")
router.register("employees", views.EmployeeViewSet, basename="employee")
router.register("activity-logs", views.ActivityLogViewSet, basename="activity-log")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("users/me/", views.MeView.as_view(), name="users-me"),
    path("auth/token/", views.TokenObtainPairView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("reservations/<int:reservation_id>/messages/", chat.MessagesView.as_view(), name="chat-messages"),
    path("reservations/<int:reservation_id>/messages/read/", chat.ReadView.as_view(), name="chat-read"),
    path("reservations/<int:reservation_id>/messages/<int:message_id>/", chat.MessageView.as_view(), name="chat-message"),
    path("conversations/", chat.ConversationsView.as_view(), name="conversations"),
    path("", include(router.urls)),
]
