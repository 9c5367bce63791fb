"""``python -m bench.presence``: what presence costs a server process.

Starts a Redis of its own (so that its command counts are presence's alone), a fresh SQLite
database and one daphne, then runs two scenarios over real sockets on loopback:

- one topic: ``--crowd`` sockets of as many staff users join one reservation's presence, one
  after another; each join sends a ``presence_diff`` to every socket already there;
- pairs: ``--pairs`` topics of 2 members each (2 × pairs sockets).

For each it reports the server's CPU per join and per diff delivered (utime + stime of the daphne
process over the scenario, divided), the Redis commands per join (``INFO commandstats``, reset
before the scenario) and the server's RSS growth per membership. Every phase has a timeout.
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
from dataclasses import dataclass
from pathlib import Path

import redis
from websockets.asyncio.client import ClientConnection, connect

from bench.clients import raise_nofile_limit
from bench.profiling import PySpy, summarise
from bench.servers import HOST, free_port, start_server, stop_server
from bench.targets import ROOT, project_env

PHASE_SECONDS = 300.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Scenario:
    name: str
    joins: int
    diffs: int
    cpu_seconds: float
    redis_calls: dict[str, int]
    rss_growth_kib: int

    def row(self) -> str:
        per_join = sum(self.redis_calls.values()) / self.joins
        calls = ", ".join(f"{name} {count / self.joins:.2f}" for name, count in sorted(self.redis_calls.items()))
        return (
            f"| {self.name} | {self.joins} | {self.diffs} | {self.cpu_seconds * 1e6 / self.joins:.0f} | "
            f"{self.cpu_seconds * 1e6 / max(self.diffs, 1):.1f} | {per_join:.2f} ({calls}) | "
            f"{self.rss_growth_kib / self.joins:.2f} |"
        )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def presence_calls(client: redis.Redis) -> dict[str, int]:
    """Redis commands since the last reset, by name, less the stats reporter's and INFO's own."""
    stats = client.info("commandstats")
    ignored = {"info", "config", "config|resetstat", "set", "ping", "client", "hello", "select"}
    return {
        name.removeprefix("cmdstat_"): int(values["calls"])
        for name, values in stats.items()
        if name.removeprefix("cmdstat_") not in ignored
    }


class Members:
    """Sockets on the server, each counting the presence frames it receives."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url
        self.sockets: list[ClientConnection] = []
        self.states = 0
        self.diffs = 0
        self.readers: list[asyncio.Task] = []

    async def open(self, tokens: list[str]) -> None:
        gate = asyncio.Semaphore(50)

        async def one(token: str) -> ClientConnection:
            async with gate:
                ws = await connect(f"{self.ws_url}/ws/reservations/?token={token}", open_timeout=60, compression=None)
                assert json.loads(await ws.recv())["type"] == "connection_established"
                return ws

        self.sockets = list(await asyncio.gather(*(one(token) for token in tokens)))
        self.readers = [asyncio.create_task(self._read(ws)) for ws in self.sockets]

    async def _read(self, ws: ClientConnection) -> None:
        async for text in ws:
            kind = json.loads(text)["type"]
            if kind == "presence_state":
                self.states += 1
            elif kind == "presence_diff":
                self.diffs += 1

    async def join(self, pairs: list[tuple[int, int]], *, one_at_a_time: bool) -> None:
        """Socket ``i`` joins record ``r`` for each ``(i, r)``; with ``one_at_a_time``, each
        waits for the previous join's state (the crowd arrives in order)."""
        for done, (index, record_id) in enumerate(pairs, start=1):
            await self.sockets[index].send(json.dumps({"type": "presence_join", "record_id": record_id, "state": "viewing"}))
            if one_at_a_time or done % 50 == 0:
                await self.until(lambda wanted=done: self.states >= wanted)

    async def until(self, condition, timeout: float = PHASE_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"presence bench: gave up waiting ({self.states} states, {self.diffs} diffs)")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


async def scenario(
    name: str,
    server_pid: int,
    ws_url: str,
    counter: redis.Redis,
    tokens: list[str],
    joins: list[tuple[int, int]],
    diffs: int,
    spy: PySpy | None = None,
) -> Scenario:
    """Open the sockets, then measure their joins (and, with ``spy``, profile them)."""
    members = Members(ws_url)
    await members.open(tokens)
    await asyncio.sleep(1.0)  # let the handshakes' work settle before measuring
    rss, cpu = rss_kib(server_pid), cpu_seconds(server_pid)
    counter.config_resetstat()
    if spy is not None:
        spy.start()
    await members.join(joins, one_at_a_time=name == "one topic")
    await members.until(lambda: members.states >= len(joins) and members.diffs >= diffs)
    result = Scenario(
        name, len(joins), members.diffs, cpu_seconds(server_pid) - cpu, presence_calls(counter), rss_kib(server_pid) - rss
    )
    if spy is not None:
        spy.stop()
    await members.close()
    return result


def provision(env: dict[str, str], users: int, reservations: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.provision", "--staff", str(users), "--customers", "1", "--reservations", str(reservations)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=PHASE_SECONDS,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.presence", description=__doc__.split("\n\n")[0])
    parser.add_argument("--crowd", type=int, default=1000, help="sockets (and users) joining one topic (1000)")
    parser.add_argument("--pairs", type=int, default=1000, help="topics of 2 members each (1000)")
    parser.add_argument("--profile", type=Path, help="py-spy the server during the pairs scenario; summary and SVG here")
    args = parser.parse_args(argv)
    raise_nofile_limit()
    with tempfile.TemporaryDirectory(prefix="bench-presence-") as workdir:
        redis_port, port = free_port(), free_port()
        redis_proc = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        server = None
        try:
            redis_url = f"redis://{HOST}:{redis_port}/0"
            env = project_env(
                f"sqlite:///{workdir}/bench.sqlite3",
                redis_url,
                name="bench-presence",
                REALTIME_MAX_SOCKETS_PER_ADDRESS="100000",
                REALTIME_MESSAGE_BURST="100",
                # No refresh during the joins: the Redis commands counted are the joins' own (a
                # refresh is one pipeline per 10 s: HSET and PEXPIRE per topic held, HGETALL per topic shown).
                REALTIME_PRESENCE_REFRESH="3600",
                REALTIME_PRESENCE_TTL="7200",
            )
            users = max(args.crowd, 2 * args.pairs)
            found = provision(env, users, args.pairs + 1)
            tokens = [user["token"] for user in found["staff"]]
            records = found["reservations"]
            server = start_server(
                [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "petland.asgi:application"],
                port=port,
                ready_path="/api/services/",
                cwd=ROOT,
                env=env,
                timeout=120,
                log=Path(workdir) / "daphne.log",
                name="daphne",
            )
            counter = redis.Redis.from_url(redis_url)
            ws_url = f"ws://{HOST}:{port}"
            crowd = args.crowd
            one_topic = asyncio.run(
                scenario(
                    "one topic",
                    server.pid,
                    ws_url,
                    counter,
                    tokens[:crowd],
                    [(i, records[0]) for i in range(crowd)],
                    crowd * (crowd - 1) // 2,
                )
            )
            time.sleep(7)  # the crowd's held-back leaves go out before the next scenario
            pairs = [(i, records[1 + i // 2]) for i in range(2 * args.pairs)]
            spy = PySpy(server.pid, args.profile, "presence-pairs", svg=False) if args.profile else None
            paired = asyncio.run(scenario("pairs", server.pid, ws_url, counter, tokens[: 2 * args.pairs], pairs, args.pairs, spy))
            if spy is not None:
                print(summarise(spy.raw, top=40))
        finally:
            stop_server(server)
            redis_proc.terminate()
            redis_proc.wait(10)
    print(
        "| scenario | joins | diffs delivered | server CPU µs per join (all its work) | server CPU µs per diff "
        "| Redis commands per join | RSS KiB per membership |"
    )
    print("|---|---|---|---|---|---|---|")
    print(one_topic.row())
    print(paired.row())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
