"""Guard for ``petland.speedups.django_handler``: Django's ASGI handler, with a request's sync
work in two thread hops, still serves as Django's does (its ``read_body``, ``create_request``,
``get_response``, ``send_response`` used as they are), and asgiref's ``ThreadSensitiveContext``
still runs a request's sync code in the executor it is given."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import iscoroutinefunction
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.core import signals
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from rest_framework_simplejwt.tokens import AccessToken

from petland.models import ActivityLog, Pet
from petland.speedups import django_handler as handlers
from tests.petland.speedups.conftest import speedups_on

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures(speedups_on.__name__)]

# The handler itself, whatever handler this run's REALTIME_SPEEDUPS gave petland.asgi.
application = django_asgi_app = handlers.ASGIHandler()


async def request(method: str, path: str, *, user=None, body: dict | None = None) -> dict:
    content = json.dumps(body).encode() if body else b""
    headers = [(b"host", b"testserver"), (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    if user is not None:
        headers.append((b"authorization", f"Bearer {AccessToken.for_user(user)}".encode()))
    communicator = HttpCommunicator(application, method, path, body=content, headers=headers)
    response = await communicator.get_response(timeout=10)
    await communicator.wait(timeout=10)  # until response.close(): request_finished returns the connection
    return response


def test_the_handler_loads_the_middleware_chain_in_sync_mode():
    assert not iscoroutinefunction(django_asgi_app._middleware_chain)
    assert django_asgi_app.chunk_size > 0


async def test_a_post_is_served_and_logged_with_its_jwt_user(alice):
    response = await request("POST", "/api/pets/", user=alice, body={"name": "Luna", "species": "Perro"})

    assert response["status"] == 201, response["body"]
    pet_id = json.loads(response["body"])["id"]
    # database_sync_to_async: it closes the connection it used (the test database is dropped after).
    log = await database_sync_to_async(ActivityLog.objects.get)(entity_type="pet", entity_id=str(pet_id))
    assert log.actor_id == alice.pk
    assert await database_sync_to_async(Pet.objects.filter(pk=pet_id, owner=alice).exists)()


async def test_errors_and_pages_keep_their_answers(alice):
    assert (await request("POST", "/api/pets/", body={"name": "Luna"}))["status"] == 401
    assert (await request("POST", "/api/pets/", user=alice, body={"species": "Perro"}))["status"] == 400
    assert (await request("GET", "/api/pets/999999/", user=alice))["status"] == 404
    assert (await request("GET", "/healthz"))["status"] == 200
    assert (await request("GET", "/admin/"))["status"] == 302


async def test_the_middleware_chain_and_the_view_run_in_one_thread_outside_the_loop():
    threads: list[tuple[str, int]] = []

    def middleware(get_response):
        def record(request: HttpRequest) -> HttpResponse:
            threads.append(("middleware", threading.get_ident()))
            return get_response(request)

        return record

    def view(request: HttpRequest) -> HttpResponse:
        threads.append(("view", threading.get_ident()))
        return HttpResponse("ok")

    handler = handlers.ASGIHandler()
    handler._middleware_chain = middleware(lambda request: view(request))
    communicator = HttpCommunicator(handler, "GET", "/anything/", headers=[(b"host", b"testserver")])
    response = await communicator.get_response(timeout=10)
    await communicator.wait(timeout=10)

    assert response["status"] == 200 and response["body"] == b"ok"
    assert [name for name, _ in threads] == ["middleware", "view"]
    assert len({ident for _, ident in threads}) == 1
    assert threads[0][1] != threading.get_ident()


async def call(handler: handlers.ASGIHandler, sent: list[dict]) -> None:
    """A GET of /anything/ straight through the handler; the messages it sends go to ``sent``."""
    scope = {"type": "http", "method": "GET", "path": "/anything/", "query_string": b"", "headers": [(b"host", b"testserver")]}
    messages = iter([{"type": "http.request", "body": b""}])

    async def receive() -> dict:
        message = next(messages, None)
        if message is None:  # the client stays connected: nothing more comes
            await asyncio.Event().wait()
        return message

    async def send(message: dict) -> None:
        sent.append(message)

    await handler(scope, receive, send)


async def test_request_started_the_view_and_request_finished_run_in_the_request_thread():
    seen: list[tuple[str, int, int]] = []  # (what, thread, messages sent to the client by then)
    sent: list[dict] = []

    def record(what: str):
        return lambda **kwargs: seen.append((what, threading.get_ident(), len(sent)))

    def view(request: HttpRequest) -> HttpResponse:
        record("view")()
        return HttpResponse("ok")

    handler = handlers.ASGIHandler()
    handler._middleware_chain = view
    started, finished = record("started"), record("finished")
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        await call(handler, sent)
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)

    # By the time the application returns, the response was sent and then closed.
    assert [(what, count) for what, _, count in seen] == [("started", 0), ("view", 0), ("finished", 2)]
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"ok"
    assert len({thread for _, thread, _ in seen}) == 1
    assert seen[0][1] != threading.get_ident()


async def test_a_request_takes_two_trips_to_its_thread_and_a_last_job_to_close_its_connections():
    jobs: list[str] = []

    class CountingExecutor(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            jobs.append(getattr(fn, "__qualname__", repr(fn)))
            return super().submit(fn, *args, **kwargs)

    handler = handlers.ASGIHandler()
    handler._middleware_chain = lambda request: HttpResponse("ok")
    handler.threads._idle.append(CountingExecutor(max_workers=1))
    sent: list[dict] = []
    await call(handler, sent)

    assert sent[1]["body"] == b"ok"
    assert len(jobs) == 3, jobs  # serve, close, then give_back's job
    assert "close_all" in jobs[-1]


@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
async def test_a_streaming_response_is_sent_chunk_by_chunk():
    def view(request: HttpRequest) -> StreamingHttpResponse:
        return StreamingHttpResponse(iter([b"one,", b"two"]))

    handler = handlers.ASGIHandler()
    handler._middleware_chain = view
    sent: list[dict] = []
    await call(handler, sent)
    assert sent[0]["status"] == 200
    assert [message.get("body", b"") for message in sent[1:]] == [b"one,", b"two", b""]


def _handler_recording_threads(threads: list[int], release: asyncio.Event | None = None, loop=None) -> handlers.ASGIHandler:
    """A handler whose view records its thread and, given ``release``, waits for it."""

    def view(request: HttpRequest) -> HttpResponse:
        threads.append(threading.get_ident())
        if release is not None:
            asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=10)
        return HttpResponse("ok")

    handler = handlers.ASGIHandler()
    handler._middleware_chain = view
    return handler


async def _get(handler) -> dict:
    communicator = HttpCommunicator(handler, "GET", "/anything/", headers=[(b"host", b"testserver")])
    response = await communicator.get_response(timeout=10)
    await communicator.wait(timeout=10)
    return response


async def test_one_request_after_another_reuses_the_same_thread():
    threads: list[int] = []
    handler = _handler_recording_threads(threads)
    for _ in range(3):
        assert (await _get(handler))["status"] == 200
        for _ in range(500):  # the thread joins the idle ones once it has finished its work
            if len(handler.threads):
                break
            await asyncio.sleep(0.01)
    assert len(threads) == 3 and len(set(threads)) == 1


async def test_requests_in_flight_together_each_have_a_thread_of_their_own():
    threads: list[int] = []
    release = asyncio.Event()
    handler = _handler_recording_threads(threads, release, asyncio.get_running_loop())
    both = asyncio.gather(_get(handler), _get(handler))
    while len(threads) < 2:  # both views are running at once, each waiting for the release
        await asyncio.sleep(0.01)
    release.set()
    assert [response["status"] for response in await both] == [200, 200]
    assert len(set(threads)) == 2


def test_what_the_server_loads_at_start_is_kept_out_of_full_collections():
    import gc

    import petland.asgi  # noqa: F401 - the module a server process imports

    assert gc.get_freeze_count() > 50_000
