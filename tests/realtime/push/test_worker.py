"""The push worker against a push service on a loopback port: what it sends (decrypted with
the browser's keys, the VAPID token checked), to whom, and what it does with each answer."""

from __future__ import annotations

import logging
import time
from contextlib import closing
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from realtime import notification_service
from realtime.delivery import online, stats
from realtime.log import services as log_services
from realtime.models import Notification, PushDelivery, PushSubscription
from realtime.push import keys, services
from realtime.push.content import MAX_PAYLOAD_BYTES, SHORT_BODY
from realtime.push.sender import WebPushSender
from realtime.push.worker import PushWorker
from tests.realtime.push.conftest import SUBJECT, subscribe
from tests.realtime.push.fake_push_service import BrowserSubscription, vapid_claims, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def notify(user, message: str = "Your dog is ready") -> int:
    return notification_service.sync.send_success_notification(user.pk, message)


def outcome_count(outcome: str) -> float:
    return REGISTRY.get_sample_value("realtime_push_outcomes_total", {"outcome": outcome}) or 0.0


def test_a_user_who_is_away_gets_the_notification_encrypted_for_their_browser_and_signed(
    worker, push_service, browser, alice, alice_api, vapid_pair
):
    subscribe(alice_api, browser)
    notification_id = notify(alice, "Rex is ready to be picked up")
    worker.run_until_idle()

    [request] = push_service.to(browser.path)
    assert browser.decrypt(request) == {
        "title": "PetLand",  # petland.push's title for a success notification
        "body": "Rex is ready to be picked up",
        "url": "/",
        "notification_id": notification_id,
        "notification_type": "success",
        "tag": f"notification-{notification_id}",
    }
    claims = vapid_claims(request, vapid_pair[1])
    assert claims["aud"] == push_service.origin
    assert claims["sub"] == SUBJECT
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert request.headers["ttl"] == "86400"
    assert request.headers["urgency"] == "normal"
    assert "topic" not in request.headers
    assert PushDelivery.objects.get().state == PushDelivery.State.SENT


def test_each_of_the_users_browsers_gets_it_and_nobody_elses(worker, push_service, alice, alice_api, bob_api):
    phone, laptop, bobs = (BrowserSubscription(push_service) for _ in range(3))
    subscribe(alice_api, phone)
    subscribe(alice_api, laptop)
    subscribe(bob_api, bobs)
    notify(alice)
    worker.run_until_idle()
    assert [len(push_service.to(b.path)) for b in (phone, laptop, bobs)] == [1, 1, 0]
    assert phone.decrypt(push_service.to(phone.path)[0]) == laptop.decrypt(push_service.to(laptop.path)[0])


def test_chat_messages_of_one_conversation_share_a_topic_so_the_newer_replaces_the_older(
    worker, push_service, browser, alice, alice_api
):
    subscribe(alice_api, browser)
    for text in ("Is Rex eating?", "He is!"):
        notification_service.sync.send_notification(
            alice.pk, "chat_message", {"reservation_id": 7, "text": text, "sender_name": "Sam"}
        )
    notification_service.sync.send_notification(alice.pk, "chat_message", {"reservation_id": 8, "text": "Other"})
    worker.run_until_idle()
    first, second, other = push_service.to(browser.path)  # in order: the newer replaces the older
    assert first.headers["topic"] == second.headers["topic"] != other.headers["topic"]
    assert first.headers["urgency"] == "high"
    assert browser.decrypt(second)["body"] == "He is!"
    assert browser.decrypt(second)["tag"] == browser.decrypt(first)["tag"]


def test_a_notification_read_before_the_worker_gets_to_it_is_not_pushed(worker, push_service, browser, alice, alice_api):
    subscribe(alice_api, browser)
    read, unread = notify(alice, "read on the web"), notify(alice, "still unread")
    log_services.notifications_mark_read(user_id=alice.pk, ids=[read])
    worker.run_until_idle()
    assert [browser.decrypt(r)["notification_id"] for r in push_service.to(browser.path)] == [unread]


def test_the_worker_checks_again_just_before_sending(worker, push_service, browser, alice, alice_api):
    subscribe(alice_api, browser)
    notification_id = notify(alice)
    worker.follow()  # read from the log and queued ...
    log_services.notifications_mark_read(user_id=alice.pk, ids=[notification_id])  # ... then read elsewhere
    worker.send_due()
    assert push_service.to(browser.path) == []
    assert PushDelivery.objects.get().state == PushDelivery.State.SKIPPED


def test_a_notification_a_socket_received_is_not_pushed(worker, push_service, browser, alice, alice_api):
    subscribe(alice_api, browser)
    notification_id = notify(alice)
    log_services.notifications_mark_delivered(ids=[notification_id])
    worker.run_until_idle()
    assert push_service.to(browser.path) == []


def test_a_user_seen_with_a_socket_moments_ago_is_pushed_once_they_have_been_away_long_enough(
    worker, push_service, browser, alice, alice_api
):
    subscribe(alice_api, browser)
    # A server process reports that alice's last socket closed just now (WEBPUSH_IDLE_SECONDS is 1).
    online.report(stats.client(), [], {alice.pk: time.time()})
    notify(alice)
    worker.run_until_idle()
    assert push_service.to(browser.path) == []
    assert PushDelivery.objects.get().state == PushDelivery.State.PENDING

    def pushed() -> bool:
        worker.run_until_idle()
        return bool(push_service.to(browser.path))

    wait_until(pushed, interval=0.2)
    assert len(push_service.to(browser.path)) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_deleted(worker, push_service, browser, alice, alice_api, status):
    subscribe(alice_api, browser)
    push_service.answer(browser.path, status)
    gone = outcome_count("gone")
    notify(alice)
    worker.run_until_idle()
    assert not PushSubscription.objects.exists()
    assert outcome_count("gone") == gone + 1
    notify(alice, "later")
    worker.run_until_idle()
    assert len(push_service.to(browser.path)) == 1


def test_a_push_service_that_says_slow_down_is_asked_again_after_retry_after(worker, push_service, browser, alice, alice_api):
    subscribe(alice_api, browser)
    push_service.answer(browser.path, 429, {"Retry-After": "30"})
    notify(alice)
    worker.run_until_idle()
    delivery = PushDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (PushDelivery.State.PENDING, 1, 429)
    assert delivery.due_at >= timezone.now() + timedelta(seconds=25)
    assert len(push_service.to(browser.path)) == 1

    PushDelivery.objects.update(due_at=timezone.now())  # the 30 seconds have passed
    worker.run_until_idle()
    assert len(push_service.to(browser.path)) == 2
    assert PushDelivery.objects.get().state == PushDelivery.State.SENT


def test_server_errors_are_retried_with_backoff_for_at_most_an_hour(worker, push_service, browser, alice, alice_api):
    subscribe(alice_api, browser)
    push_service.answer(browser.path, 503, times=2)
    notify(alice)
    worker.run_until_idle()
    first_due = PushDelivery.objects.get().due_at
    assert first_due > timezone.now()
    PushDelivery.objects.update(due_at=timezone.now())
    worker.run_until_idle()
    delivery = PushDelivery.objects.get()
    assert delivery.attempts == 2
    assert delivery.due_at - timezone.now() > first_due - delivery.created_at - timedelta(seconds=1)  # it waits longer

    # An hour after it was first queued, the next failure is the last.
    push_service.answer(browser.path, 502)
    PushDelivery.objects.update(due_at=timezone.now(), created_at=timezone.now() - timedelta(minutes=59, seconds=59))
    worker.run_until_idle()
    assert PushDelivery.objects.get().state == PushDelivery.State.FAILED
    assert len(push_service.to(browser.path)) == 3


def test_a_push_service_that_finds_the_payload_too_big_gets_it_shortened(worker, push_service, browser, alice, alice_api):
    subscribe(alice_api, browser)
    push_service.answer(browser.path, 413)
    notify(alice, "Long news. " * 100)
    worker.run_until_idle()
    too_big, shortened = push_service.to(browser.path)
    assert len(browser.decrypt(too_big)["body"]) > SHORT_BODY
    assert browser.decrypt(shortened)["body"] == ("Long news. " * 100)[:SHORT_BODY]
    assert PushDelivery.objects.get().state == PushDelivery.State.SENT


def test_a_payload_is_at_most_3_kb_whatever_the_message(worker, push_service, browser, alice, alice_api):
    subscribe(alice_api, browser)
    notify(alice, "é" * 5000)
    worker.run_until_idle()
    [request] = push_service.to(browser.path)
    body = browser.decrypt(request)["body"]
    assert len(orjson.dumps(browser.decrypt(request))) <= MAX_PAYLOAD_BYTES
    assert body.endswith("…") and body.startswith("é")


def test_a_restarted_worker_resumes_where_it_stopped_and_sends_nothing_twice(
    push_settings, worker, push_service, browser, alice, alice_api
):
    subscribe(alice_api, browser)
    notify(alice, "before the restart")
    worker.run_until_idle()
    notify(alice, "while it was stopped")

    with closing(PushWorker(WebPushSender(keys.vapid(), SUBJECT))) as restarted:
        restarted.run_until_idle()
        restarted.run_until_idle()
    assert [browser.decrypt(r)["body"] for r in push_service.to(browser.path)] == ["before the restart", "while it was stopped"]


def test_a_worker_stopped_between_reading_and_sending_sends_once_after_its_restart(
    push_settings, worker, push_service, browser, alice, alice_api
):
    subscribe(alice_api, browser)
    notify(alice)
    worker.follow()  # then the process dies
    with closing(PushWorker(WebPushSender(keys.vapid(), SUBJECT))) as restarted:
        restarted.run_until_idle()
    worker.run_until_idle()
    assert len(push_service.to(browser.path)) == 1


def test_a_user_deactivated_without_signals_gets_nothing_and_loses_their_subscriptions(
    worker, push_service, browser, alice, alice_api
):
    subscribe(alice_api, browser)
    notify(alice)
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)  # QuerySet.update sends no signal
    worker.run_until_idle()
    assert push_service.to(browser.path) == []
    assert not PushSubscription.objects.exists()


def test_every_outcome_is_counted_in_metrics_and_logged_without_the_endpoints_secret(
    worker, push_service, browser, alice, alice_api, client, caplog
):
    subscribe(alice_api, browser)
    push_service.answer(browser.path, 429)
    before = {outcome: outcome_count(outcome) for outcome in ("sent", "retry", "skipped_read")}
    notify(alice)
    read = notify(alice, "read")
    log_services.notifications_mark_read(user_id=alice.pk, ids=[read])
    with caplog.at_level(logging.INFO, logger="realtime.push"):
        worker.run_until_idle()
        PushDelivery.objects.filter(state=PushDelivery.State.PENDING).update(due_at=timezone.now())
        worker.run_until_idle()
    assert {outcome: outcome_count(outcome) - before[outcome] for outcome in before} == {"sent": 1, "retry": 1, "skipped_read": 0}
    metrics = client.get("/metrics").content.decode()
    assert 'realtime_push_outcomes_total{outcome="sent"}' in metrics
    assert "realtime_push_lag_events" in metrics
    lines = [record.getMessage() for record in caplog.records if record.name == "realtime.push"]
    assert any("outcome=retry" in line and "status=429" in line for line in lines)
    assert any("outcome=sent" in line for line in lines)
    assert all(browser.path not in line and browser.path[6:] not in line for line in lines)
    assert push_service.origin in " ".join(lines)


def test_notifications_made_before_the_first_start_are_not_pushed(push_settings, push_service, browser, alice, alice_api):
    subscribe(alice_api, browser)
    notify(alice, "from before push existed")
    with closing(PushWorker(WebPushSender(keys.vapid(), SUBJECT))) as first:
        first.run_until_idle()
    assert push_service.to(browser.path) == []
    assert Notification.objects.count() == 1


def test_settled_pushes_older_than_the_logs_retention_are_deleted_and_waiting_ones_kept(
    worker, push_service, browser, alice, alice_api
):
    subscribe(alice_api, browser)
    notify(alice, "old and sent")
    worker.run_until_idle()
    push_service.answer(browser.path, 503)
    notify(alice, "old and waiting")
    worker.run_until_idle()
    PushDelivery.objects.update(created_at=timezone.now() - timedelta(days=8))
    assert services.deliveries_prune(older_than_days=7) == 1
    assert list(PushDelivery.objects.values_list("state", flat=True)) == [PushDelivery.State.PENDING]
