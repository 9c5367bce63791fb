"""A flood against a real daphne process: one client sends thousands of messages and hundreds
of hostile connection attempts (bad tokens, foreign origins, binary frames, invalid UTF-8),
while another keeps receiving its updates. Everyone else is served, nothing is lost, and the
flooder is cut off.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta

import jwt
import pytest
from rest_framework_simplejwt.tokens import AccessToken
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.realtime.conftest import token_for
from tests.support.servers import ROOT, Daphne, http_json

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

CHANGES = 60  # pets created over HTTP for the bystander while the flood goes on
FLOOD_MESSAGES = 3_000
BURST = 2_000  # the flooder's bucket: it gets this far, then is cut off
ATTEMPTS_PER_KIND = 50
CONCURRENT_ATTEMPTS = 20
JUNK = [
    '{"type": "ping"}',
    "not json",
    "[1, 2]",
    '{"type": "launch"}',
    '{"type": "subscribe", "ids": "all"}',
    '{"type": "resume", "last_event_id": -1}',
]


class LoggedDaphne(Daphne):
    """Daphne whose output is read as it comes, so that a flood of log lines cannot fill the
    pipe and stall the server, and so that the test can count them."""

    def start(self) -> LoggedDaphne:
        super().start()
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True).start()
        return self


@pytest.fixture
def server():
    with LoggedDaphne(REALTIME_MESSAGES_PER_SECOND="50", REALTIME_MESSAGE_BURST=str(BURST)) as daphne:
        yield daphne


def expired_token(user) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(minutes=1))
    return str(token)


def forged_token(user) -> str:
    """A well-formed access token for the user, signed with a key the server does not have."""
    claims = {**AccessToken.for_user(user).payload}
    return jwt.encode(claims, "not-the-server-key-" * 3, algorithm="HS256")


async def first_frame(ws: ClientConnection) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


async def close_code(ws: ClientConnection) -> int | None:
    """Reads until the server ends the connection: the code of its close frame, if it sent one."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


class Attempts:
    """Hostile connection attempts of several kinds; each records what the server did."""

    def __init__(self, server: Daphne, bob, alice) -> None:
        self.server, self.outcomes = server, Counter()
        self.kinds = {
            "garbage token": lambda: self.refused("/ws/pets/?token=not-a-jwt", 4401),
            "expired token": lambda: self.refused(f"/ws/pets/?token={expired_token(alice)}", 4401),
            "forged token": lambda: self.refused(f"/ws/pets/?token={forged_token(alice)}", 4401),
            "customer on staff channel": lambda: self.refused(f"/ws/employees/?token={token_for(bob)}", 4403),
            "foreign origin": self.foreign_origin,
            "binary frame": self.binary_frame,
            "invalid UTF-8": self.invalid_utf8,
        }

    async def refused(self, path: str, code: int) -> str:
        async with connect(self.server.ws + path, open_timeout=10) as ws:
            error = await first_frame(ws)
            return f"error {error['code']}, close {await close_code(ws)}" if error["type"] == "error" else str(error)

    async def foreign_origin(self) -> str:
        try:
            async with connect(f"{self.server.ws}/ws/services/", origin="https://evil.example", open_timeout=10):
                return "accepted"
        except InvalidStatus as refused:
            return f"HTTP {refused.response.status_code}"

    async def binary_frame(self) -> str:
        async with connect(f"{self.server.ws}/ws/services/", open_timeout=10) as ws:
            await first_frame(ws)
            await ws.send(b"\x00\x01\x02")
            return f"error {(await first_frame(ws))['code']}, open"

    async def invalid_utf8(self) -> str:
        async with connect(f"{self.server.ws}/ws/services/", open_timeout=10) as ws:
            await first_frame(ws)
            await ws.send(b"\xff\xfe\xfd", text=True)  # a text frame that is not UTF-8
            await close_code(ws)  # autobahn drops the connection: no close frame, no code
            return "ended by the server"

    async def run(self) -> None:
        gate = asyncio.Semaphore(CONCURRENT_ATTEMPTS)

        async def one(kind: str) -> None:
            async with gate:
                self.outcomes[(kind, await self.kinds[kind]())] += 1

        await asyncio.gather(*(one(kind) for kind in self.kinds for _ in range(ATTEMPTS_PER_KIND)))


async def flood_once(server: Daphne, user) -> tuple[int, list[dict]]:
    """Sends FLOOD_MESSAGES frames as fast as it can while reading the answers, until the
    server ends the connection; how many it sent, and the errors it got."""
    async with connect(f"{server.ws}/ws/pets/?token={token_for(user)}", open_timeout=10, max_queue=None) as ws:
        await first_frame(ws)
        errors: list[dict] = []

        async def read() -> None:
            try:
                async for text in ws:
                    message = json.loads(text)
                    if message["type"] == "error":
                        errors.append(message)
            except ConnectionClosed:
                pass

        reader = asyncio.create_task(read())
        sent = 0
        try:
            for i in range(FLOOD_MESSAGES):
                await ws.send(JUNK[i % len(JUNK)])
                sent += 1
        except ConnectionClosed:
            pass
        await asyncio.wait_for(reader, 20)  # the server ends the connection
        return sent, errors


async def flood(server: Daphne, user, done: asyncio.Event) -> list[tuple[int, list[dict]]]:
    """A determined flooder: cut off, it comes back, until the bystander's changes are made."""
    rounds = []
    while not done.is_set():
        rounds.append(await flood_once(server, user))
    return rounds


async def bystander(server: Daphne, alice, received: list[dict], ready: asyncio.Event) -> None:
    async with connect(f"{server.ws}/ws/pets/?token={token_for(alice)}", open_timeout=10) as ws:
        assert (await first_frame(ws))["type"] == "connection_established"
        ready.set()
        while len(received) < CHANGES:
            message = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if message["type"] == "realtime_update":
                received.append(message)


async def writer(server: Daphne, alice, done: asyncio.Event) -> list[int]:
    """Creates CHANGES pets over HTTP, one after another, while the flood goes on."""
    token, created = token_for(alice), []
    try:
        for i in range(CHANGES):
            body = json.dumps({"name": f"flood-{i}", "species": "Gato"}).encode()
            status, answer = await asyncio.to_thread(http_json, "POST", f"{server.http}/api/pets/", body, token)
            assert status == 201, answer
            created.append(json.loads(answer)["id"])
            await asyncio.sleep(0.02)
    finally:
        done.set()
    return created


def test_a_flood_costs_a_bystander_nothing_and_the_flooder_its_connection(server, alice, bob):
    async def scenario():
        received: list[dict] = []
        ready = asyncio.Event()
        listening = asyncio.create_task(bystander(server, alice, received, ready))
        await asyncio.wait_for(ready.wait(), 10)
        attempts, done = Attempts(server, bob, alice), asyncio.Event()
        flooded, _, created = await asyncio.gather(flood(server, bob, done), attempts.run(), writer(server, alice, done))
        await asyncio.wait_for(listening, 30)
        return received, flooded, attempts.outcomes, created

    received, rounds, outcomes, created = asyncio.run(asyncio.wait_for(scenario(), 90))

    # The bystander got every change, once each, in order.
    assert [m["data"]["pet_id"] for m in received] == created
    assert [m["data"]["name"] for m in received] == [f"flood-{i}" for i in range(CHANGES)]
    event_ids = [m["event_id"] for m in received]
    assert event_ids == sorted(set(event_ids))

    # Each time, the flooder was answered until its burst ran out, then told why and disconnected.
    for sent, errors in rounds:
        assert BURST <= sent <= FLOOD_MESSAGES
        assert errors[-1]["code"] == "rate_limited"
        assert {e["code"] for e in errors[:-1]} == {"invalid_message"}

    # Every hostile attempt got the refusal of its kind.
    assert outcomes == {
        ("garbage token", "error unauthenticated, close 4401"): ATTEMPTS_PER_KIND,
        ("expired token", "error unauthenticated, close 4401"): ATTEMPTS_PER_KIND,
        ("forged token", "error unauthenticated, close 4401"): ATTEMPTS_PER_KIND,
        ("customer on staff channel", "error forbidden, close 4403"): ATTEMPTS_PER_KIND,
        ("foreign origin", "HTTP 403"): ATTEMPTS_PER_KIND,
        ("binary frame", "error invalid_message, open"): ATTEMPTS_PER_KIND,
        ("invalid UTF-8", "ended by the server"): ATTEMPTS_PER_KIND,
    }

    # The security log said so, without being flooded itself: at most 10 lines per kind, user
    # and address a minute.
    security = Counter(line.split("event=")[1].split()[0] for line in server.lines if "realtime.security" in line)
    assert security["rate_limited"] == min(len(rounds), 10)
    assert 1 <= security["unauthenticated"] <= 10
    assert 1 <= security["invalid_message"] <= 20  # bob's flood, and the anonymous binary frames
    assert 1 <= security["forbidden"] <= 10


def test_the_flood_benchmark_measures_both_phases():
    """``python -m bench.flood`` at a tiny size: both phases complete, every event arrives."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.flood",
            "--changes",
            "10",
            "--messages",
            "2000",
            "--warmup",
            "0.2",
            "--redis-url",
            os.environ.get("REDIS_URL", ""),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.split()[:1] in (["quiet"], ["flood"])}
    assert rows["quiet"][1:3] == ["10/10", "yes"] and rows["flood"][1:3] == ["10/10", "yes"], result.stdout
    assert "rise p50:" in result.stdout and "flood: " in result.stdout
