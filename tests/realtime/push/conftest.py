"""Web Push tests: a fake push service on a loopback port (the only endpoints allowed), a VAPID
pair of the test's own, and the worker as ``manage.py push_worker`` runs it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from realtime.push import keys
from realtime.push.sender import WebPushSender
from realtime.push.worker import PushWorker
from tests.realtime.push.fake_push_service import BrowserSubscription, FakePushService

SUBJECT = "mailto:ops@petland.example"


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    service = FakePushService().start()
    yield service
    service.stop()


@pytest.fixture
def vapid_pair() -> tuple[str, str]:
    return keys.generate_pair()


@pytest.fixture
def push_settings(settings, push_service, vapid_pair):
    """Push on, for endpoints of the fake service only; a user counts as away once they have
    had no socket for a second."""
    private, public = vapid_pair
    settings.REALTIME = {
        **settings.REALTIME,
        "WEBPUSH_VAPID_PRIVATE_KEY": private,
        "WEBPUSH_VAPID_PUBLIC_KEY": public,
        "WEBPUSH_SUBJECT": SUBJECT,
        "WEBPUSH_ALLOWED_ENDPOINTS": [f"{push_service.origin}/push/"],
        "WEBPUSH_IDLE_SECONDS": 1,
    }
    return settings


@pytest.fixture
def worker(push_settings) -> Iterator[PushWorker]:
    """A started worker (its cursor at the log's end), as after ``manage.py push_worker``."""
    sender = WebPushSender(keys.vapid(), SUBJECT)
    push_worker = PushWorker(sender)
    push_worker.start()
    yield push_worker
    push_worker.close()
    sender.close()


@pytest.fixture
def browser(push_service) -> BrowserSubscription:
    return BrowserSubscription(push_service)


def subscribe(api_client, browser: BrowserSubscription) -> dict:
    response = api_client.post("/api/push/subscriptions/", browser.to_json(), format="json")
    assert response.status_code == 201, response.content
    return response.json()
