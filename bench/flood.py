"""``python -m bench.flood``: how much a flood from one client costs another client's latency.

Starts PetLand under daphne on a loopback port (fresh SQLite database in a temporary folder,
Redis at ``--redis-url``, production limits unless ``--rate``/``--burst`` say otherwise). A
customer's socket listens on ``/ws/pets/`` while ``--changes`` pets are created for them over
HTTP, one after another; the latency of each is the time from just before its POST to its
``realtime_update`` on the socket. That is measured twice: on a quiet server, and while another
process floods it: sockets of another customer that send junk as fast as they can (and come
back when cut off), and handshakes with bad tokens and binary frames, up to ``--messages``
messages. The report gives both latencies, the rise, and whether every event arrived in order.

Everything stays on 127.0.0.1 and every phase has a deadline (``--timeout``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from bench.targets import HOST, free_port

ROOT = Path(__file__).resolve().parent.parent
WINDOW = 64  # a flooder's messages in flight, unanswered
JUNK = ['{"type": "ping"}', "not json", '{"type": "launch"}', '{"type": "subscribe", "ids": "all"}']


class FloodError(RuntimeError):
    """A phase failed or ran out of time; the message says which."""


# --- the server ----------------------------------------------------------------------------
def server_env(workdir: Path, args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REALTIME_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="petland.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=f"bench-flood-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS=f"{HOST},localhost",
        DATABASE_URL=f"sqlite:///{workdir / 'flood.sqlite3'}",
        REDIS_URL=args.redis_url,
        REALTIME_REDIS_PREFIX=f"bench-flood-{uuid.uuid4().hex[:12]}",
        JWT_ACCESS_MINUTES="600",
        API_WRITES_PER_MINUTE="0",  # the changes are timed, not throttled
        PYTHONUNBUFFERED="1",
    )
    if args.rate is not None:
        env["REALTIME_MESSAGES_PER_SECOND"] = str(args.rate)
    if args.burst is not None:
        env["REALTIME_MESSAGE_BURST"] = str(args.burst)
    return env


def provision(env: dict[str, str]) -> dict[str, dict]:
    """Migrates the fresh database and creates the two customers, in a child process with the
    server's settings; their ids and access tokens."""
    result = subprocess.run([sys.executable, "-m", "bench.flood", "--provision"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise FloodError(f"provisioning failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _provision_here() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    call_command("migrate", interactive=False, verbosity=0)
    users = {}
    for name in ("victim", "flooder"):
        user = get_user_model().objects.create_user(username=f"flood-{name}")
        users[name] = {"id": user.pk, "token": str(AccessToken.for_user(user))}
    print(json.dumps(users))


class Server:
    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env, self.port = env, free_port()
        self.log_path = workdir / "daphne.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(self.port), "petland.asgi:application"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise FloodError(f"daphne exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.http}/api/services/", timeout=2):
                    return self
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise FloodError(f"daphne did not answer within 60s:\n{self.log_tail()}")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()

    @property
    def http(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://{HOST}:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


# --- the measured client ---------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, one per change received
    event_ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    @property
    def in_order(self) -> bool:
        return self.names == self.expected and self.event_ids == sorted(set(self.event_ids))

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def post_pet(server: Server, token: str, name: str) -> None:
    request = urllib.request.Request(
        f"{server.http}/api/pets/", method="POST", data=json.dumps({"name": name, "species": "Gato"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 201:
            raise FloodError(f"POST /api/pets/ answered {response.status}")


async def measure(server: Server, victim: dict, phase: Phase, changes: int, pause: float) -> None:
    """Creates ``changes`` pets one after another and times each one's arrival on the socket."""
    from websockets.asyncio.client import connect

    marker = f"{phase.name}-{uuid.uuid4().hex[:6]}-"
    async with connect(f"{server.ws}/ws/pets/?token={victim['token']}", open_timeout=10, max_queue=None) as ws:
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


# --- the run -------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    if not args.redis_url:
        print("bench.flood: no --redis-url; the in-memory channel layer serves (single process)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="petland-flood-") as tmp:
        workdir = Path(tmp)
        env = server_env(workdir, args)
        users = provision(env)
        with Server(env, workdir) as server:
            quiet, flooded = Phase("quiet"), Phase("flood")
            # Unmeasured: the first requests of a fresh server open connections and fill caches.
            asyncio.run(asyncio.wait_for(measure(server, users["victim"], Phase("warmup"), 5, args.pause),
                                         args.timeout))
            asyncio.run(asyncio.wait_for(measure(server, users["victim"], quiet, args.changes, args.pause),
                                         args.timeout))

            context = multiprocessing.get_context("spawn")
            stop, results = context.Event(), context.Queue()
            worker = context.Process(
                target=flood_process,
                args=(server.ws, users["flooder"]["token"], args.messages, args.flooders, stop, results),
            )
            worker.start()
            try:
                time.sleep(args.warmup)  # the flood is under way before the first change
                asyncio.run(asyncio.wait_for(measure(server, users["victim"], flooded, args.changes, args.pause),
                                             args.timeout))
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
    report(args, quiet, flooded, counts, still_flooding)
    return 0 if quiet.in_order and flooded.in_order and len(flooded.latencies) == args.changes else 1


def report(args: argparse.Namespace, quiet: Phase, flooded: Phase, counts: dict, still_flooding: bool) -> None:
    print(f"PetLand flood benchmark: {args.changes} changes per phase, one after another, daphne on {HOST}")
    print(f"{'phase':<7} {'received':>9} {'in order':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for phase in (quiet, flooded):
        print(f"{phase.name:<7} {len(phase.latencies):>5}/{args.changes:<3} {'yes' if phase.in_order else 'NO':>9} "
              f"{phase.percentile(50):>8.1f} {phase.percentile(95):>8.1f} {max(phase.latencies) * 1000:>8.1f}")
    for p in (50, 95):
        before, after = quiet.percentile(p), flooded.percentile(p)
        print(f"rise p{p}: {after - before:+.1f} ms (x{after / before:.2f})")
    if counts:
        print(f"flood: {counts['messages']} messages over {counts['connections']} connections of {args.flooders} "
              f"flooders ({counts['cut_off']} cut off with rate_limited), {counts['refused_handshakes']} refused "
              f"handshakes, binary frames in between" + ("" if still_flooding else
                                                         "; the flood ended before the last change"))
    print(f"mean latency: quiet {sum(quiet.latencies) / len(quiet.latencies) * 1000:.1f} ms, "
          f"flood {sum(flooded.latencies) / len(flooded.latencies) * 1000:.1f} ms "
          f"(median {median(flooded.latencies) * 1000:.1f} ms)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=50_000, help="flood messages at most (50000)")
    p.add_argument("--changes", type=int, default=200, help="changes measured per phase (200)")
    p.add_argument("--flooders", type=int, default=4, help="flooding sockets at a time (4)")
    p.add_argument("--pause", type=float, default=0.01, help="seconds between two changes (0.01)")
    p.add_argument("--warmup", type=float, default=0.5, help="seconds of flood before the first change (0.5)")
    p.add_argument("--rate", type=float, default=None, help="REALTIME_MESSAGES_PER_SECOND (production: 20)")
    p.add_argument("--burst", type=int, default=None, help="REALTIME_MESSAGE_BURST (production: 40)")
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
                   help="Redis for the server (a unique prefix is used); empty: the in-memory layer")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds each phase may take (120)")
    p.add_argument("--provision", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.provision:
        _provision_here()
        return 0
    try:
        return run(args)
    except (FloodError, TimeoutError) as error:
        print(f"bench.flood: {error or 'a phase ran out of time'}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
