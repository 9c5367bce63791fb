"""Guard for ``realtime.speedups.asgiref``: asgiref still marks sync code that runs under a
``ThreadSensitiveContext`` (a request's thread of its own, under Django's ASGI handlers) in the
context variable ``SyncToAsync.thread_sensitive_context``, and leaves it unset elsewhere."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async

from realtime.delivery import transport
from realtime.speedups.asgiref import in_a_thread_of_its_own


def test_the_context_variable_exists():
    assert SyncToAsync.thread_sensitive_context.get(None) is None


def test_sync_code_under_a_thread_sensitive_context_is_in_a_thread_of_its_own():
    async def inside() -> bool:
        async with ThreadSensitiveContext():
            return await sync_to_async(in_a_thread_of_its_own)()

    assert asyncio.run(inside()) is True


def test_with_a_requests_executor_too():
    async def inside(executor: ThreadPoolExecutor) -> bool:
        async with ThreadSensitiveContext(executor=executor):
            return await sync_to_async(in_a_thread_of_its_own)()

    with ThreadPoolExecutor(max_workers=1) as executor:
        assert asyncio.run(inside(executor)) is True


def test_the_shared_sync_thread_is_not_a_thread_of_its_own():
    async def shared() -> bool:
        return await sync_to_async(in_a_thread_of_its_own)()

    assert asyncio.run(shared()) is False
    assert in_a_thread_of_its_own() is False


def test_without_the_speedups_no_writer_waits_for_its_hub(settings):
    async def inside() -> bool:
        async with ThreadSensitiveContext():
            return await sync_to_async(transport.in_a_thread_of_its_own)()

    assert asyncio.run(inside()) is True
    settings.REALTIME = {**settings.REALTIME, "SPEEDUPS": False}
    assert asyncio.run(inside()) is False
