"""A socket whose client stops reading: it is closed with 4008 once it holds
``REALTIME_MAX_SEND_BUFFER`` bytes unsent, and it never holds up another socket.

Without the speed-ups, daphne's ``send`` hands every frame to Twisted at once and Twisted's
buffer is out of sight (docs/performance.md): a client that stops reading is then not closed,
and daphne keeps for it everything it was sent."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from websockets.sync.client import connect

from realtime import observability
from realtime.conf import setting
from realtime.delivery.hub import Hub
from realtime.declaring.notifications import notification_service
from tests.realtime.child_settings import realtime_settings
from tests.support.raw_websocket import RawWebSocket
from tests.support.servers import Daphne, Uvicorn, start_in_shell
from tests.support.sockets import token_for
from tests.support.speedups import speedups_on

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS, NOTE_BYTES = 400, 16_000  # 6.4 MB: more than the kernel's buffers on loopback (≈ 4 MB) can take
EVENT_BYTES = NOTE_BYTES + 200
LIMIT = 256 * 1024


@pytest.mark.live
@pytest.mark.parametrize("server_class", [Daphne, Uvicorn], ids=["daphne", "uvicorn"])
def test_a_socket_that_stops_reading_is_closed_with_4008_while_another_gets_everything(server_class, staff):
    with server_class(**realtime_settings(MAX_SEND_BUFFER=LIMIT)) as server:
        path = f"/ws/visits/?token={token_for(staff)}"
        stuck = RawWebSocket(server.port, path, receive_buffer=4096)  # reads nothing from here on
        with connect(f"{server.ws}{path}", open_timeout=10, max_size=None, max_queue=None) as reader:
            assert json.loads(reader.recv(timeout=5))["type"] == "connection_established"
            writer = start_in_shell(
                f"from realtime.declaring.notifications import notification_service as n\n"
                f"for i in range({EVENTS}): n.sync.send_visit_update('updated', {{'visit_id': i, 'note': 'x' * {NOTE_BYTES}}})"
            )
            received = [json.loads(reader.recv(timeout=30)) for _ in range(EVENTS)]
            assert writer.wait(30) == 0, writer.stderr.read()
            assert [m["data"]["visit_id"] for m in received] == list(range(EVENTS))

        bounded = server_class is Uvicorn or speedups_on()
        # What the server kept for it, then its close (or, unbounded, all it was sent and no close).
        texts, code = stuck.read_frames(timeout=30 if bounded else 10)
        stuck.close()
    frames = [json.loads(text) for text in texts]
    updates = [f for f in frames if f["type"] == "realtime_update"]
    if not bounded:
        assert code is None and [u["data"]["visit_id"] for u in updates] == list(range(EVENTS))
        return
    assert code == 4008
    assert frames[-1]["type"] == "error" and frames[-1]["code"] == "slow_consumer"
    assert [u["data"]["visit_id"] for u in updates] == list(range(len(updates)))  # in order, no hole before the cut
    # What it was kept: at most the limit, one batch and a write buffer over what the kernels held
    # (the server's send buffer grows to tcp_wmem's maximum; the client's receive buffer is 4 KB).
    kernels = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2]) + 64 * 1024
    kept = sum(len(text.encode()) for text in texts)
    assert kept <= kernels + LIMIT + 4 * EVENT_BYTES + 64 * 1024, (kept, kernels)
    assert len(updates) < EVENTS  # the rest was dropped, not kept for it


class StuckSend:
    """An ASGI ``send`` that never completes once the socket is open, as a server's send waits
    on a client that stopped reading (uvicorn's waits for the transport to drain)."""

    def __init__(self) -> None:
        self.accepted = asyncio.Event()
        self.frames = 0

    async def __call__(self, message: dict) -> None:
        if message["type"] == "websocket.accept":
            self.accepted.set()
            return
        self.frames += 1
        if self.frames > 1:  # connection_established goes out, then nothing more
            await asyncio.Event().wait()


async def test_one_stuck_socket_holds_neither_the_hub_nor_more_than_its_limit(open_socket, staff):
    from clinic.asgi import application

    send, inbox = StuckSend(), asyncio.Queue()
    await inbox.put({"type": "websocket.connect"})
    scope = {
        "type": "websocket",
        "path": "/ws/visits/",
        "query_string": f"token={token_for(staff)}".encode(),
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "subprotocols": [],
    }
    stuck = asyncio.ensure_future(application(scope, inbox.get, send))
    await asyncio.wait_for(send.accepted.wait(), 5)
    healthy, _ = await open_socket("visits", staff)
    closed_before = observability.SLOW_CONSUMERS.labels("visits")._value.get()

    note = "x" * 20_000
    limit_events = setting("MAX_SEND_BUFFER") // len(note) + 5
    for i in range(limit_events):
        await notification_service.send_visit_update("updated", {"visit_id": i, "note": note})
        assert (await healthy.receive_type("realtime_update", timeout=5))["data"]["visit_id"] == i

    hub = await Hub.running()
    assert observability.SLOW_CONSUMERS.labels("visits")._value.get() == closed_before + 1
    assert len(hub.channels["visits"].everyone) == 1  # only the healthy one is left in the hub
    stuck.cancel()
    await asyncio.gather(stuck, return_exceptions=True)


def test_the_limit_is_a_setting_with_a_sane_default():
    assert setting("MAX_SEND_BUFFER") == 1024 * 1024
