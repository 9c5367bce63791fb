"""``python -m bench.chat``: chat delivery (issue 16). PetLand under daphne on a loopback port
(fresh SQLite database in a temporary folder, Redis at ``--redis-url``); ``--conversations``
customers each have a reservation and a socket on ``/ws/chat/``; staff post ``--messages``
messages to every conversation over HTTP, all conversations at once (``--concurrency`` POSTs in
flight), each conversation's one after another. Reported: the latency from just before each
POST to its ``realtime_update`` on the customer's socket (p50, p99, max), every message
delivered or not, and the server process's CPU time (user + system, from /proc) per message
over the send phase. Everything stays on 127.0.0.1; every phase has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.report import percentile
from bench.servers import HOST, free_port, start_server, stop_server
from bench.targets import project_env

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.chat", description=__doc__.split("\n\n")[0])
    p.add_argument("--conversations", type=int, default=100, help="customers, each with a reservation and a socket (100)")
    p.add_argument("--messages", type=int, default=5, help="messages staff post to each conversation (5; at most 10)")
    p.add_argument("--concurrency", type=int, default=16, help="POSTs in flight (16)")
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    p.add_argument("--timeout", type=float, default=120.0, help="seconds for each phase (120)")
    p.add_argument("--provision", type=int, metavar="N", help=argparse.SUPPRESS)  # in the child: make N conversations
    args = p.parse_args(argv)
    if not 1 <= args.messages <= 10:
        p.error("--messages: 1 to 10 (more is past the chat's 10 in 10 s per user and conversation)")
    return args


def _provision_here(count: int) -> None:
    """In a child with the server's settings: migrate, one member of staff, ``count`` customers
    with a reservation each; their tokens and reservation ids as one JSON line."""
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from petland.models import Pet, Reservation, Service, User

    call_command("migrate", interactive=False, verbosity=0)
    staff = User.objects.create_user(username="bench-chat-staff", first_name="Sam", is_staff=True)
    service = Service.objects.create(name="Boarding", price="40.00", duration=60)
    start = timezone.now() + timedelta(days=1)
    customers = []
    for n in range(count):
        user = User.objects.create_user(username=f"bench-chat-{n}", first_name=f"Customer {n}")
        pet = Pet.objects.create(owner=user, name=f"Pet {n}", species="Perro")
        reservation = Reservation.objects.create(
            user=user, pet=pet, service=service, checkin_date=start, checkout_date=start + timedelta(days=2)
        )
        customers.append({"token": str(AccessToken.for_user(user)), "reservation": reservation.pk})
    print(json.dumps({"staff": str(AccessToken.for_user(staff)), "customers": customers}))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(args: argparse.Namespace, http: str, ws: str, users: dict, pid: int) -> dict:
    from websockets.asyncio.client import connect

    customers = users["customers"]
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    expected = len(customers) * args.messages
    done = asyncio.Event()

    async def listen(socket) -> None:
        async for text in socket:
            message = json.loads(text)
            if message.get("type") == "realtime_update" and message.get("action") == "created":
                body = message["data"]["body"]
                latencies.append(time.perf_counter() - sent_at[body])
                if len(latencies) == expected:
                    done.set()

    sockets = []
    for customer in customers:
        socket = await connect(f"{ws}/ws/chat/?token={customer['token']}", open_timeout=args.timeout)
        assert json.loads(await socket.recv())["type"] == "connection_established"
        sockets.append(socket)
    readers = [asyncio.create_task(listen(socket)) for socket in sockets]

    def post(reservation: int, body: str) -> None:
        request = urllib.request.Request(
            f"{http}/api/reservations/{reservation}/messages/",
            data=json.dumps({"body": body}).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {users['staff']}"},
        )
        sent_at[body] = time.perf_counter()
        with urllib.request.urlopen(request, timeout=args.timeout) as response:
            response.read()

    def conversation(customer: dict) -> None:
        for n in range(args.messages):
            post(customer["reservation"], f"message {n} to {customer['reservation']}")

    cpu_before, started = cpu_seconds(pid), time.perf_counter()
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        await asyncio.gather(*(loop.run_in_executor(pool, conversation, customer) for customer in customers))
    try:
        await asyncio.wait_for(done.wait(), args.timeout)
    except TimeoutError:
        pass
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu_before
    for task in readers:
        task.cancel()
    for socket in sockets:
        await socket.close()
    ordered = sorted(latencies)
    return {
        "conversations": len(customers),
        "messages": expected,
        "delivered": len(latencies),
        "p50_ms": percentile(ordered, 50) * 1000,
        "p99_ms": percentile(ordered, 99) * 1000,
        "max_ms": ordered[-1] * 1000 if ordered else float("nan"),
        "messages_per_s": len(latencies) / elapsed,
        "server_cpu_ms_per_message": cpu / expected * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.provision is not None:
        _provision_here(args.provision)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="petland-bench-chat-"))
    env = project_env(f"sqlite:///{workdir / 'chat.sqlite3'}", args.redis_url, name="bench-chat")
    provisioned = subprocess.run(
        [sys.executable, "-m", "bench.chat", "--provision", str(args.conversations)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=args.timeout,
    )
    if provisioned.returncode != 0:
        print(provisioned.stderr[-3000:], file=sys.stderr)
        return 1
    users = json.loads(provisioned.stdout.strip().splitlines()[-1])
    port = free_port()
    command = [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "petland.asgi:application"]
    proc = start_server(
        command, port=port, ready_path="/api/services/", cwd=ROOT, env=env, timeout=60, log=workdir / "daphne.log", name="daphne"
    )
    try:
        result = asyncio.run(measure(args, f"http://{HOST}:{port}", f"ws://{HOST}:{port}", users, proc.pid))
    finally:
        stop_server(proc)
    print(json.dumps(result))
    print(
        f"chat: {result['conversations']} conversations, {result['delivered']}/{result['messages']} delivered; "
        f"POST → customer's socket p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms; "
        f"{result['messages_per_s']:.0f} messages/s; server CPU {result['server_cpu_ms_per_message']:.2f} ms per message"
    )
    return 0 if result["delivered"] == result["messages"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
