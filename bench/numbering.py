"""``python -m bench.numbering``: the ceilings of the two shared pieces every write goes
through, the event log's numbering and the Redis PUBLISH of each batch (docs/scaling.md).

Numbering: a fresh database (SQLite in a temporary folder, or with ``--database-url`` a new
PostgreSQL database created on that server and dropped after), migrated. For each count in
``--writers`` (1,2,4), that many processes append events and commit in a loop through the
project's own code, as a write's after-commit callback does, minus the transport: in a
transaction, ``event_log.append()`` for each of ``--events-per-commit`` events; after the
commit, ``event_log.sequence_pending(known_pending=True)`` (lock the counter row, number what
has committed). Reported: events numbered per second overall and per writer, events per
numbering transaction (above ``--events-per-commit`` when one writer numbers another's), the
time of one append+commit+number (p50/p99), errors, and whether the round's numbers are dense
(each number once, no gap, no event left unnumbered).

Publishes (``--publishers``, 1,2,4; 0 to skip): that many processes send a typical batch (one
pet event) after another through the project's layer publisher (one ``group_send``: one Redis
PUBLISH), while one subscriber on the hubs' group counts what arrives. Reported: publishes per
second sent and received, and Redis's own CPU time per publish (``INFO cpu``), from which its
single-threaded ceiling follows.

Each round lasts ``--seconds`` and each process stops after ``--max-events`` (or batches) at
most; every child has a deadline. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.cli import machine_busy_seconds, wait_quiet
from bench.report import _table, percentile
from bench.targets import ROOT, FreshPostgres, project_env

CHANNEL = "pets"  # the events look like the project's pet events; no hub listens to this database
MAX_ERRORS = 50  # a writer stops after this many failed commits
GRACE_SECONDS = 60.0  # a child's start-up (Django, a connection) and its report, beyond --seconds


def pet_payload(i: int) -> dict[str, Any]:
    """A typical ``realtime_update`` of a pet, as ``messages.realtime_update`` builds it."""
    return {
        "type": "realtime_update",
        "channel": CHANNEL,
        "action": "updated",
        "data": {
            "id": i,
            "name": f"numbering-{i}",
            "species": "Perro",
            "breed": "Mestizo",
            "age": 3,
            "owner": 7,
            "created_at": "2026-12-01T09:00:00+00:00",
        },
    }


# --- the children ----------------------------------------------------------------------------
def _setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def numbering_writer(index: int, env: dict[str, str], args: dict[str, Any], start, results) -> None:
    """One writer: append+commit+number until the round's time or count is up; its report."""
    _setup(env)
    from django.db import connection, transaction

    from realtime.log import event_log  # the lead may move it: the one realtime import here

    per_commit, seqs, times, errors = args["events_per_commit"], [], [], []
    appended = batches = 0  # batches: numbering transactions of this writer's that numbered something

    def commit_and_number(i: int) -> list[int]:
        with transaction.atomic():
            for k in range(per_commit):
                event_log.append(channel=CHANNEL, payload=pet_payload(i * per_commit + k), record_id=str(i), audience=(7,))
        # What publishing's on-commit callback does first: number what this commit added.
        return [d.seq for d in event_log.sequence_pending(known_pending=True)]

    commit_and_number(0)  # warm: the connection, the statements built once per database
    try:
        start.wait(GRACE_SECONDS)
    except Exception:  # noqa: BLE001 - a broken barrier: the parent reports the round as failed
        results.put({"writer": index, "error": "the round never started"})
        return
    began = time.monotonic()
    deadline = began + args["seconds"]
    i = 1
    while time.monotonic() < deadline and appended < args["max_events"] and len(errors) < MAX_ERRORS:
        t0 = time.perf_counter()
        try:
            numbered = commit_and_number(i)
            seqs += numbered
            batches += bool(numbered)
            appended += per_commit
            times.append(time.perf_counter() - t0)
        except Exception as error:  # noqa: BLE001 - counted and reported: "database is locked" etc.
            errors.append(f"{type(error).__name__}: {error}")
        i += 1
    elapsed = time.monotonic() - began
    connection.close()
    results.put(
        {
            "writer": index,
            "appended": appended,
            "seqs": seqs,
            "batches": batches,
            "elapsed": elapsed,
            "times": sorted(times),
            "errors": errors,
        }
    )


def publisher(index: int, env: dict[str, str], args: dict[str, Any], start, results) -> None:
    """One publisher: the project's layer publisher sends one typical batch after another."""
    _setup(env)
    from realtime.delivery.layer import layer_publisher  # the one realtime import here
    from realtime.log.event_log import Delivery

    text = json.dumps({**pet_payload(index), "event_id": 1})
    batch = [Delivery(1, CHANNEL, "realtime_update", "1", frozenset({7}), False, True, text, time.time()).to_wire()]

    async def send_all() -> tuple[int, float]:
        await layer_publisher.send(batch)  # warm: the Redis connection, the deployment identity
        start.wait(GRACE_SECONDS)
        sent, began = 0, time.monotonic()
        deadline = began + args["seconds"]
        while time.monotonic() < deadline and sent < args["max_events"]:
            await layer_publisher.send(batch)
            sent += 1
        return sent, time.monotonic() - began

    sent, elapsed = asyncio.run(send_all())
    results.put({"publisher": index, "sent": sent, "elapsed": elapsed})


def subscriber(env: dict[str, str], subscribed, stop, results) -> None:
    """The hubs' side: one subscription to their group, counting every batch that arrives."""
    _setup(env)
    from channels.layers import get_channel_layer

    from realtime.conf import setting

    async def count() -> dict[str, Any]:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(setting("GROUP"), channel)
        subscribed.set()
        received, first, last = 0, 0.0, 0.0
        while True:
            try:
                await asyncio.wait_for(layer.receive(channel), 1.0)
            except TimeoutError:
                if stop.is_set():  # the publishers are done and a second passed without a batch
                    break
                continue
            last = time.monotonic()
            first = first or last
            received += 1
        await layer.group_discard(setting("GROUP"), channel)
        return {"received": received, "elapsed": (last - first) if received > 1 else 0.0}

    results.put(asyncio.run(count()))


# --- the rounds --------------------------------------------------------------------------------
@dataclass
class Round:
    processes: int
    total: int = 0  # events numbered, or publishes sent
    per_second: float = 0.0
    per_process: list[float] = field(default_factory=list)
    per_batch: float | None = None  # events a numbering transaction numbered, on average
    p50_ms: float | None = None
    p99_ms: float | None = None
    dense: bool | None = None
    errors: list[str] = field(default_factory=list)
    received: int | None = None
    received_per_second: float | None = None
    redis_cpu_us: float | None = None  # Redis's CPU time per publish
    load: float = 0.0  # the 1-minute load average when the round began
    busy: float = 0.0  # share of the machine's cores busy during the round (ours and everyone else's)


def run_children(target, count: int, env: dict[str, str], args: dict[str, Any], timeout: float) -> list[dict]:
    """Start ``count`` children of ``target``, release them together, collect their reports."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(count + 1), context.Queue()
    children = [context.Process(target=target, args=(i, env, args, start, results)) for i in range(count)]
    for child in children:
        child.start()
    reports = []
    try:
        start.wait(GRACE_SECONDS)
        busy_before, began = machine_busy_seconds(), time.monotonic()
        for _ in children:
            reports.append(results.get(timeout=timeout))
        busy = (machine_busy_seconds() - busy_before) / ((os.cpu_count() or 1) * (time.monotonic() - began))
        reports.append({"busy": busy})
    except Exception as error:  # noqa: BLE001 - a child died or hung: the round fails, the run goes on
        reports.append({"error": f"{type(error).__name__}: {error or 'a child did not report in time'}"})
    finally:
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
                child.join(10)
    return reports


def numbering_round(writers: int, env: dict[str, str], args: argparse.Namespace) -> Round:
    if args.wait_quiet:
        wait_quiet(args.wait_quiet)
    result = Round(writers, load=os.getloadavg()[0])
    reports = run_children(numbering_writer, writers, env, child_args(args), args.seconds + GRACE_SECONDS)
    result.busy = next((r["busy"] for r in reports if "busy" in r), 0.0)
    result.errors = [r["error"] for r in reports if "error" in r] + [e for r in reports for e in r.get("errors", [])]
    done = [r for r in reports if "seqs" in r]
    if len(done) < writers:
        return result
    seqs = sorted(s for r in done for s in r["seqs"])
    appended = sum(r["appended"] for r in done)
    # Dense: the round's numbers are consecutive, none twice, and every event appended got one.
    result.dense = len(seqs) == appended and (not seqs or seqs[-1] - seqs[0] + 1 == len(seqs) == len(set(seqs)))
    result.total = len(seqs)
    elapsed = max(r["elapsed"] for r in done)
    result.per_second = result.total / elapsed if elapsed else 0.0
    result.per_process = [r["appended"] / r["elapsed"] if r["elapsed"] else 0.0 for r in done]
    batches = sum(r["batches"] for r in done)
    result.per_batch = result.total / batches if batches else None
    times = sorted(t for r in done for t in r["times"])
    if times:
        result.p50_ms, result.p99_ms = percentile(times, 50) * 1000, percentile(times, 99) * 1000
    return result


def publish_round(publishers: int, env: dict[str, str], args: argparse.Namespace) -> Round:
    import redis

    if args.wait_quiet:
        wait_quiet(args.wait_quiet)
    result = Round(publishers, load=os.getloadavg()[0])
    context = multiprocessing.get_context("spawn")
    subscribed, stop, counted = context.Event(), context.Event(), context.Queue()
    listener = context.Process(target=subscriber, args=(env, subscribed, stop, counted))
    listener.start()
    server = redis.Redis.from_url(args.redis_url)
    try:
        if not subscribed.wait(GRACE_SECONDS):
            result.errors.append("the subscriber did not subscribe")
            return result
        # Redis is shared with whatever else runs on the machine: its CPU over a second without
        # our publishes is taken off, pro rata, from the CPU it used during the round.
        idle_before = redis_cpu(server)
        time.sleep(1.0)
        idle_per_second = redis_cpu(server) - idle_before
        cpu_before, began = redis_cpu(server), time.monotonic()
        reports = run_children(publisher, publishers, env, child_args(args), args.seconds + GRACE_SECONDS)
        cpu_after = redis_cpu(server) - idle_per_second * (time.monotonic() - began)
        stop.set()
        summary = counted.get(timeout=GRACE_SECONDS)
    except Exception as error:  # noqa: BLE001 - reported with the round
        result.errors.append(f"{type(error).__name__}: {error}")
        return result
    finally:
        stop.set()
        listener.join(GRACE_SECONDS)
        if listener.is_alive():
            listener.kill()
        server.close()
    result.errors = [r["error"] for r in reports if "error" in r]
    result.busy = next((r["busy"] for r in reports if "busy" in r), 0.0)
    done = [r for r in reports if "sent" in r]
    result.total = sum(r["sent"] for r in done)
    elapsed = max((r["elapsed"] for r in done), default=0.0)
    result.per_second = result.total / elapsed if elapsed else 0.0
    result.per_process = [r["sent"] / r["elapsed"] if r["elapsed"] else 0.0 for r in done]
    result.received = summary["received"] - publishers  # less each publisher's warm-up batch
    result.received_per_second = summary["received"] / summary["elapsed"] if summary["elapsed"] else 0.0
    result.redis_cpu_us = max(cpu_after - cpu_before, 0.0) * 1e6 / result.total if result.total else None
    return result


def redis_cpu(server) -> float:
    info = server.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def child_args(args: argparse.Namespace) -> dict[str, Any]:
    return {"seconds": args.seconds, "max_events": args.max_events, "events_per_commit": args.events_per_commit}


# --- the report ----------------------------------------------------------------------------------
def numbering_table(rounds: list[Round]) -> str:
    rows = [
        [
            str(r.processes),
            f"{r.total:,}",
            f"{r.per_second:,.0f}",
            " / ".join(f"{v:,.0f}" for v in r.per_process),
            _fmt(r.per_batch),
            _fmt(r.p50_ms),
            _fmt(r.p99_ms),
            {True: "yes", False: "NO", None: "-"}[r.dense],
            str(len(r.errors)),
            f"{r.load:.2f}",
            f"{r.busy:.0%}",
        ]
        for r in rounds
    ]
    return _table(
        [
            "writers",
            "numbered",
            "events/s",
            "per writer (events/s)",
            "events/numbering",
            "p50 ms",
            "p99 ms",
            "dense",
            "errors",
            "load",
            "CPU busy",
        ],
        rows,
    )


def publish_table(rounds: list[Round]) -> str:
    rows = [
        [
            str(r.processes),
            f"{r.total:,}",
            f"{r.per_second:,.0f}",
            " / ".join(f"{v:,.0f}" for v in r.per_process),
            "-" if r.received is None else f"{r.received:,}",
            "-" if r.received_per_second is None else f"{r.received_per_second:,.0f}",
            _fmt(r.redis_cpu_us),
            "-" if not r.redis_cpu_us else f"{1e6 / r.redis_cpu_us:,.0f}",
            str(len(r.errors)),
            f"{r.load:.2f}",
            f"{r.busy:.0%}",
        ]
        for r in rounds
    ]
    return _table(
        [
            "publishers",
            "sent",
            "publishes/s",
            "per publisher",
            "received",
            "received/s",
            "Redis CPU µs/publish",
            "Redis ceiling/s",
            "errors",
            "load",
            "CPU busy",
        ],
        rows,
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def counts(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("counts must be 0 or more")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.numbering", description=__doc__.split("\n\n")[0])
    p.add_argument("--writers", type=counts, default=[1, 2, 4], help="writer processes per round (1,2,4)")
    p.add_argument(
        "--publishers", type=counts, default=[1, 2, 4], help="publisher processes per round (1,2,4); 0: no publish rounds"
    )
    p.add_argument("--seconds", type=float, default=10.0, help="length of each round (10)")
    p.add_argument(
        "--max-events", type=int, default=200_000, help="events (or batches) each process sends at most per round (200000)"
    )
    p.add_argument("--events-per-commit", type=int, default=1, help="events appended per transaction (1)")
    p.add_argument(
        "--database-url",
        help="PostgreSQL server (a fresh database is created on it and dropped); default: SQLite in a temporary folder",
    )
    p.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis for the publish rounds (a unique prefix is used)",
    )
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each round, wait up to SECONDS for the machine to be idle (< 15%% CPU busy over "
        "1 s); the table's load and CPU busy columns say how quiet it was (0: do not wait)",
    )
    p.add_argument("--json", type=Path, help="also write the rounds here")
    args = p.parse_args(argv)
    if args.seconds <= 0 or args.max_events < 1 or args.events_per_commit < 1:
        p.error("--seconds, --max-events and --events-per-commit must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="petland-numbering-") as tmp:
        fresh = FreshPostgres(args.database_url) if args.database_url else None
        database_url = fresh.__enter__() if fresh else f"sqlite:///{Path(tmp) / 'numbering.sqlite3'}"
        try:
            env = project_env(database_url, args.redis_url, name="bench-numbering")
            migrated = subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            if migrated.returncode != 0:
                print(f"bench.numbering: migrate failed:\n{migrated.stderr[-3000:]}", file=sys.stderr)
                return 2
            vendor = "PostgreSQL" if fresh else "SQLite"
            numbered = [numbering_round(n, env, args) for n in args.writers if n]
            published = [publish_round(n, env, args) for n in args.publishers if n]
        finally:
            if fresh:
                fresh.__exit__(None, None, None)
    print(f"PetLand numbering: {vendor}, {args.events_per_commit} event(s) per commit, {args.seconds:g} s per round")
    print(numbering_table(numbered))
    if published:
        print(f"\nRedis publishes of one-event batches through the layer publisher, one subscriber, {args.redis_url}")
        print(publish_table(published))
    for r in numbered + published:
        for error in r.errors[:3]:
            print(f"{r.processes} process(es): {error}", file=sys.stderr)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "database": vendor,
                    "events_per_commit": args.events_per_commit,
                    "seconds": args.seconds,
                    "numbering": [asdict(r) for r in numbered],
                    "publishes": [asdict(r) for r in published],
                },
                indent=2,
            )
        )
    ok = all(r.dense and not r.errors for r in numbered) and all(not r.errors and r.total for r in published)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
