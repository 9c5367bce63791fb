"""Helpers of the change-feed tests: integration keys, and reading the feed as a client would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from realtime.feed import keys


def key_for(*channels: str, name: str = "accounting mirror") -> str:
    """A new integration key that may read ``channels``, as the admin shows it once."""
    _row, key = keys.integration_key_create(name=name, channels=channels)
    return key


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def read_feed(client: APIClient, **params: Any) -> tuple[int, dict]:
    response = client.get("/api/events/", params)
    return response.status_code, json.loads(response.content)


@pytest.fixture
def accounting(db) -> APIClient:
    """The accounting system's client: a key for invoices and payments."""
    return key_client(key_for("invoices", "payments"))
