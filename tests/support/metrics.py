"""A running server's ``/metrics``, as Prometheus scrapes it."""

from __future__ import annotations

import urllib.request

from tests.support.servers import LoopbackServer


def scrape(server: LoopbackServer) -> str:
    with urllib.request.urlopen(f"{server.http}/metrics", timeout=5) as response:
        return response.read().decode()


def gauge(text: str, name: str, channel: str) -> float:
    for line in text.splitlines():
        if line.startswith(f'{name}{{channel="{channel}"'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
