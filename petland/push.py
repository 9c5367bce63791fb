"""What a PetLand notification says as a push (``REALTIME["WEBPUSH_CONTENT"]``): title, body,
page to open, urgency, and for chat a topic per conversation, so that a newer message replaces
an older one the phone has not shown yet."""

from __future__ import annotations

from typing import Any

from realtime import PushContent

HOME = "/"


def _status_words(kind: str) -> str:
    return kind.split("_", 1)[1].replace("_", " ") if "_" in kind else kind


def push_content(notification: Any) -> PushContent:
    kind, data = notification.type, notification.data
    if kind == "chat_message":
        conversation = data.get("reservation_id")
        return PushContent(
            title=str(data.get("sender_name") or "New message"),
            body=str(data.get("text") or data.get("message") or ""),
            url=f"{HOME}?reservation={conversation}" if conversation is not None else HOME,
            urgency="high",
            topic=f"chat-{conversation}" if conversation is not None else None,
            tag=f"chat-{conversation}" if conversation is not None else None,
        )
    if kind.startswith("reservation_"):
        return PushContent(
            title=f"Reservation {_status_words(kind)}",
            body=f"Your reservation #{data.get('reservation_id')} is now {data.get('status', _status_words(kind))}.",
            urgency="high" if kind == "reservation_cancelled" else "normal",
        )
    if kind.startswith("payment_"):
        return PushContent(
            title=f"Payment {_status_words(kind)}",
            body=f"Payment of {data.get('amount', '')}: {data.get('status', _status_words(kind))}.",
            urgency="high" if kind == "payment_failed" else "normal",
        )
    if kind == "invoice_issued":
        return PushContent(
            title="New invoice", body=f"Invoice {data.get('number', '')} for {data.get('total', '')}.", urgency="low"
        )
    if kind == "medical_record_added":
        return PushContent(title="Medical record added", body=f"A new entry in {data.get('pet_name', 'your pet')}'s history.")
    if kind == "pet_created":
        return PushContent(title="Pet registered", body=f"{data.get('pet_name', 'Your pet')} is registered.", urgency="low")
    if kind == "error":
        return PushContent(title="Something went wrong", body=str(data.get("message", "")), urgency="high")
    return PushContent(title="PetLand", body=str(data.get("message", "")))
