"""REST for a user's stored notifications: ``GET /api/notifications/?unread=true``,
``POST /api/notifications/<id>/read/`` and ``POST /api/notifications/read-all/``; and the
one-time socket tickets, ``POST /api/realtime/ticket/`` (``realtime.web.urls``)."""

from __future__ import annotations

from typing import cast

from django.db.models import QuerySet

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from realtime.log import selectors, services
from realtime.sockets import tickets
from realtime.models import Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "type", "data", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Notification]):
    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Notification]:
        notifications = selectors.notifications_of(_signed_in(self.request)).order_by("-created_at", "-id")
        unread = self.request.query_params.get("unread")
        if unread is not None:
            if unread.lower() not in ("true", "false", "1", "0"):
                raise serializers.ValidationError({"unread": "Use true or false."})
            notifications = notifications.filter(read_at__isnull=unread.lower() in ("true", "1"))
        return notifications

    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = self.get_object()
        services.notifications_mark_read(user_id=_signed_in(request), ids=[notification.pk])
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("MarkedRead", {"marked_read": serializers.ListField(child=serializers.IntegerField())}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked_read": services.notifications_mark_read(user_id=_signed_in(request))})


class TicketView(APIView):
    """A one-time ticket for one socket of the signed-in user, valid for ``expires_in`` seconds:
    ``ws/<channel>/?ticket=…`` then keeps the access token out of URLs that get logged."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "SocketTicket", {"ticket": serializers.CharField(), "expires_in": serializers.IntegerField()}
        ),
    )
    def post(self, request: Request) -> Response:
        ticket = tickets.ticket_create(user_id=_signed_in(request))
        return Response({"ticket": ticket, "expires_in": tickets.TICKET_SECONDS})


def _signed_in(request: Request) -> int:
    """The id of the request's user, signed in: every view here requires ``IsAuthenticated``."""
    return cast(int, request.user.pk)
