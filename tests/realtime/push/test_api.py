"""The REST contract of Web Push: the server's key, and each user's own subscriptions; bad
endpoints and keys are refused naming the field, and nothing is stored."""

from __future__ import annotations

import pytest

from realtime.conf import DEFAULTS
from realtime.models import PushSubscription
from realtime.push.endpoints import endpoint_allowed
from tests.conftest import api_client_for
from tests.factories import UserFactory
from tests.realtime.push.conftest import subscribe
from tests.realtime.push.fake_push_service import BrowserSubscription, b64url

pytestmark = pytest.mark.django_db


def test_the_key_endpoint_gives_the_servers_public_key(push_settings, vapid_pair, alice_api):
    response = alice_api.get("/api/push/key/")
    assert response.status_code == 200
    assert response.json() == {"public_key": vapid_pair[1]}


def test_without_keys_push_is_off_and_the_key_endpoint_says_so(settings, alice_api):
    settings.REALTIME = {**settings.REALTIME, "WEBPUSH_VAPID_PRIVATE_KEY": "", "WEBPUSH_VAPID_PUBLIC_KEY": ""}
    response = alice_api.get("/api/push/key/")
    assert response.status_code == 404
    assert "off" in response.json()["detail"]


def test_anonymous_users_can_neither_read_the_key_nor_subscribe(push_settings, anonymous_api, browser):
    assert anonymous_api.get("/api/push/key/").status_code in (401, 403)
    assert anonymous_api.post("/api/push/subscriptions/", browser.to_json(), format="json").status_code in (401, 403)
    assert not PushSubscription.objects.exists()


def test_a_browsers_subscription_is_stored_and_listed_for_its_user_only(push_settings, alice, alice_api, bob_api, browser):
    created = subscribe(alice_api, browser)
    assert set(created) == {"id", "endpoint", "created_at"}
    assert created["endpoint"] == browser.endpoint
    assert alice_api.get("/api/push/subscriptions/").json() == [created]
    assert bob_api.get("/api/push/subscriptions/").json() == []
    stored = PushSubscription.objects.get(pk=created["id"])
    assert (stored.user, stored.p256dh, stored.auth) == (alice, browser.to_json()["keys"]["p256dh"], b64url(browser.auth))


def test_subscribing_again_from_the_same_browser_keeps_one_subscription(push_settings, alice_api, browser):
    first = subscribe(alice_api, browser)
    again = subscribe(alice_api, browser)
    assert again["id"] == first["id"]
    assert PushSubscription.objects.count() == 1


def test_a_user_deletes_their_own_subscription_and_nobody_elses(push_settings, alice_api, bob_api, browser):
    created = subscribe(alice_api, browser)
    assert bob_api.delete(f"/api/push/subscriptions/{created['id']}/").status_code == 404
    assert PushSubscription.objects.filter(pk=created["id"]).exists()
    assert alice_api.delete(f"/api/push/subscriptions/{created['id']}/").status_code == 204
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://push.attacker.example/push/abc",
        "http://169.254.169.254/latest/meta-data/",
        "{origin}/admin/abc",  # the right host, outside the allowed path
        "{origin}.attacker.example/push/abc",  # a look-alike host
        "http://user:secret@127.0.0.1/push/abc",
        "not a url",
        "",
    ],
)
def test_an_endpoint_outside_the_allowed_push_services_is_refused(push_settings, push_service, alice_api, browser, endpoint):
    body = {**browser.to_json(), "endpoint": endpoint.format(origin=push_service.origin)}
    response = alice_api.post("/api/push/subscriptions/", body, format="json")
    assert response.status_code == 400
    assert "endpoint" in response.json()
    assert not PushSubscription.objects.exists()


def test_the_default_allowed_endpoints_are_the_browsers_push_services():
    # realtime's defaults, as a deployment without WEBPUSH_ALLOWED_ENDPOINTS has them.
    prefixes = DEFAULTS["WEBPUSH_ALLOWED_ENDPOINTS"]
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
        "https://web.push.apple.com/QabC",
    ):
        assert endpoint_allowed(endpoint, prefixes), endpoint
    for endpoint in (
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://notify.windows.com.evil.example/w/",
        "https://evil.example/",
    ):
        assert not endpoint_allowed(endpoint, prefixes), endpoint


@pytest.mark.parametrize(
    ("keys", "field"),
    [
        ({"p256dh": "not base64!", "auth": None}, "p256dh"),
        ({"p256dh": b64url(b"\x04" + b"\x01" * 64), "auth": None}, "p256dh"),  # not a point on P-256
        ({"p256dh": b64url(b"\x02" + b"\x01" * 32), "auth": None}, "p256dh"),  # compressed
        ({"p256dh": None, "auth": b64url(b"short")}, "auth"),
        ({"p256dh": None, "auth": "%%%"}, "auth"),
    ],
)
def test_a_malformed_key_is_refused_naming_it(push_settings, alice_api, browser, keys, field):
    good = browser.to_json()["keys"]
    body = {**browser.to_json(), "keys": {name: value if value is not None else good[name] for name, value in keys.items()}}
    response = alice_api.post("/api/push/subscriptions/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["keys"]
    assert not PushSubscription.objects.exists()


def test_an_eleventh_subscription_is_refused(push_settings, push_service, alice_api):
    for _ in range(10):
        subscribe(alice_api, BrowserSubscription(push_service))
    response = alice_api.post("/api/push/subscriptions/", BrowserSubscription(push_service).to_json(), format="json")
    assert response.status_code == 400
    assert "At most 10" in response.json()["endpoint"][0]
    assert PushSubscription.objects.count() == 10


def test_a_deactivated_users_subscriptions_go(push_settings, alice, alice_api, bob_api, push_service):
    subscribe(alice_api, BrowserSubscription(push_service))
    subscribe(bob_api, BrowserSubscription(push_service))
    alice.is_active = False
    alice.save()
    assert list(PushSubscription.objects.values_list("user__username", flat=True)) == ["bob"]


def test_the_service_worker_is_served_for_the_whole_site(client):
    response = client.get("/realtime/sw.js")
    assert response.status_code == 200
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Content-Type"].startswith("text/javascript")
    assert b"showNotification" in response.content


def test_the_limit_is_per_user(push_settings, push_service, alice_api):
    for _ in range(10):
        subscribe(alice_api, BrowserSubscription(push_service))
    someone = UserFactory()
    subscribe(api_client_for(someone), BrowserSubscription(push_service))
