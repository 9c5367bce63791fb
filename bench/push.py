"""``python -m bench.push``: notifications pushed per second by one push worker (``manage.py
push_worker``'s code) against a push service on a loopback port that answers 201 at once.

A fresh database (SQLite in a temporary folder, or with ``--database-url`` a new PostgreSQL
database, dropped after), migrated; ``--users`` users with one browser subscription each (keys
made here, endpoints on the fake service); the worker started (its cursor at the log's end);
then ``--notifications`` notifications stored through the notification service, round-robin
over the users, none of whom has a socket open. Measured: the worker's ``run_until_idle()``
from the first read of the log to the last push answered — reading the log, queueing, the
re-checks, encrypting (aes128gcm), the VAPID header (signed once per push service), the POST,
and recording each outcome. Reported: pushes per second, and that the fake received each once.

The fake runs in a process of its own (a threaded ``http.server``), so its CPU is not the
worker's; on a 2-core machine they share the cores with Redis and the database.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

from bench.servers import free_port
from bench.targets import ROOT, FreshPostgres, project_env


def fake_push_service(port: int, count: Synchronized, ready: Any) -> None:
    """Answer every POST with 201 and count it."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as push services do

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with count.get_lock():
                count.value += 1
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ready.set()
    server.serve_forever()


def browser_keys() -> dict[str, str]:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {"p256dh": b64(point), "auth": b64(os.urandom(16))}


def measure(args: argparse.Namespace, origin: str) -> dict[str, Any]:
    """In this process, under the project's settings (the environment set by ``main``)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from realtime import notification_service
    from realtime.models import PushDelivery, PushSubscription
    from realtime.push import keys
    from realtime.push.sender import WebPushSender
    from realtime.push.worker import PushWorker

    get_user_model().objects.bulk_create(  # no signals: no events
        [get_user_model()(username=f"bench-push-{n}") for n in range(args.users)]
    )
    users = list(get_user_model().objects.filter(username__startswith="bench-push-").order_by("pk"))
    PushSubscription.objects.bulk_create(
        [PushSubscription(user=user, endpoint=f"{origin}/push/{user.pk}", **browser_keys()) for user in users]
    )
    sender = WebPushSender(keys.vapid(), "mailto:bench@petland.example")
    worker = PushWorker(sender, concurrency=args.concurrency)
    worker.start()
    for n in range(args.notifications):
        notification_service.sync.send_notification(users[n % len(users)].pk, "reservation_confirmed", {"reservation_id": n})
    started = time.perf_counter()
    if os.environ.get("BENCH_PUSH_PROFILE"):
        import cProfile

        cProfile.runctx("worker.run_until_idle()", globals(), {"worker": worker}, os.environ["BENCH_PUSH_PROFILE"])
    else:
        worker.run_until_idle()
    seconds = time.perf_counter() - started
    worker.close()
    sender.close()
    sent = PushDelivery.objects.filter(state=PushDelivery.State.SENT).count()
    return {
        "concurrency": worker.concurrency,
        "notifications": args.notifications,
        "sent": sent,
        "seconds": round(seconds, 3),
        "per_second": round(sent / seconds, 1),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.push", description=__doc__.split("\n\n")[0])
    p.add_argument("--notifications", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=8, help="pushes in flight at once (WEBPUSH_CONCURRENCY, 8)")
    p.add_argument("--users", type=int, default=200, help="users, each with one subscription (200)")
    p.add_argument("--database-url", help="a PostgreSQL server (a fresh database is made and dropped); default SQLite")
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    p.add_argument("--json", type=Path, help="also write the result as JSON")
    args = p.parse_args(argv)
    if args.notifications < 1 or args.users < 1:
        p.error("--notifications and --users must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    port = free_port()
    count = multiprocessing.Value("i", 0)
    ready = multiprocessing.Event()
    fake = multiprocessing.Process(target=fake_push_service, args=(port, count, ready), daemon=True)
    fake.start()
    if not ready.wait(30):
        print("bench.push: the fake push service did not start", file=sys.stderr)
        return 2
    origin = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="petland-push-") as tmp:
        fresh = FreshPostgres(args.database_url) if args.database_url else None
        database_url = fresh.__enter__() if fresh else f"sqlite:///{Path(tmp) / 'push.sqlite3'}"
        try:
            keys = subprocess.run(
                [sys.executable, "manage.py", "webpush_keys"],
                cwd=ROOT,
                env=project_env(database_url, args.redis_url),
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            pair = dict(line.split("=", 1) for line in keys.stdout.split())
            private, public = pair["WEBPUSH_VAPID_PRIVATE_KEY"], pair["WEBPUSH_VAPID_PUBLIC_KEY"]
            env = project_env(
                database_url,
                args.redis_url,
                name="bench-push",
                WEBPUSH_VAPID_PRIVATE_KEY=private,
                WEBPUSH_VAPID_PUBLIC_KEY=public,
                WEBPUSH_SUBJECT="mailto:bench@petland.example",
                WEBPUSH_ALLOWED_ENDPOINTS=f"{origin}/push/",
                DJANGO_LOG_LEVEL="warning",
            )
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
            )
            os.environ.update(env)
            result = measure(args, origin)
        finally:
            if fresh:
                fresh.__exit__(None, None, None)
            fake.terminate()
    result["received"] = count.value
    result["database"] = "PostgreSQL" if fresh else "SQLite"
    print(
        f"push worker, {result['database']}, {result['concurrency']} in flight: "
        f"{result['sent']}/{result['notifications']} pushed in {result['seconds']} s: {result['per_second']}/s"
        f" (the fake received {result['received']})"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["sent"] == result["notifications"] == result["received"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
