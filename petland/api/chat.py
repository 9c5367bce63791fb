"""The conversation of a reservation (issue 16): history and new messages, edits and deletes,
the read marker, and the caller's conversations with their unread counts. Thin: the reservation
is found among those the caller takes part in (anyone else: 404, as for the reservation itself),
input is checked by the serializers, writes go to ``petland.chat.services``."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from petland.api.throttles import ChatMessageThrottle, WriteThrottle
from petland.api.views import signed_in
from petland.chat import selectors, services
from petland.models import Message, Reservation


class StrictCharField(serializers.CharField):
    """Text that must be sent as a JSON string (DRF's CharField turns 42 into "42")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class MessageSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "reservation", "author", "author_name", "body", "created_at", "edited_at", "deleted"]
        read_only_fields = fields

    def get_author_name(self, message: Message) -> str:
        return message.author.get_short_name() or message.author.get_username()


class MessageInput(serializers.Serializer):
    body = StrictCharField(max_length=Message.MAX_BODY)


class ReadInput(serializers.Serializer):
    up_to = serializers.IntegerField(min_value=1, help_text="The id of the newest message read")


class ReadOutput(serializers.Serializer):
    reservation = serializers.IntegerField()
    up_to = serializers.IntegerField()


class HistoryOutput(serializers.Serializer):
    results = MessageSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The older page, or null at the start of the conversation")


class ConversationSerializer(serializers.Serializer):
    reservation = serializers.IntegerField(source="pk")
    last_message = serializers.SerializerMethodField()
    unread = serializers.IntegerField(help_text="Others' messages after the caller's read marker")

    def get_last_message(self, row: Reservation) -> dict[str, Any]:
        return MessageSerializer(self.context["last_messages"][row.last_message_id]).data  # type: ignore[attr-defined]  # annotated by selectors.conversations


def _number(request: Request, name: str, *, default: int | None, low: int = 1, high: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < low or int(raw) >= 2**63:
        raise ValidationError({name: [f"A whole number of at least {low}."]})
    return min(int(raw), high) if high is not None else int(raw)


class ConversationView(APIView):
    """A view of one conversation: its reservation found among those the caller takes part in."""

    permission_classes = [IsAuthenticated]

    def reservation(self) -> Reservation:
        found = selectors.conversation_of(self.kwargs["reservation_id"], signed_in(self.request))
        if found is None:
            raise Http404
        return found

    def message(self, reservation: Reservation) -> Message:
        found = Message.objects.select_related("author", "reservation").filter(
            reservation=reservation, pk=self.kwargs["message_id"]
        )
        message = found.first()
        if message is None:
            raise Http404
        return message


class MessagesView(ConversationView):
    throttle_classes = [WriteThrottle, ChatMessageThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, description="Only messages older than this message id (the older pages)"),
            OpenApiParameter("limit", int, description=f"At most this many (1–{selectors.MAX_PAGE}, default 50)"),
        ],
        responses=HistoryOutput,
        summary="A page of the conversation: the newest first, oldest first within the page",
    )
    def get(self, request: Request, reservation_id: int) -> Response:
        reservation = self.reservation()
        before = _number(request, "before", default=None)
        limit = _number(request, "limit", default=selectors.DEFAULT_PAGE, high=selectors.MAX_PAGE)
        assert limit is not None
        page = selectors.history_page(reservation, before=before, limit=limit)
        older = None
        if page.older is not None:
            older = request.build_absolute_uri(f"{request.path}?before={page.older}&limit={limit}")
        return Response({"results": MessageSerializer(page.messages, many=True).data, "next": older})

    @extend_schema(request=MessageInput, responses={201: MessageSerializer}, summary="Send a message")
    def post(self, request: Request, reservation_id: int) -> Response:
        reservation = self.reservation()
        given = MessageInput(data=request.data)
        given.is_valid(raise_exception=True)
        message = services.message_post(reservation=reservation, author=signed_in(request), body=given.validated_data["body"])
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class MessageView(ConversationView):
    @extend_schema(request=MessageInput, responses=MessageSerializer, summary="Edit a message (its author, for 15 minutes)")
    def patch(self, request: Request, reservation_id: int, message_id: int) -> Response:
        message = self.message(self.reservation())
        given = MessageInput(data=request.data)
        given.is_valid(raise_exception=True)
        message = services.message_edit(message=message, actor=signed_in(request), body=given.validated_data["body"])
        return Response(MessageSerializer(message).data)

    @extend_schema(responses={204: None}, summary="Delete a message (its author for 15 minutes, staff at any time)")
    def delete(self, request: Request, reservation_id: int, message_id: int) -> Response:
        services.message_delete(message=self.message(self.reservation()), actor=signed_in(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadView(ConversationView):
    @extend_schema(request=ReadInput, responses=ReadOutput, summary="Move the caller's read marker forward")
    def post(self, request: Request, reservation_id: int) -> Response:
        reservation = self.reservation()
        given = ReadInput(data=request.data)
        given.is_valid(raise_exception=True)
        marker = services.read_marker_move(
            reservation=reservation, reader=signed_in(request), up_to=given.validated_data["up_to"]
        )
        return Response({"reservation": reservation.pk, "up_to": marker.up_to})


class ConversationsView(generics.ListAPIView):
    """The caller's conversations that have messages, newest activity first."""

    permission_classes = [IsAuthenticated]
    serializer_class = ConversationSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.conversations(signed_in(self.request), unread_only=self.request.query_params.get("unread") == "true")

    @extend_schema(parameters=[OpenApiParameter("unread", bool, description="true: only those with unread messages")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        rows = args[0] if args else []
        last_messages = selectors.messages_by_id(row.last_message_id for row in rows)  # one query per page
        kwargs["context"] = {**self.get_serializer_context(), "last_messages": last_messages}
        return super().get_serializer(*args, **kwargs)
