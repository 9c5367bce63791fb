"""Token buckets: ``rate`` tokens a second, at most ``burst`` saved up."""

from __future__ import annotations

import time
from collections.abc import Hashable


def refill(tokens: float, last: float, now: float, rate: float, burst: float) -> float:
    return min(burst, tokens + (now - last) * rate)


class Buckets:
    """One bucket per key (a user, an address), created full; keys idle long enough to be full
    again are forgotten once there are many."""

    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._buckets: dict[Hashable, tuple[float, float]] = {}

    def take(self, key: Hashable, cost: float, *, rate: float, burst: float) -> bool:
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (burst, now))
        tokens = refill(tokens, last, now, rate, burst)
        taken = tokens >= cost
        self._buckets[key] = (tokens - cost if taken else tokens, now)
        if len(self._buckets) > self.MAX_KEYS:
            self._forget_full(now, rate, burst)
        return taken

    def _forget_full(self, now: float, rate: float, burst: float) -> None:
        self._buckets = {
            key: (tokens, last) for key, (tokens, last) in self._buckets.items() if refill(tokens, last, now, rate, burst) < burst
        }
