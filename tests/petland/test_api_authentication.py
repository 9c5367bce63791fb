"""Who an API request is: the user a JWT names, as long as that user may still log in."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def me(token: AccessToken | str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/users/me/")


def test_a_token_is_its_users_identity(alice):
    response = me(AccessToken.for_user(alice))
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_the_token_of_a_user_deleted_since_is_refused():
    carol = UserFactory(username="carol")
    token = AccessToken.for_user(carol)
    carol.delete()
    response = me(token)
    assert response.status_code == 401 and response.json()["code"] == "user_not_found"


def test_the_token_of_a_user_disabled_since_is_refused(alice):
    token = AccessToken.for_user(alice)
    alice.is_active = False
    alice.save()
    response = me(token)
    assert response.status_code == 401 and response.json()["code"] == "user_inactive"


@pytest.mark.parametrize("user_id", ["not-a-number", 2**70])
def test_a_signed_token_naming_no_possible_user_is_refused(alice, user_id):
    token = AccessToken.for_user(alice)
    token["user_id"] = user_id
    response = me(token)
    assert response.status_code == 401 and response.json()["code"] == "user_not_found"


def test_a_signed_token_naming_no_user_at_all_is_refused(alice):
    token = AccessToken.for_user(alice)
    del token["user_id"]
    assert me(token).status_code == 401
