"""Fixtures for the foundation's tests."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import StaffFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production's PBKDF2 takes a quarter of a second per password, and every persona has one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_staff(db):
    """A superuser who works in the Django admin."""
    return StaffFactory(username="ada_admin", is_superuser=True, first_name="Ada")  # not a random name that may contain "ali"


@pytest.fixture
def admin_browser(admin_staff) -> Client:
    """A browser signed in to the admin as ``admin_staff``."""
    client = Client()
    client.force_login(admin_staff)
    return client
