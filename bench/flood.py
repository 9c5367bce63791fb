"""``python -m bench.flood``: how much a flood from one client costs another client's latency.

Starts PetLand under daphne on a loopback port (fresh SQLite database in a temporary folder,
Redis at ``--redis-url``, production limits unless ``--rate``/``--burst`` say otherwise). A
customer's socket listens on ``/ws/pets/`` while ``--changes`` pets are created for them over
HTTP, one after another; the latency of each is the time from just before its POST to its
``realtime_update`` on the socket. That is measured twice: on a quiet server, and while another
process floods it: sockets of another customer that send junk as fast as they can (and come
back when cut off), and handshakes with bad tokens and binary frames, up to ``--messages``
messages. The report gives both latencies, the rise, and whether every event arrived in order.

``--storm resume`` replaces the junk with a storm of replays (issue 20, item 7): the log first
holds ``--storm-events`` pet events of a third customer (alice), then ``--storm-sockets`` sockets
of the other customer (bob, who may see none of them) each send ``resume`` from
``--resume-back`` events before the newest, over and over (a ``ping`` after each says when the
resume before it was served), and reconnect with ``?last_event_id=`` when cut off. Besides the
bystander's latency, each phase times ``--handshakes`` fresh handshakes (TCP connect to
``connection_established``), and the report counts the storm's resumes answered, ``rate_limited``
or closed.

Everything stays on 127.0.0.1 and every phase has a deadline (``--timeout``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import queue
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from bench.servers import HOST, ServerError, free_port, start_server, stop_server
from bench.targets import project_env

ROOT = Path(__file__).resolve().parent.parent
WINDOW = 64  # a flooder's messages in flight, unanswered
JUNK = ['{"type": "ping"}', "not json", '{"type": "launch"}', '{"type": "subscribe", "ids": "all"}']
BYSTANDER_ATTEMPTS = 3  # resume storm: handshakes the bystander's measured socket may take
HANDSHAKE_PAUSE = 0.1  # seconds between two sampled handshakes: spread over the phase
STORM_CONNECT_SECONDS = 10.0  # a storm socket's or a sampled handshake's wait for connection_established


class FloodError(RuntimeError):
    """A phase failed or ran out of time; the message says which."""


# --- the server ----------------------------------------------------------------------------
def server_env(workdir: Path, args: argparse.Namespace) -> dict[str, str]:
    env = project_env(f"sqlite:///{workdir / 'flood.sqlite3'}", args.redis_url, name="bench-flood")
    if args.rate is not None:
        env["REALTIME_MESSAGES_PER_SECOND"] = str(args.rate)
    if args.burst is not None:
        env["REALTIME_MESSAGE_BURST"] = str(args.burst)
    return env


def provision(env: dict[str, str], events: int = 0) -> dict:
    """Migrates the fresh database and creates the two customers (and, with ``events``, a third
    one, alice, with that many pet events in the log), in a child process with the server's
    settings; their ids and access tokens, and the newest event id."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.flood", "--provision", "--storm-events", str(events)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise FloodError(f"provisioning failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _provision_here(events: int) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from rest_framework_simplejwt.tokens import AccessToken

    from realtime.log import selectors
    from realtime.declaring.notifications import notification_service

    call_command("migrate", interactive=False, verbosity=0)
    users: dict = {}
    for name in ("victim", "flooder", "alice") if events else ("victim", "flooder"):
        user = get_user_model().objects.create_user(username=f"flood-{name}")
        users[name] = {"id": user.pk, "token": str(AccessToken.for_user(user))}
    # Events only, no pets: the storm's replays read the log, not the pets table. Written through
    # the project's entry point for events of its own, 1,000 to a transaction (they are numbered
    # after each commit, in batches, rather than one by one).
    for start in range(0, events, 1000):
        with transaction.atomic():
            for pet_id in range(start + 1, min(start + 1000, events) + 1):
                notification_service.sync.send_pet_update(
                    "created",
                    {
                        "pet_id": pet_id,
                        "name": f"alice-{pet_id}",
                        "species": "Perro",
                        "breed": "Mestizo",
                        "age": 3,
                        "user_id": users["alice"]["id"],
                    },
                )
    users["newest"] = selectors.last_seq()
    print(json.dumps(users))


class Server:
    """The measured daphne, logging to ``daphne.log`` in the run's folder."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env, self.port = env, free_port()
        self.log_path = workdir / "daphne.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        try:
            self.proc = start_server(
                [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(self.port), "petland.asgi:application"],
                port=self.port,
                ready_path="/api/services/",
                cwd=ROOT,
                env=self.env,
                timeout=60,
                log=self.log_path,
                name="daphne",
            )
        except ServerError as error:
            raise FloodError(str(error)) from None
        return self

    def __exit__(self, *exc: object) -> None:
        stop_server(self.proc)

    @property
    def http(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://{HOST}:{self.port}"


# --- the measured client ---------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, one per change received
    event_ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    handshakes: list[float] = field(default_factory=list)  # seconds, TCP connect to connection_established
    handshake_failures: int = 0  # refused, or no connection_established within STORM_CONNECT_SECONDS
    connect_failures: int = 0  # the bystander's own handshakes that failed before it connected
    error: str | None = None  # why the bystander stopped early (resume storm only)

    @property
    def in_order(self) -> bool:
        return self.names == self.expected and self.event_ids == sorted(set(self.event_ids))

    def percentile(self, p: float) -> float:
        return ms_percentile(self.latencies, p)


def ms_percentile(seconds: list[float], p: float) -> float:
    """The ``p``-th percentile of ``seconds``, in milliseconds (NaN for none)."""
    if not seconds:
        return math.nan
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def post_pet(server: Server, token: str, name: str) -> None:
    request = urllib.request.Request(
        f"{server.http}/api/pets/",
        method="POST",
        data=json.dumps({"name": name, "species": "Gato"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 201:
            raise FloodError(f"POST /api/pets/ answered {response.status}")


async def measure(server: Server, victim: dict, phase: Phase, changes: int, pause: float, attempts: int = 1) -> None:
    """Creates ``changes`` pets one after another and times each one's arrival on the socket
    (opened in at most ``attempts`` handshakes)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake

    marker = f"{phase.name}-{uuid.uuid4().hex[:6]}-"
    for attempt in range(1, attempts + 1):
        try:
            ws = await connect(f"{server.ws}/ws/pets/?token={victim['token']}", open_timeout=10, max_queue=None)
            break
        except (InvalidHandshake, OSError, TimeoutError):
            phase.connect_failures += 1
            if attempt == attempts:
                raise
    async with ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if first["type"] != "connection_established":
            raise FloodError(f"the measured socket was refused: {first}")
        for i in range(changes):
            name = f"{marker}{i}"
            phase.expected.append(name)
            started = time.perf_counter()
            await asyncio.to_thread(post_pet, server, victim["token"], name)
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message["type"] == "realtime_update":
                    phase.names.append(message["data"]["name"])
                    phase.event_ids.append(message["event_id"])
                    if message["data"]["name"] == name:
                        phase.latencies.append(time.perf_counter() - started)
                        break
            await asyncio.sleep(pause)


async def sample_handshakes(server: Server, victim: dict, phase: Phase, count: int, pause: float) -> None:
    """Opens ``count`` fresh sockets one after another and times each from the TCP connect to
    its ``connection_established`` (each is closed before the next one opens)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    for _ in range(count):
        started = time.perf_counter()
        try:
            async with connect(
                f"{server.ws}/ws/pets/?token={victim['token']}", open_timeout=STORM_CONNECT_SECONDS, close_timeout=1
            ) as ws:
                first = json.loads(await asyncio.wait_for(ws.recv(), STORM_CONNECT_SECONDS))
                took = time.perf_counter() - started
            if first.get("type") == "connection_established":
                phase.handshakes.append(took)
            else:
                phase.handshake_failures += 1
        except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
            phase.handshake_failures += 1
        await asyncio.sleep(pause)


def measure_phase(server: Server, victim: dict, phase: Phase, args: argparse.Namespace) -> None:
    """The bystander's changes; in the resume storm, fresh handshakes sampled at the same time."""
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    async def bystander() -> None:
        """A storm may keep the bystander from connecting, or delay a change past its wait:
        that is a result to report, not a reason to stop the other measurement."""
        try:
            await measure(server, victim, phase, args.changes, args.pause, attempts=BYSTANDER_ATTEMPTS)
        except (FloodError, InvalidHandshake, ConnectionClosed, OSError, TimeoutError) as error:
            phase.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__

    async def both() -> None:
        if args.storm != "resume":
            await measure(server, victim, phase, args.changes, args.pause)  # a failure ends the run
            return
        await asyncio.gather(bystander(), sample_handshakes(server, victim, phase, args.handshakes, HANDSHAKE_PAUSE))

    asyncio.run(asyncio.wait_for(both(), args.timeout))


# --- the flood, in a process of its own -----------------------------------------------------
def flood_process(ws_base: str, token: str, messages: int, flooders: int, stop, results) -> None:
    """Floods until ``stop`` is set or ``messages`` are sent; puts its counts on ``results``."""
    counts = asyncio.run(_flood(ws_base, token, messages, flooders, stop))
    results.put(counts)


async def _flood(ws_base: str, token: str, budget: int, flooders: int, stop) -> dict[str, int]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    counts = {"messages": 0, "connections": 0, "cut_off": 0, "refused_handshakes": 0}

    def going() -> bool:
        return not stop.is_set() and counts["messages"] < budget

    async def one_connection(ws) -> None:
        """Keeps WINDOW messages in flight (as many as the server will read) until cut off."""
        answered, room = 0, asyncio.Event()

        async def drain() -> None:
            nonlocal answered
            try:
                async for text in ws:
                    answered += 1
                    room.set()
                    if '"rate_limited"' in text:
                        counts["cut_off"] += 1
            except ConnectionClosed:
                pass
            room.set()

        reader = asyncio.create_task(drain())
        sent = 0
        try:
            while going() and not reader.done():
                if sent - answered >= WINDOW:
                    room.clear()
                    await room.wait()
                    continue
                await ws.send(JUNK[counts["messages"] % len(JUNK)])
                sent += 1
                counts["messages"] += 1
        except ConnectionClosed:
            pass
        reader.cancel()

    async def flooder() -> None:
        """Floods one socket, and comes back when it is cut off."""
        while going():
            counts["connections"] += 1
            async with connect(f"{ws_base}/ws/pets/?token={token}", open_timeout=10, max_queue=None) as ws:
                await ws.recv()
                await one_connection(ws)

    async def churn() -> None:
        """Handshakes that are refused, and sockets that send binary frames."""
        i = 0
        while going():
            i += 1
            try:
                if i % 2:
                    async with connect(f"{ws_base}/ws/pets/?token=not-a-jwt-{i}", open_timeout=10) as ws:
                        await ws.recv()
                        await ws.wait_closed()
                else:
                    async with connect(f"{ws_base}/ws/services/", open_timeout=10) as ws:
                        await ws.recv()
                        await ws.send(b"\x00\x01")
                        await ws.recv()
                counts["refused_handshakes"] += i % 2
            except (ConnectionClosed, InvalidStatus, OSError):
                pass

    await asyncio.gather(*(flooder() for _ in range(flooders)), churn())
    return counts


# --- the resume storm, in a process of its own ----------------------------------------------
STORM_COUNTS = (
    "resumes",
    "resumes_on_connect",
    "answered",
    "rate_limited",
    "closed",
    "resync_required",
    "failed_handshakes",
    "connections",
    "leaked",
)


def storm_process(ws_base: str, token: str, budget: int, sockets: int, back: int, stop, ready, results) -> None:
    """Resumes until ``stop`` is set or ``budget`` resumes are sent; puts its counts on ``results``."""
    counts = asyncio.run(_storm(ws_base, token, budget, sockets, back, stop, ready))
    results.put(counts)


async def _storm(ws_base: str, token: str, budget: int, sockets: int, back: int, stop, ready) -> dict[str, int]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    counts = dict.fromkeys(STORM_COUNTS, 0)
    newest = 0  # the newest event id a connection_established announced
    first_up = 0  # sockets whose first connection is up

    def going() -> bool:
        return not stop.is_set() and counts["resumes"] + counts["resumes_on_connect"] < budget

    async def one_connection(ws, after: int) -> None:
        """Keeps WINDOW messages in flight: ``resume`` from ``after``, each followed by a ``ping``
        whose ``pong`` says the resume was served (a socket's messages are handled in order)."""
        pairs_sent, answered, room, cut_off = 0, 0, asyncio.Event(), False

        async def drain() -> None:
            nonlocal answered, cut_off
            try:
                async for text in ws:
                    kind = json.loads(text).get("type")
                    if kind == "pong":
                        answered += 1
                        counts["answered"] += 1
                        room.set()
                    elif kind == "resync_required":
                        counts["resync_required"] += 1
                    elif kind in ("realtime_update", "notification"):
                        counts["leaked"] += 1  # bob may see none of alice's events
                    elif '"rate_limited"' in text:
                        counts["rate_limited"] += 1
                        cut_off = True
            except ConnectionClosed:
                pass
            if not cut_off and going():
                counts["closed"] += 1  # by the server, for another reason than the rate limit
            room.set()

        reader = asyncio.create_task(drain())
        resume = json.dumps({"type": "resume", "last_event_id": after})
        try:
            while going() and not reader.done():
                if pairs_sent - answered >= WINDOW // 2:
                    room.clear()
                    await room.wait()
                    continue
                await ws.send(resume)
                await ws.send('{"type": "ping"}')
                pairs_sent += 1
                counts["resumes"] += 1
            if going():
                await reader  # the server closed: its last frames are counted
        except ConnectionClosed:
            if going():
                await reader
        finally:
            reader.cancel()  # also when the storm is cancelled: our own close is not counted

    async def storm_socket() -> None:
        """One socket of bob's, resuming; it comes back with ``?last_event_id=`` when cut off."""
        nonlocal newest, first_up
        url = f"{ws_base}/ws/pets/?token={token}"
        reconnecting = False
        while going():
            counts["connections"] += 1
            if reconnecting:
                counts["resumes_on_connect"] += 1
            try:
                async with connect(
                    url + (f"&last_event_id={max(newest - back, 0)}" if reconnecting else ""),
                    open_timeout=STORM_CONNECT_SECONDS,
                    close_timeout=1,
                    max_queue=None,
                ) as ws:
                    hello = json.loads(await asyncio.wait_for(ws.recv(), STORM_CONNECT_SECONDS))
                    if hello.get("type") != "connection_established":
                        counts["failed_handshakes"] += 1
                        await asyncio.sleep(0.1)
                        continue
                    newest = max(newest, hello["last_event_id"])
                    if not reconnecting:
                        first_up += 1
                        if first_up == sockets:
                            ready.set()
                    reconnecting = True
                    # ``back`` events before this connection's own position: a replay of ``back``
                    # rows at most, never one long enough to be refused with resync_required.
                    await one_connection(ws, max(hello["last_event_id"] - back, 0))
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
                counts["failed_handshakes"] += 1
                await asyncio.sleep(0.1)

    async def until_stopped() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.05)

    # A socket waiting for its pongs does not look at ``stop``: cancel them all when it is set.
    storm = asyncio.gather(*(storm_socket() for _ in range(sockets)))
    watcher = asyncio.create_task(until_stopped())
    await asyncio.wait([storm, watcher], return_when=asyncio.FIRST_COMPLETED)
    for task in (storm, watcher):
        task.cancel()
    await asyncio.gather(storm, watcher, return_exceptions=True)
    return counts


# --- the run -------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    if not args.redis_url:
        print("bench.flood: no --redis-url; the in-memory channel layer serves (single process)", file=sys.stderr)
    storm = args.storm == "resume"
    with tempfile.TemporaryDirectory(prefix="petland-flood-") as tmp:
        workdir = Path(tmp)
        env = server_env(workdir, args)
        users = provision(env, args.storm_events if storm else 0)
        with Server(env, workdir) as server:
            quiet, loaded = Phase("quiet"), Phase("storm" if storm else "flood")
            # Unmeasured: the first requests of a fresh server open connections and fill caches.
            asyncio.run(asyncio.wait_for(measure(server, users["victim"], Phase("warmup"), 5, args.pause), args.timeout))
            measure_phase(server, users["victim"], quiet, args)

            context = multiprocessing.get_context("spawn")
            stop, ready, results = context.Event(), context.Event(), context.Queue()
            if storm:
                worker = context.Process(
                    target=storm_process,
                    args=(
                        server.ws,
                        users["flooder"]["token"],
                        args.messages,
                        args.storm_sockets,
                        args.resume_back,
                        stop,
                        ready,
                        results,
                    ),
                )
            else:
                worker = context.Process(
                    target=flood_process,
                    args=(server.ws, users["flooder"]["token"], args.messages, args.flooders, stop, results),
                )
            worker.start()
            try:
                # Every storm socket is up, or some could not connect: the storm is on all the same.
                deadline = time.monotonic() + 3 * STORM_CONNECT_SECONDS
                while storm and not ready.wait(0.1) and worker.is_alive() and time.monotonic() < deadline:
                    pass
                time.sleep(args.warmup)  # the flood is under way before the first change
                measure_phase(server, users["victim"], loaded, args)
            finally:
                still_flooding = worker.is_alive()
                stop.set()
                worker.join(30)
                if worker.is_alive():
                    worker.kill()
            try:
                counts = results.get(timeout=5)
            except queue.Empty:
                counts = {}
    if storm:
        storm_report(args, users["newest"], quiet, loaded, counts, still_flooding)
    else:
        report(args, quiet, loaded, counts, still_flooding)
    delivered = quiet.in_order and loaded.in_order and len(loaded.latencies) == args.changes
    return 0 if delivered and counts.get("leaked", 0) == 0 else 1


def report(args: argparse.Namespace, quiet: Phase, flooded: Phase, counts: dict, still_flooding: bool) -> None:
    print(f"PetLand flood benchmark: {args.changes} changes per phase, one after another, daphne on {HOST}")
    print(f"{'phase':<7} {'received':>9} {'in order':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for phase in (quiet, flooded):
        print(
            f"{phase.name:<7} {len(phase.latencies):>5}/{args.changes:<3} {'yes' if phase.in_order else 'NO':>9} "
            f"{phase.percentile(50):>8.1f} {phase.percentile(95):>8.1f} {max(phase.latencies) * 1000:>8.1f}"
        )
    for p in (50, 95):
        before, after = quiet.percentile(p), flooded.percentile(p)
        print(f"rise p{p}: {after - before:+.1f} ms (x{after / before:.2f})")
    if counts:
        print(
            f"flood: {counts['messages']} messages over {counts['connections']} connections of {args.flooders} "
            f"flooders ({counts['cut_off']} cut off with rate_limited), {counts['refused_handshakes']} refused "
            f"handshakes, binary frames in between" + ("" if still_flooding else "; the flood ended before the last change")
        )
    print(
        f"mean latency: quiet {sum(quiet.latencies) / len(quiet.latencies) * 1000:.1f} ms, "
        f"flood {sum(flooded.latencies) / len(flooded.latencies) * 1000:.1f} ms "
        f"(median {median(flooded.latencies) * 1000:.1f} ms)"
    )


def storm_report(args: argparse.Namespace, newest: int, quiet: Phase, storm: Phase, counts: dict, still_storming: bool) -> None:
    """Quiet and storm side by side: the bystander's update latency and fresh handshakes."""
    print(
        f"PetLand resume-storm benchmark: daphne on {HOST}, {args.storm_events} events of alice's in the log "
        f"(newest {newest}), {args.storm_sockets} sockets of bob resuming {args.resume_back} events back; "
        f"{args.changes} changes and {args.handshakes} fresh handshakes per phase"
    )
    print(f"{'':<18} {'quiet':>10} {'storm':>10} {'rise':>8}")
    _row("updates received", *(f"{len(p.latencies)}/{args.changes}" for p in (quiet, storm)))
    _row("updates in order", *(("yes" if p.in_order else "NO") if p.latencies else "-" for p in (quiet, storm)))
    for name, q in STATS:
        _figures(f"update {name} ms", quiet.latencies, storm.latencies, q)
    _row("handshakes ok", *(f"{len(p.handshakes)}/{len(p.handshakes) + p.handshake_failures}" for p in (quiet, storm)))
    _row("bystander retries", *(str(p.connect_failures) for p in (quiet, storm)))
    for name, q in STATS:
        _figures(f"handshake {name} ms", quiet.handshakes, storm.handshakes, q)
    if counts:
        print(
            f"storm: {counts['resumes'] + counts['resumes_on_connect']} resumes sent ({counts['resumes']} as "
            f"messages, {counts['resumes_on_connect']} with ?last_event_id= on reconnecting) over "
            f"{counts['connections']} connections of {args.storm_sockets} sockets; {counts['answered']} answered, "
            f"{counts['rate_limited']} cut off with rate_limited, {counts['closed']} closed otherwise, "
            f"{counts['resync_required']} resync_required, {counts['failed_handshakes']} handshakes refused or "
            f"timed out; {counts['leaked']} events reached bob"
            + ("" if still_storming else "; the storm ended before the phase did")
        )
    else:
        print("storm: no counts (the storm process did not report)")
    for phase in (quiet, storm):
        if phase.error:
            print(f"bystander, {phase.name} phase: stopped after {len(phase.latencies)} changes: {phase.error}")


STATS = (("p50", 50), ("p99", 99), ("max", 100))


def _row(label: str, quiet: str, storm: str, rise: str = "") -> None:
    print(f"{label:<18} {quiet:>10} {storm:>10} {rise:>8}")


def _figures(label: str, quiet: list[float], storm: list[float], q: float) -> None:
    before, after = ms_percentile(quiet, q), ms_percentile(storm, q)
    known = not math.isnan(before) and not math.isnan(after) and before > 0
    _row(label, *(("-" if math.isnan(v) else f"{v:.1f}") for v in (before, after)), f"x{after / before:.1f}" if known else "-")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--storm",
        choices=("junk", "resume"),
        default="junk",
        help="what the other customer sends: junk as fast as it can (junk, the default), or resume "
        "messages and reconnects that replay alice's events (resume)",
    )
    p.add_argument(
        "--messages", type=int, default=50_000, help="flood messages at most; with --storm resume, resumes at most (50000)"
    )
    p.add_argument("--changes", type=int, default=200, help="changes measured per phase (200)")
    p.add_argument("--flooders", type=int, default=4, help="flooding sockets at a time (4)")
    p.add_argument("--pause", type=float, default=0.01, help="seconds between two changes (0.01)")
    p.add_argument("--warmup", type=float, default=0.5, help="seconds of flood before the first change (0.5)")
    p.add_argument("--rate", type=float, default=None, help="REALTIME_MESSAGES_PER_SECOND (production: 20)")
    p.add_argument("--burst", type=int, default=None, help="REALTIME_MESSAGE_BURST (production: 40)")
    p.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis for the server (a unique prefix is used); empty: the in-memory layer",
    )
    p.add_argument("--storm-sockets", type=int, default=10, help="--storm resume: bob's resuming sockets (10)")
    p.add_argument(
        "--storm-events",
        type=int,
        default=10_000,
        help="--storm resume: alice's events in the log before the server starts (10000)",
    )
    p.add_argument(
        "--resume-back",
        type=int,
        default=9_990,
        help="--storm resume: each resume starts this many events before the newest (9990)",
    )
    p.add_argument("--handshakes", type=int, default=20, help="--storm resume: fresh handshakes timed per phase (20)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds each phase may take (120)")
    p.add_argument("--provision", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.provision:
        _provision_here(args.storm_events)
        return 0
    try:
        return run(args)
    except (FloodError, TimeoutError) as error:
        print(f"bench.flood: {error or 'a phase ran out of time'}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
