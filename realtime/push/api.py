"""REST for Web Push: ``GET /api/push/key/`` (the VAPID public key, the browser's
``applicationServerKey``) and ``/api/push/subscriptions/`` (list, create with the browser's
``PushSubscription.toJSON()``, delete), each user's own only."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from realtime.models import PushSubscription
from realtime.push import endpoints, keys, selectors, services


class PushKeyView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={
            200: inline_serializer("PushKey", {"public_key": serializers.CharField()}),
            404: inline_serializer("PushOff", {"detail": serializers.CharField()}),
        }
    )
    def get(self, request: Request) -> Response:
        if not keys.is_configured():
            return Response({"detail": "Web Push is off on this server (no VAPID keys)."}, status=status.HTTP_404_NOT_FOUND)
        return Response({"public_key": keys.public_key()})


class _Keys(serializers.Serializer[dict[str, str]]):
    p256dh = serializers.CharField(max_length=100)
    auth = serializers.CharField(max_length=40)

    def validate_p256dh(self, value: str) -> str:
        return _checked(value, endpoints.p256dh_problem(value))

    def validate_auth(self, value: str) -> str:
        return _checked(value, endpoints.auth_problem(value))


def _checked(value: str, problem: str | None) -> str:
    if problem:
        raise serializers.ValidationError(problem)
    return value


class PushSubscriptionSerializer(serializers.ModelSerializer[PushSubscription]):
    """In: ``{"endpoint", "keys": {"p256dh", "auth"}}`` (``expirationTime`` is ignored);
    out: ``{"id", "endpoint", "created_at"}``."""

    endpoint = serializers.CharField(max_length=endpoints.MAX_ENDPOINT_LENGTH)
    keys = _Keys(write_only=True)

    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "keys", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_endpoint(self, value: str) -> str:
        return _checked(value, endpoints.endpoint_problem(value))


class PushSubscriptionViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[PushSubscription]
):
    serializer_class = PushSubscriptionSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None  # at most WEBPUSH_MAX_SUBSCRIPTIONS
    filter_backends: list[type] = []  # nothing to search or order among so few

    def get_queryset(self) -> Any:
        return selectors.subscriptions_of(_signed_in(self.request))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            subscription, _ = services.subscription_save(
                user_id=_signed_in(request), endpoint=data["endpoint"], p256dh=data["keys"]["p256dh"], auth=data["keys"]["auth"]
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return Response(self.get_serializer(subscription).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: PushSubscription) -> None:
        services.subscription_delete(user_id=_signed_in(self.request), subscription_id=instance.pk)


def _signed_in(request: Request) -> int:
    """The id of the request's user, signed in: every view here requires ``IsAuthenticated``."""
    return cast(int, request.user.pk)
