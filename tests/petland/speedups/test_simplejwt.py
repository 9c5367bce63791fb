"""Guard for ``petland.speedups.simplejwt``: the token's user read by one prebuilt query is
accepted or refused exactly as simplejwt's own ``get_user`` does it (through the project's
``petland.api.authentication``, which runs without the speed-ups), with the same messages and
codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.tokens import AccessToken

from petland.api import authentication
from petland.speedups.simplejwt import JWTAuthentication
from tests.factories import UserFactory
from tests.petland.speedups.conftest import speedups_on

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(speedups_on.__name__)]


def outcome(get_user: Callable[[Any], Any], token: Any) -> Any:
    try:
        return get_user(token).pk
    except (AuthenticationFailed, InvalidToken) as refused:
        return type(refused).__name__, str(refused.detail), refused.get_codes()


def both(token: Any) -> tuple[Any, Any]:
    return outcome(JWTAuthentication().get_user, token), outcome(authentication.JWTAuthentication().get_user, token)


def test_an_active_user_is_found_by_both():
    user = UserFactory()
    ours, simplejwts = both(AccessToken.for_user(user))
    assert ours == simplejwts == user.pk


@pytest.mark.parametrize(
    "change",
    [
        lambda user, token: user.delete(),
        lambda user, token: type(user).objects.filter(pk=user.pk).update(is_active=False),
        lambda user, token: token.payload.pop("user_id"),
        lambda user, token: token.payload.update(user_id=2**70),
    ],
    ids=["deleted", "inactive", "no-claim", "out-of-range"],
)
def test_a_token_refused_is_refused_by_both_in_the_same_words(change):
    user = UserFactory()
    token = AccessToken.for_user(user)
    change(user, token)
    ours, simplejwts = both(token)
    assert ours == simplejwts and isinstance(ours, tuple)


def test_a_signed_user_id_that_is_no_number_is_user_not_found_by_both():
    user = UserFactory()
    token, of_a_deleted_user = AccessToken.for_user(user), AccessToken.for_user(user)
    token.payload["user_id"] = "Luna"
    ours, without_speedups = both(token)
    user.delete()
    assert ours == without_speedups == outcome(JWTAuthentication().get_user, of_a_deleted_user)
