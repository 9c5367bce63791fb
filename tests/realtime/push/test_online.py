"""Who has an open socket, across server processes (realtime.delivery.online): what the push
worker asks before it pushes, and the push it then sends, with real daphne sockets."""

from __future__ import annotations

import time

import pytest
from websockets.sync.client import connect

from realtime import notification_service
from realtime.delivery import online
from tests.support.sockets import token_for
from tests.realtime.push.conftest import subscribe
from tests.realtime.push.fake_push_service import wait_until
from tests.support.servers import Daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def server():
    with Daphne() as daphne:  # one per test: the database is emptied between tests
        yield daphne


def open_socket(server: Daphne, user, channel: str = "users"):
    ws = connect(f"{server.ws}/ws/{channel}/?token={token_for(user)}", open_timeout=10)
    ws.recv(timeout=10)  # connection_established
    return ws


def test_a_user_with_a_socket_on_any_process_is_online_and_away_once_the_last_closes(server, alice, bob):
    second = Daphne().start()  # two server processes, as a deployment runs them behind a balancer
    try:
        _away_on_both(server, second, alice, bob)
    finally:
        second.stop()


def _away_on_both(first: Daphne, second: Daphne, alice, bob) -> None:
    assert online.away_since([alice.pk, bob.pk]) == {alice.pk: 0.0, bob.pk: 0.0}  # never seen
    on_first, on_second = open_socket(first, alice), open_socket(second, alice)
    wait_until(lambda: online.away_since([alice.pk])[alice.pk] is None)
    assert online.away_since([bob.pk])[bob.pk] == 0.0

    on_first.close()
    time.sleep(0.5)  # the first process has reported by now; the second still holds a socket
    assert online.away_since([alice.pk])[alice.pk] is None

    closed_at = time.time()
    on_second.close()
    since = wait_until(lambda: online.away_since([alice.pk])[alice.pk])
    assert closed_at - 5 < since <= time.time()


def test_without_redis_the_answers_come_from_this_processs_own_sockets(settings, alice, bob):
    settings.REALTIME = {**settings.REALTIME, "STATS_REDIS_URL": None}
    online.opened(alice.pk)
    online.opened(alice.pk)
    online.closed(alice.pk)
    assert online.away_since([alice.pk, bob.pk]) == {alice.pk: None, bob.pk: 0.0}
    online.closed(alice.pk)
    assert 0 < online.away_since([alice.pk])[alice.pk] <= time.time()


def test_no_push_while_the_user_has_a_socket_open_and_one_after_they_have_been_away(
    server, worker, push_service, browser, alice, alice_api
):
    first = server
    subscribe(alice_api, browser)
    # Looking at a page with pets on it: the notification is not shown there, but alice is here.
    ws = open_socket(first, alice, channel="pets")
    wait_until(lambda: online.away_since([alice.pk])[alice.pk] is None)
    notification_service.sync.send_success_notification(alice.pk, "while here")
    worker.run_until_idle()
    assert push_service.to(browser.path) == []

    ws.close()
    wait_until(lambda: online.away_since([alice.pk])[alice.pk])
    notification_service.sync.send_success_notification(alice.pk, "after leaving")

    def pushed() -> list:
        worker.run_until_idle()  # WEBPUSH_IDLE_SECONDS is 1: deferred, then sent
        return push_service.to(browser.path)

    [request] = wait_until(pushed, interval=0.2)
    assert browser.decrypt(request)["body"] == "after leaving"


def test_a_notification_shown_on_an_open_socket_is_not_pushed_after_the_user_left(
    server, worker, push_service, browser, alice, alice_api
):
    first = server
    subscribe(alice_api, browser)
    ws = open_socket(first, alice)
    wait_until(lambda: online.away_since([alice.pk])[alice.pk] is None)
    notification_service.sync.send_success_notification(alice.pk, "seen live")
    while '"notification"' not in (message := ws.recv(timeout=10)):
        pass
    assert "seen live" in message
    ws.close()
    wait_until(lambda: online.away_since([alice.pk])[alice.pk])
    time.sleep(1.2)  # past WEBPUSH_IDLE_SECONDS
    wait_until(lambda: alice.notifications.get().delivered_at)
    worker.run_until_idle()
    assert push_service.to(browser.path) == []
