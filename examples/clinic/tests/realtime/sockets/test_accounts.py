"""Token sockets check their user's account through a per-process cache (realtime/sockets/accounts.py):
a browser's sockets after the first cost no query, and no change to an account is missed for
longer than the revalidation interval."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings

from realtime.log import selectors
from tests.support.sockets import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account_queries(monkeypatch) -> list[set[int]]:
    """The user ids of each account query the real-time layer makes."""
    queries: list[set[int]] = []
    real = selectors.account_status

    def counted(user_ids: set[int]) -> dict[int, tuple[bool, bool]]:
        queries.append(set(user_ids))
        return real(user_ids)

    monkeypatch.setattr(selectors, "account_status", counted)
    return queries


async def test_a_users_later_sockets_are_authenticated_without_a_query(open_socket, alice, account_queries):
    for channel in ("visits", "treatments", "visits"):
        _, first = await open_socket(channel, alice)
        assert first["type"] == "connection_established" and first["user_id"] == str(alice.pk)
    assert account_queries == [{alice.pk}]


async def test_sockets_a_user_opens_at_once_share_one_query(open_socket, alice, account_queries):
    opened = await asyncio.gather(*(open_socket(channel, alice) for channel in ("visits", "treatments", "visits")))
    assert [first["type"] for _, first in opened] == ["connection_established"] * 3
    assert account_queries == [{alice.pk}]


async def test_staff_rights_come_from_the_account_not_the_token(open_socket, alice):
    _, first = await open_socket("vets", alice)
    assert first["code"] == "forbidden"
    alice.is_staff = True
    await database_sync_to_async(alice.save)()  # the same token, now a staff member's
    _, first = await open_socket("vets", alice)
    assert first["type"] == "connection_established"


async def test_an_account_disabled_in_this_process_is_refused_at_once(open_socket, alice):
    await open_socket("visits", alice)  # the account is now cached as active
    alice.is_active = False
    await database_sync_to_async(alice.save)()
    socket, first = await open_socket("visits", alice)
    assert first["code"] == "unauthenticated"
    assert await socket.receive() == {"type": "<closed>", "code": 4401}


@override_settings(REALTIME={**settings.REALTIME, "REVALIDATE_INTERVAL": 0.2})
async def test_an_account_disabled_elsewhere_loses_its_new_socket_within_the_interval(open_socket, alice):
    await open_socket("visits", alice)
    # As another server process would: no signal reaches this process.
    await database_sync_to_async(get_user_model().objects.filter(pk=alice.pk).update)(is_active=False)
    socket, first = await open_socket("visits", alice)
    if first["type"] == "connection_established":  # let in on the cached account...
        first = await socket.receive_type("error", timeout=5)  # ...and closed at the next check
    assert first["code"] == "unauthenticated"
    assert await socket.receive() == {"type": "<closed>", "code": 4401}


async def test_a_deleted_users_token_is_refused(open_socket, bob):
    await open_socket("visits", bob)  # the account is now cached
    token = token_for(bob)
    await database_sync_to_async(bob.delete)()
    _, first = await open_socket("visits", query=f"token={token}")
    assert first["code"] == "unauthenticated" and first["message"] == "Invalid or expired token."
