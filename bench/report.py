"""Figures and the results table."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class RunResult:
    target: str
    mode: str  # "staff", "customers" or "idle"
    sockets: int
    changes: int
    concurrency: int
    clients: int
    connected: int = 0
    delivered: int = 0
    expected: int = 0
    duplicates: int = 0
    unexpected: int = 0
    closed_early: int = 0
    http_errors: int = 0
    seconds: float = 0.0  # first send to last receive
    deliveries_per_s: float = 0.0
    changes_per_s: float = 0.0
    p50_ms: float = math.nan
    p90_ms: float = math.nan
    p99_ms: float = math.nan
    max_ms: float = math.nan
    http_p50_ms: float = math.nan  # the POST's own response time: how much of the latency is the write itself
    http_p99_ms: float = math.nan
    connect_per_s: float = 0.0
    connect_cpu_ms: float = math.nan  # server CPU per connection set up (handshake, auth, subscribe)
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    kib_per_socket: float = math.nan
    server_cpu_s: float = math.nan  # user+sys CPU the server process used during the send phase
    other_cpu_s: float = math.nan  # CPU used by processes outside the run during the send phase (noise)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else (f"{value:.1f}" if value < 100 else f"{value:.0f}")


def fanout_table(results: list[RunResult]) -> str:
    head = [
        "target",
        "mode",
        "sockets",
        "changes",
        "conc",
        "delivered/expected",
        "deliv/s",
        "changes/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "HTTP p50/p99 ms",
        "srv CPU s",
        "srv µs/deliv",
        "other CPU s",
        "conn/s",
    ]
    rows = []
    for r in results:
        if r.error:
            rows.append(
                [
                    r.target,
                    r.mode,
                    str(r.sockets),
                    str(r.changes),
                    str(r.concurrency),
                    "FAILED",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            continue
        rows.append(
            [
                r.target,
                r.mode,
                str(r.sockets),
                str(r.changes),
                str(r.concurrency),
                f"{r.delivered}/{r.expected}",
                f"{r.deliveries_per_s:,.0f}",
                f"{r.changes_per_s:,.1f}",
                _ms(r.p50_ms),
                _ms(r.p90_ms),
                _ms(r.p99_ms),
                _ms(r.max_ms),
                f"{_ms(r.http_p50_ms)}/{_ms(r.http_p99_ms)}",
                "-" if math.isnan(r.server_cpu_s) else f"{r.server_cpu_s:.2f}",
                "-" if math.isnan(r.server_cpu_s) or not r.delivered else f"{r.server_cpu_s / r.delivered * 1e6:.0f}",
                "-" if math.isnan(r.other_cpu_s) else f"{r.other_cpu_s:.2f}",
                f"{r.connect_per_s:,.0f}",
            ]
        )
    return _table(head, rows)


def idle_table(results: list[RunResult]) -> str:
    head = ["target", "sockets", "connected", "RSS before MiB", "RSS after MiB", "KiB/socket", "conn/s", "srv CPU ms/conn"]
    rows = []
    for r in results:
        if r.error:
            rows.append([r.target, str(r.sockets), "FAILED", "", "", "", "", ""])
            continue
        rows.append(
            [
                r.target,
                str(r.sockets),
                str(r.connected),
                f"{r.rss_before_kib / 1024:.1f}",
                f"{r.rss_after_kib / 1024:.1f}",
                f"{r.kib_per_socket:.1f}",
                f"{r.connect_per_s:,.0f}",
                _ms(r.connect_cpu_ms),
            ]
        )
    return _table(head, rows)


def comparison(results: list[RunResult], base: str = "project", peer: str = "fastapi") -> list[str]:
    """The goal's figures: project/peer deliveries/s and the two p99s, for every pair that ran
    (medians over the rounds when the run was repeated)."""
    ok: dict[str, list[RunResult]] = {}
    for r in results:
        if not r.error and r.mode != "idle":
            ok.setdefault(r.target, []).append(r)
    lines = []
    names = [n for n in ok if n == base or n.startswith((f"{base}@", f"{base}-uvicorn"))]
    for name in names:
        mine, theirs = ok.get(name), ok.get(peer)
        if mine and theirs:
            rate_m, rate_t = _median([r.deliveries_per_s for r in mine]), _median([r.deliveries_per_s for r in theirs])
            p99_m, p99_t = _median([r.p99_ms for r in mine]), _median([r.p99_ms for r in theirs])
            rounds = f" (median of {len(mine)}/{len(theirs)} runs)" if len(mine) > 1 or len(theirs) > 1 else ""
            lines.append(
                f"ratio {name}/{peer}: deliveries/s {rate_m / max(rate_t, 1e-9):.2f} "
                f"({rate_m:,.0f} vs {rate_t:,.0f}); p99 {_ms(p99_m)} ms vs {_ms(p99_t)} ms{rounds}"
            )
    return lines


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(head[i]), *(len(row[i]) for row in rows)) if rows else len(head[i]) for i in range(len(head))]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + " |"  # noqa: E731
    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in rows]
    return "\n".join(out)
