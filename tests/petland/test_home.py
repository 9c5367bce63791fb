"""The home page at ``/``: where a new user (and the admin's "View site") lands, with a link to
each part of PetLand; and the favicon."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

PARTS = ["/admin/", "/live/", "/api/docs/", "/api/redoc/", "/api/schema/", "/realtime/example/", "/healthz", "/readyz"]


def links_of(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', html)


def test_the_home_page_links_every_part_of_petland(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "<h1>PetLand</h1>" in response.content.decode()
    assert set(PARTS) <= set(links_of(response.content.decode()))


def test_every_link_on_the_home_page_leads_somewhere_for_staff(staff):
    client = Client()
    client.force_login(staff)

    links = links_of(client.get("/").content.decode())

    assert len(links) >= len(PARTS)
    for url in links:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_it_names_who_is_signed_in_and_no_one_else(client, alice, bob):
    client.force_login(alice)

    html = client.get("/").content.decode()

    assert "Signed in as <strong>alice</strong>" in html
    assert "bob" not in html


def test_the_admins_view_site_link_is_the_home_page(staff):
    client = Client()
    client.force_login(staff)

    assert '<a href="/">View site</a>' in client.get("/admin/").content.decode()
    assert client.get("/").status_code == 200


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/petland/favicon.svg"
    assert finders.find("petland/favicon.svg")
    assert 'rel="icon"' in client.get("/").content.decode()
