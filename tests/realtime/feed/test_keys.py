"""Integration keys: made in the admin and shown once, stored only as a digest, scoped to
channels, revocable; a key's last use is recorded."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from realtime.feed import keys
from realtime.models import IntegrationKey
from tests.factories import StaffFactory
from tests.realtime.feed.conftest import key_client, key_for, read_feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(db) -> Client:
    client = Client()
    client.force_login(StaffFactory(username="ada_admin", is_superuser=True, first_name="Ada"))
    return client


def made_in_the_admin(admin_browser: Client, name: str, channels: list[str]) -> tuple[str, str]:
    """Make a key through the admin's add form: the page the admin lands on, and the key it shows."""
    response = admin_browser.post("/admin/realtime/integrationkey/add/", {"name": name, "channels": channels}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    shown = re.findall(r"rtk_[A-Za-z0-9_\-]{43}", page)
    assert len(set(shown)) == 1, page
    return page, shown[0]


class TestMadeInTheAdmin:
    def test_the_key_is_shown_once_and_works(self, admin_browser):
        _page, key = made_in_the_admin(admin_browser, "accounting mirror", ["invoices", "payments"])

        row = IntegrationKey.objects.get()
        assert (row.name, row.channels) == ("accounting mirror", ["invoices", "payments"])
        assert read_feed(key_client(key), channels="invoices")[0] == 200
        for page in ("/admin/realtime/integrationkey/", f"/admin/realtime/integrationkey/{row.pk}/change/"):
            assert key not in admin_browser.get(page).content.decode()

    def test_the_database_holds_no_plaintext_key(self, admin_browser):
        _page, key = made_in_the_admin(admin_browser, "bi export", ["pets"])
        secret = key.removeprefix(keys.KEY_PREFIX)

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {IntegrationKey._meta.db_table}")
            stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
        assert secret not in stored and secret[:16] not in stored
        assert hashlib.sha256(key.encode()).hexdigest() in stored

    def test_revoking_in_the_admin_refuses_the_key_from_then_on(self, admin_browser):
        _page, key = made_in_the_admin(admin_browser, "bi export", ["pets"])
        row = IntegrationKey.objects.get()

        admin_browser.post("/admin/realtime/integrationkey/", {"action": "revoke", "_selected_action": [row.pk]})

        response = key_client(key).get("/api/events/")
        assert response.status_code == 401
        assert "revoked" in response.json()["detail"]

    def test_a_key_with_an_unknown_channel_is_not_made(self):
        with pytest.raises(ValidationError):
            keys.integration_key_create(name="typo", channels=["invoice"])
        assert not IntegrationKey.objects.exists()


class TestUse:
    def test_a_made_up_key_is_refused(self):
        key_for("invoices")
        assert key_client("rtk_" + "x" * 43).get("/api/events/").status_code == 401
        assert key_client("not-even-ours").get("/api/events/").status_code == 401

    def test_a_key_and_another_word_is_refused(self):
        client = key_client(key_for("invoices") + " extra")
        assert client.get("/api/events/").status_code == 401

    def test_its_last_use_is_recorded(self):
        key = key_for("invoices")
        assert IntegrationKey.objects.get().last_used_at is None

        read_feed(key_client(key))

        assert IntegrationKey.objects.get().last_used_at is not None

    def test_a_key_reads_the_stream_only_on_its_channels(self):
        client = key_client(key_for("invoices"))
        assert client.get("/api/events/stream", {"channels": "pets"}).status_code == 403
