"""/live/: every channel's events for staff, with filters, counters and connection states;
server data shown as text. And who may see the live pages at all."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import admin_login
from tests.realtime.conftest import token_for
from tests.support.servers import http_json

pytestmark = [pytest.mark.django_db(transaction=True)]

XSS = "<img src=x onerror=alert(1)>"
CHANNELS = ["users", "pets", "reservations", "payments", "invoices", "medical_history", "services", "employees", "activity_logs"]


def test_only_staff_may_open_the_live_page(client, alice, staff):
    response = client.get("/live/")
    assert response.status_code == 302 and response.url == "/admin/login/?next=/live/"
    client.force_login(alice)
    response = client.get("/live/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    client.force_login(staff)
    response = client.get("/live/")
    assert response.status_code == 200
    assert b'id="live-config"' in response.content


@pytest.mark.live
def test_the_live_page_streams_every_channel_with_filters_and_shows_server_data_as_text(server, page, ada, alice):
    admin_login(page, server, ada, "/live/")
    for channel in CHANNELS:
        expect(page.locator(f"#state-{channel}")).to_have_text("open")

    body = json.dumps({"name": XSS, "species": "Perro", "age": 1}).encode()
    status, created = http_json("POST", f"{server.http}/api/pets/", body, token_for(alice))
    assert status == 201, created

    pets_row = page.locator("#events tbody tr[data-channel=pets]")
    expect(pets_row).to_have_count(1)
    expect(pets_row.locator("td.data")).to_contain_text(f'"name":"{XSS}"')
    expect(page.locator("#events tbody tr[data-channel=activity_logs]")).to_have_count(1)
    expect(page.locator("#count-channels-pets")).to_have_text("1")
    expect(page.locator("#count-channels-activity_logs")).to_have_text("1")
    expect(page.locator("#count-actions-created")).to_have_text("2")
    expect(page.locator("#count-total")).to_have_text("2")
    assert page.locator("#events img").count() == 0
    assert not page.problems.dialogs  # the onerror never ran

    page.locator("input[data-filter=channels][value=pets]").uncheck()
    expect(pets_row).to_be_hidden()
    expect(page.locator("#count-shown")).to_have_text("1")
    page.locator("input[data-filter=actions][value=created]").uncheck()
    expect(page.locator("#count-shown")).to_have_text("0")
    page.locator("input[data-filter=channels][value=pets]").check()
    page.locator("input[data-filter=actions][value=created]").check()
    expect(page.locator("#count-shown")).to_have_text("2")


def test_the_admin_index_shows_the_live_feed_only_to_staff_who_may_view_the_activity_log(client, ada, staff):
    client.force_login(ada)
    assert b'data-realtime="feed"' in client.get("/admin/").content
    client.force_login(staff)  # staff without permissions
    response = client.get("/admin/")
    assert response.status_code == 200 and b'data-realtime="feed"' not in response.content
