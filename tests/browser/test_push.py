"""Web Push in Chromium: the service worker registers for the whole site, a push delivered to
it (through the DevTools protocol, as a push service would) shows a notification and reaches
the page, and the example page's switch says why push cannot be turned on."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

REGISTER = """async () => {
  const registration = await navigator.serviceWorker.register("/realtime/sw.js", { scope: "/" });
  await navigator.serviceWorker.ready;
  return registration.scope;
}"""

NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.getRegistration("/");
  const shown = await registration.getNotifications();
  return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url }));
}"""


def registration_id(page: Page, cdp, scope: str) -> str:
    registrations: dict[str, str] = {}

    def updated(event: dict) -> None:
        for registration in event["registrations"]:
            if not registration.get("isDeleted"):
                registrations[registration["scopeURL"]] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while scope not in registrations:
        assert time.monotonic() < deadline, registrations
        page.wait_for_timeout(50)
    return registrations[scope]


def test_a_push_delivered_to_the_service_worker_shows_a_notification_and_reaches_the_page(server, page):
    page.context.grant_permissions(["notifications"], origin=server.http)
    page.goto(f"{server.http}/realtime/example/?channel=users")
    scope = page.evaluate(REGISTER)
    assert scope == f"{server.http}/"  # the whole site, thanks to Service-Worker-Allowed: /

    cdp = page.context.new_cdp_session(page)
    push = {
        "title": "Reservation confirmed",
        "body": "Your reservation #7 is now confirmed.",
        "url": "/realtime/example/?channel=users",
        "notification_id": 42,
        "notification_type": "reservation_confirmed",
        "tag": "notification-42",
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.http, "registrationId": registration_id(page, cdp, scope), "data": json.dumps(push)},
    )

    received = page.locator("#notifications li.push")
    expect(received).to_have_count(1)
    expect(received).to_have_text("push push_received: Reservation confirmed")
    assert received.get_attribute("data-notification-id") == "42"
    deadline = time.monotonic() + 10
    while not (shown := page.evaluate(NOTIFICATIONS)):
        assert time.monotonic() < deadline, "no notification shown"
        page.wait_for_timeout(50)
    assert shown == [
        {
            "title": "Reservation confirmed",
            "body": "Your reservation #7 is now confirmed.",
            "tag": "notification-42",
            "url": f"{server.http}/realtime/example/?channel=users",
        }
    ]


def test_a_push_naming_another_site_opens_this_one_instead(server, page):
    page.context.grant_permissions(["notifications"], origin=server.http)
    page.goto(f"{server.http}/realtime/example/")
    scope = page.evaluate(REGISTER)
    cdp = page.context.new_cdp_session(page)
    push = {"title": "Phish", "body": "", "url": "https://evil.example/login", "notification_id": 1, "tag": "t"}
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.http, "registrationId": registration_id(page, cdp, scope), "data": json.dumps(push)},
    )
    deadline = time.monotonic() + 10
    while not (shown := page.evaluate(NOTIFICATIONS)):
        assert time.monotonic() < deadline, "no notification shown"
        page.wait_for_timeout(50)
    assert shown[0]["url"] == f"{server.http}/"


def test_the_switch_says_why_push_cannot_be_turned_on_when_the_server_has_no_keys(server, page, alice):
    page.context.grant_permissions(["notifications"], origin=server.http)
    page.goto(f"{server.http}/realtime/example/?channel=users")
    page.fill("#username", alice.username)
    page.fill("#password", PASSWORD)
    page.click("#connect")
    expect(page.locator("#state")).to_have_text("open")
    page.check("#push-switch")
    expect(page.locator("#problem")).to_contain_text("Web Push is off on this server")
    expect(page.locator("#push-switch")).not_to_be_checked()
