"""``python -m bench.feed``: the change feed catching up over a long log.

Seeds ``--events`` events (100,000) on one channel through the event log's own writes, starts
the project under daphne, and reads them all back with an integration key, twice: through the
page form (``GET /api/events/?after=…&limit=…``, one request after another on one keep-alive
connection) and through the stream (``GET /api/events/stream?after=0``). Reports events per
second for each. Everything stays on 127.0.0.1; every phase has a timeout.

``seed_events`` is also what the tests use to make a long log quickly.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.servers import HOST, free_port, start_server, stop_server
from bench.targets import ROOT, FreshPostgres, project_env

SEED_BATCH = 5000  # events appended per transaction, then numbered


def seed_events(count: int, *, channel: str = "invoices", user_id: int = 1) -> tuple[int, int]:
    """Append ``count`` committed, numbered invoice-like events on ``channel`` (seen by staff and
    ``user_id``), as ``event_log.append`` stores them but inserted in bulk, then numbered by the
    log's own ``sequence_pending``; returns the first and last event ids. Inside Django."""
    from django.db import transaction

    from realtime.log import event_log, messages
    from realtime.models import Event

    first = last = 0
    for start in range(0, count, SEED_BATCH):
        rows = []
        for n in range(start, min(count, start + SEED_BATCH)):
            number = f"INV-{n + 1:07d}"
            data = {"invoice_id": n + 1, "user_id": user_id, "number": number, "total": "80.00", "status": "issued"}
            payload = messages.realtime_update(channel, "created", data)
            body = messages.encode_body(dict(payload))
            rows.append(Event(channel=channel, type=payload["type"], record_id=str(n + 1), audience=[user_id], body=body))
        with transaction.atomic():
            Event.objects.bulk_create(rows, batch_size=1000)
        numbered = event_log.sequence_pending(known_pending=True)
        first, last = first or numbered[0].seq, numbered[-1].seq
    return first, last


def _seed_main(count: int) -> None:
    """In a child process with the project's settings: migrate, make a key, seed; print JSON."""
    import django

    django.setup()
    from django.core.management import call_command

    from realtime.feed import keys

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    first, last = seed_events(count)
    seconds = time.perf_counter() - started
    _row, key = keys.integration_key_create(name="bench", channels=["invoices"])
    print(json.dumps({"key": key, "first": first, "last": last, "seed_seconds": seconds}))


def read_pages(port: int, key: str, expected: int, limit: int, timeout: float) -> int:
    """Read the feed from the start in pages; the number of events read."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    after, read, deadline = 0, 0, time.monotonic() + timeout
    while read < expected and time.monotonic() < deadline:
        connection.request("GET", f"/api/events/?after={after}&limit={limit}", headers={"Authorization": f"Api-Key {key}"})
        response = connection.getresponse()
        body = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"page after {after}: {response.status} {body}")
        read += len(body["events"])
        after = body["last_event_id"]
        if not body["has_more"]:
            break
    connection.close()
    return read


def read_stream(port: int, key: str, expected: int, timeout: float) -> int:
    """Read the stream from the start until ``expected`` events came; the number read."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    connection.request("GET", "/api/events/stream?after=0", headers={"Authorization": f"Api-Key {key}"})
    response = connection.getresponse()
    read, deadline = 0, time.monotonic() + timeout
    while read < expected and time.monotonic() < deadline:
        line = response.readline()
        if not line:
            break
        if line != b"\n":
            read += 1
    connection.close()
    return read


@contextlib.contextmanager
def _database(url: str | None, workdir: Path) -> Iterator[str]:
    if url is None:
        yield f"sqlite:///{workdir / 'feed.sqlite3'}"
        return
    with FreshPostgres(url) as fresh:
        yield fresh


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.feed", description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=100_000, help="events to seed and read back (100000)")
    p.add_argument("--limit", type=int, default=1000, help="events per page in the page form (1000, the maximum)")
    p.add_argument("--repeat", type=int, default=1, help="read each way this many times (1)")
    p.add_argument("--database-url", help="PostgreSQL server (a fresh database is made and dropped); default SQLite")
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    p.add_argument("--timeout", type=float, default=600.0, help="seconds for each phase (600)")
    p.add_argument("--seed-only", type=int, help=argparse.SUPPRESS)  # the child that seeds
    args = p.parse_args(argv)
    if args.seed_only is not None:
        _seed_main(args.seed_only)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="petland-bench-feed-"))
    with _database(args.database_url, workdir) as database_url:
        env = project_env(database_url, args.redis_url, name="bench-feed", DJANGO_LOG_LEVEL="warning")
        seeded = subprocess.run(
            [sys.executable, "-m", "bench.feed", "--seed-only", str(args.events)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=args.timeout,
        )
        if seeded.returncode != 0:
            print(seeded.stderr[-3000:], file=sys.stderr)
            return 1
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        db = "PostgreSQL" if args.database_url else "SQLite"
        rate = args.events / seed["seed_seconds"]
        print(f"seeded {args.events:,} events on {db} in {seed['seed_seconds']:.1f}s ({rate:,.0f}/s)")
        port = free_port()
        proc = start_server(
            [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "petland.asgi:application"],
            port=port,
            ready_path="/api/services/",
            cwd=ROOT,
            env=env,
            timeout=60,
            log=workdir / "daphne.log",
            name="daphne",
        )
        try:
            for _ in range(args.repeat):
                for form, read in (
                    (f"pages of {args.limit}", lambda: read_pages(port, seed["key"], args.events, args.limit, args.timeout)),
                    ("stream", lambda: read_stream(port, seed["key"], args.events, args.timeout)),
                ):
                    started = time.perf_counter()
                    count = read()
                    seconds = time.perf_counter() - started
                    print(f"{form:>14}: {count:,}/{args.events:,} events in {seconds:.2f}s = {count / seconds:,.0f} events/s")
        finally:
            stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
