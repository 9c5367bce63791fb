"""The writer: makes the run's changes over HTTP, ``concurrency`` requests at a time, each
worker on its own keep-alive connection, and notes when each request was sent."""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field

from bench.targets import HOST


@dataclass
class WriteResult:
    sent_ns: list[int]  # per change: monotonic ns just before its request was written (0: not sent)
    done_ns: list[int] = field(default_factory=list)  # per change: when its response was read (0: none)
    statuses: dict[int, int] = field(default_factory=dict)  # status -> count
    errors: list[str] = field(default_factory=list)
    first_ns: int = 0
    last_done_ns: int = 0


def write_changes(
    port: int,
    requests: list[tuple[str, bytes, dict[str, str]]],
    concurrency: int,
    timeout: float,
    ok_status: int = 201,
) -> WriteResult:
    result = WriteResult(sent_ns=[0] * len(requests), done_ns=[0] * len(requests))
    lock = threading.Lock()
    deadline = time.monotonic() + timeout
    cursor = iter(range(len(requests)))

    def next_index() -> int | None:
        with lock:
            if time.monotonic() > deadline:
                return None
            return next(cursor, None)

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=max(timeout, 1.0))
        try:
            while (i := next_index()) is not None:
                path, body, headers = requests[i]
                for attempt in (1, 2):  # once more on a fresh connection if the old one was closed
                    try:
                        result.sent_ns[i] = time.monotonic_ns()
                        conn.request("POST", path, body=body, headers=headers)
                        response = conn.getresponse()
                        payload = response.read()
                        result.done_ns[i] = time.monotonic_ns()
                        break
                    except (http.client.HTTPException, ConnectionError) as error:
                        conn.close()
                        conn = http.client.HTTPConnection(HOST, port, timeout=max(timeout, 1.0))
                        if attempt == 2:
                            with lock:
                                result.errors.append(f"change {i}: {type(error).__name__}: {error}")
                            response = None
                if response is None:
                    continue
                with lock:
                    result.statuses[response.status] = result.statuses.get(response.status, 0) + 1
                    if response.status != ok_status and len(result.errors) < 10:
                        result.errors.append(f"change {i}: HTTP {response.status}: {payload[:300]!r}")
        except OSError as error:
            with lock:
                result.errors.append(f"{type(error).__name__}: {error}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, name=f"bench-writer-{n}", daemon=True) for n in range(concurrency)]
    result.first_ns = time.monotonic_ns()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0) + 5)
    result.last_done_ns = time.monotonic_ns()
    sent = [t for t in result.sent_ns if t]
    if sent:
        result.first_ns = min(sent)
    return result
