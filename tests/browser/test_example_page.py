"""The browser client on its example page (/realtime/example/), in Chromium, against daphne:
updates arrive, a restarted server is rejoined without losing what happened meanwhile, a
refusal is final, and a client that gave up comes back when the browser is online again."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserDaphne, shell
from tests.factories import PASSWORD
from tests.realtime.conftest import token_for
from tests.support.servers import http_json

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def open_example(page: Page, server: BrowserDaphne, user, query: str = "") -> None:
    page.goto(f"{server.http}/realtime/example/?channel=pets{'&' + query if query else ''}")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("#connect")
    expect(page.locator("#state")).to_have_text("open")


def create_pet(server: BrowserDaphne, user, name: str) -> int:
    body = json.dumps({"name": name, "species": "Perro", "breed": "Beagle", "age": 2}).encode()
    status, created = http_json("POST", f"{server.http}/api/pets/", body, token_for(user))
    assert status == 201, created
    return json.loads(created)["id"]


def event_lines(page: Page) -> list[str]:
    return page.locator("#events li").all_inner_texts()


def test_the_example_page_receives_an_update_made_through_the_api(server, page, alice):
    open_example(page, server, alice)
    expect(page.locator("#user-id")).to_have_text(str(alice.pk))

    pet_id = create_pet(server, alice, "Luna")

    line = page.locator("#events li").first
    expect(line).to_contain_text("pets created")
    data = json.loads(line.inner_text().split(" ", 3)[3])
    assert data == {"pet_id": pet_id, "name": "Luna", "species": "Perro", "breed": "Beagle", "age": 2, "user_id": alice.pk}
    # Signed in, the page passes a token function: each connect trades the token for a ticket.
    assert page.sockets[0].startswith(f"{server.ws}/ws/pets/?ticket=")
    assert not any("token=" in url for url in page.sockets)


def test_after_a_server_restart_the_page_reconnects_and_shows_what_it_missed(server, page, alice):
    open_example(page, server, alice)  # the default backoff: about 1, 2, 4, 8 and 16 s
    create_pet(server, alice, "Before")
    expect(page.locator("#events li").first).to_contain_text('"name":"Before"')
    last_seen = int(page.locator("#events li").first.get_attribute("data-event-id"))

    server.kill()
    killed_at = time.monotonic()
    expect(page.locator("#state")).to_have_text("reconnecting")
    shell(  # written while the page has no server at all
        "from petland.models import Pet, User\n"
        f"Pet.objects.create(owner=User.objects.get(pk={alice.pk}), name='While down', species='Gato', age=1)"
    )
    server.start()  # the same port
    restarted_after = time.monotonic() - killed_at

    # Back at the first attempt after the restart (the five together span about 31 s). Each
    # delay is at most 1.25 × 2^(n-1) s, so that attempt comes before 2.67 × restart + 1.25 s.
    expect(page.locator("#state")).to_have_text("open", timeout=25_000)
    back_after = time.monotonic() - killed_at
    assert back_after < 3 * restarted_after + 2, (restarted_after, back_after)
    expect(page.locator("#events li").first).to_contain_text('"name":"While down"')
    create_pet(server, alice, "After")
    expect(page.locator("#events li").first).to_contain_text('"name":"After"')

    assert f"last_event_id={last_seen}" in page.sockets[-1]  # resumed after the last event it had
    names = [json.loads(line.split(" ", 3)[3])["name"] for line in event_lines(page)]
    assert names == ["After", "While down", "Before"]  # each once, in order
    assert "failed" not in page.locator("#log").inner_text()


def test_a_refused_token_does_not_start_a_reconnect_loop(server, page):
    page.goto(f"{server.http}/realtime/example/?channel=pets&delay=100")
    page.fill("#token", "not-a-valid-token")
    page.click("#connect")

    expect(page.locator("#state")).to_have_text("closed")
    expect(page.locator("#problem")).to_contain_text("Invalid or expired token")
    expect(page.locator("#problem")).to_contain_text("4401")
    page.wait_for_timeout(1_000)  # the first reconnect would have come within 125 ms
    assert len(page.sockets) == 1
    assert page.locator("#state").inner_text() == "closed"
    assert "reconnecting" not in page.locator("#log").inner_text()


def test_after_five_failed_attempts_it_fails_and_retries_when_the_browser_is_back_online(server, page, alice):
    # Each attempt asks for a ticket first; while the server is down, that request fails.
    attempts: list[str] = []
    page.on("request", lambda request: attempts.append(request.url) if "/api/realtime/ticket/" in request.url else None)
    open_example(page, server, alice, "delay=50")
    server.kill()

    expect(page.locator("#state")).to_have_text("failed", timeout=8_000)
    assert len(attempts) == 1 + 5  # the first connection and five attempts
    page.wait_for_timeout(1_000)
    assert len(attempts) == 6  # and no more once failed
    # Scheduled after 50, 100, 200, 400 and 800 ms, each spread by at most ±25%.
    delays = [int(d) for d in re.findall(r"reconnecting · attempt \d · in (\d+) ms", page.locator("#log").inner_text())]
    assert len(delays) == 5
    for n, delay in enumerate(reversed(delays)):  # the log shows the newest first
        assert 0.75 * 50 * 2**n <= delay <= 1.25 * 50 * 2**n, delays

    server.start()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#state")).to_have_text("open")
    create_pet(server, alice, "Back online")
    expect(page.locator("#events li").first).to_contain_text('"name":"Back online"')


def test_a_failed_client_retries_when_the_page_becomes_visible_again(server, page, alice):
    open_example(page, server, alice, "delay=20")
    server.kill()
    expect(page.locator("#state")).to_have_text("failed", timeout=8_000)
    server.start()
    page.evaluate(
        """() => {
            Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    expect(page.locator("#state")).to_have_text("open")


def test_the_heartbeat_finds_a_server_that_stopped_answering(server, page, alice):
    open_example(page, server, alice, "heartbeat=300&timeout=300&delay=200&connect_timeout=1500")
    server.pause()  # the TCP connection stays up; nothing answers the pings any more
    try:
        expect(page.locator("#state")).to_have_text("reconnecting", timeout=3_000)
    finally:
        server.resume()
    expect(page.locator("#state")).to_have_text("open", timeout=10_000)
    assert len(page.sockets) >= 2
    create_pet(server, alice, "Alive")
    expect(page.locator("#events li").first).to_contain_text('"name":"Alive"')


def test_stored_notifications_reach_the_page_once_and_are_acknowledged(server, page, alice):
    from realtime.models import Notification
    from realtime.declaring.notifications import notification_service

    ids = [notification_service.sync.send_success_notification(alice.pk, f"while away {i}") for i in (1, 2)]
    page.goto(f"{server.http}/realtime/example/?channel=users")
    page.fill("#username", alice.username)
    page.fill("#password", PASSWORD)
    page.click("#connect")
    expect(page.locator("#state")).to_have_text("open")

    # They come with event ids older than connection_established's, and are shown all the same.
    expect(page.locator("#notifications li")).to_have_count(2)
    deadline = time.monotonic() + 5
    while Notification.objects.filter(pk__in=ids, acknowledged_at__isnull=True).exists():
        assert time.monotonic() < deadline, "the client did not acknowledge them"
        time.sleep(0.1)
    page.click("#reconnect")
    expect(page.locator("#state")).to_have_text("open")
    page.wait_for_timeout(300)
    expect(page.locator("#notifications li")).to_have_count(2)  # once each, whatever comes again
