"""``python -m bench``: the fan-out benchmark and the idle-socket memory benchmark.

Fan-out (default): for each target, start it, open ``--sockets`` sockets on ``/ws/pets`` across
``--clients`` processes, wait until all are connected, make ``--changes`` pets over HTTP
``--concurrency`` at a time, and report delivered/expected, deliveries/s (delivered / time from
the first send to the last receive) and the latency of every delivery (receive − send of its
change). ``--customers K`` spreads the project's sockets over K customers instead of staff.

Idle (``--idle``): open ``--sockets`` idle sockets (10,000 by default) to one server and report
its RSS growth per socket and the connection set-up rate.

Every phase has a timeout; the run stops by itself. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import signal
import sys
import tempfile
import time
import uuid
from array import array
from datetime import datetime, UTC
from multiprocessing.connection import Connection, wait
from pathlib import Path

from bench.clients import ClientJob, raise_nofile_limit, run_client
from bench.profiling import PySpy, summarise
from bench.report import RunResult, comparison, fanout_table, idle_table, percentile
from bench.targets import ROOT, TARGETS, BenchError, Options, Target, default_peers_dir
from bench.writer import write_changes

DEFAULT_TARGETS = "project,fastapi,naive-redis,naive-pubsub"
# Variants of this checkout that differ only in their servers' environment: 'project@nospeedups'.
ENV_VARIANTS = {"nospeedups": {"REALTIME_SPEEDUPS": "0"}}  # every speed-up off: public APIs only


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sockets", type=int, default=None, help="sockets to open (1000; 10000 with --idle)")
    p.add_argument("--changes", type=int, default=30, help="pets to create over HTTP (30)")
    p.add_argument("--concurrency", type=int, default=4, help="HTTP requests in flight at a time (4)")
    p.add_argument(
        "--clients", type=int, default=4, help="client processes (4; with 2, their own backlog set the p99: docs/performance.md)"
    )
    p.add_argument(
        "--targets",
        default=DEFAULT_TARGETS,
        help=f"comma-separated, from {', '.join(TARGETS)} ({DEFAULT_TARGETS}); peers are skipped when ../shared/peers is absent",
    )
    p.add_argument(
        "--customers",
        type=int,
        default=0,
        help="project only: sockets belong to K customers, pets go to them round-robin, each socket "
        "gets only its owner's pets (0: every socket is staff and gets every pet)",
    )
    p.add_argument("--idle", action="store_true", help="idle memory and connection set-up benchmark")
    p.add_argument("--settle", type=float, default=3.0, help="--idle: seconds to wait before reading RSS (3)")
    p.add_argument("--repeat", type=int, default=1, help="run each target this many times, in turn (1)")
    p.add_argument(
        "--database-url",
        help="PostgreSQL server for the project (a fresh database is created "
        "on it and dropped); default: SQLite in a temporary folder",
    )
    p.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis for the project and the naive peers (the project gets a unique prefix)",
    )
    p.add_argument(
        "--project-dir",
        type=Path,
        default=ROOT,
        help="the checkout the project targets run from (default: this one); e.g. a scratch copy with a change to measure",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="project-uvicorn: worker processes sharing its port, one hub each (1); or per target, e.g. 'project-uvicorn:2'",
    )
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="another checkout to measure side by side: target 'project@NAME' (or "
        "'project-uvicorn@NAME') runs the project from DIR (repeatable); 'project@nospeedups' needs "
        "none: this checkout with REALTIME_SPEEDUPS=0",
    )
    p.add_argument("--peers-dir", type=Path, default=default_peers_dir(), help="the peers (../shared/peers)")
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the servers, e.g. DJANGO_LOG_LEVEL=warning (repeatable)",
    )
    p.add_argument(
        "--deflate",
        action="store_true",
        help="clients offer permessage-deflate, as browsers do (default: no compression offered)",
    )
    p.add_argument(
        "--sockets-per-address",
        type=int,
        default=100,
        help="sockets opened from each loopback source address 127.0.x.y (100): the project limits "
        "sockets per address (REALTIME_MAX_SOCKETS_PER_ADDRESS, 200) and per user (50; the "
        "bench gives each staff user 25)",
    )
    p.add_argument("--connect-concurrency", type=int, default=50, help="handshakes in flight per client (50)")
    p.add_argument("--connect-timeout", type=float, default=None, help="seconds for all sockets to connect")
    p.add_argument("--write-timeout", type=float, default=120.0, help="seconds for all changes to be sent (120)")
    p.add_argument(
        "--drain-timeout", type=float, default=60.0, help="seconds after the last send for every delivery to arrive (60)"
    )
    p.add_argument("--max-seconds", type=float, default=1800.0, help="hard stop for the whole run (1800)")
    p.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy the project's server during the send phase (with --idle: while the sockets "
        "connect); write stacks, a flame graph and a summary to DIR",
    )
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each target, wait up to SECONDS for the machine to be idle (< 15%% CPU busy over "
        "1 s): other work on the same cores skews every figure (0: do not wait)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (server logs, databases)")
    args = p.parse_args(argv)
    if args.sockets is None:
        args.sockets = 10_000 if args.idle else 1000
    if args.connect_timeout is None:
        args.connect_timeout = 30 + args.sockets / 50
    for name in ("sockets", "clients", "concurrency", "changes", "repeat", "connect_concurrency"):
        if getattr(args, name) < (0 if name == "changes" else 1):
            p.error(f"--{name.replace('_', '-')} must be positive")
    args.target_list = [t.strip() for t in args.targets.split(",") if t.strip()]
    try:
        args.variants = {name: Path(path).resolve() for name, path in (v.split("=", 1) for v in args.variant)}
    except ValueError:
        p.error("--variant takes NAME=DIR")
    unknown = [
        t
        for t in args.target_list
        if target_class_name(t) not in TARGETS
        or (
            "@" in t
            and (
                t.split("@", 1)[1] not in {**ENV_VARIANTS, **args.variants}
                or not TARGETS[target_class_name(t)].supports_customers
            )
        )
        or (":" in t.split("@")[0] and not t.split("@")[0].split(":", 1)[1].isdigit())
    ]
    if unknown:
        p.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    try:
        args.server_env_dict = dict(item.split("=", 1) for item in args.server_env)
    except ValueError:
        p.error("--server-env takes KEY=VALUE")
    return args


def target_class_name(spec: str) -> str:
    """``project-uvicorn:2@B`` -> ``project-uvicorn`` (2 workers, checkout B)."""
    return spec.split("@")[0].split(":")[0]


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout("the run took longer than --max-seconds")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_nofile_limit()  # servers and clients inherit it
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(max(int(args.max_seconds), 1))
    workdir = Path(tempfile.mkdtemp(prefix="petland-bench-"))
    print(machine_line())
    print(f"command: python -m bench {' '.join(sys.argv[1:] if argv is None else argv)}")
    results: list[RunResult] = []
    try:
        for round_ in range(args.repeat):
            for name in args.target_list:
                cls = TARGETS[target_class_name(name)]
                if cls.needs_peers and not args.peers_dir.is_dir():
                    print(f"{name}: skipped, no peers at {args.peers_dir}")
                    continue
                if args.customers and not cls.supports_customers:
                    print(f"{name}: skipped, --customers needs authenticated sockets (project only)")
                    continue
                print(f"{name}: starting" + (f" (round {round_ + 1})" if args.repeat > 1 else ""), flush=True)
                result = run_target(cls, args, workdir / f"r{round_}", name)
                results.append(result)
                print(f"{name}: " + (f"FAILED: {result.error}" if result.error else summary_line(result)), flush=True)
                for note in result.notes:
                    print(f"  {note}")
    except (_Timeout, KeyboardInterrupt) as stop:
        print(f"bench: stopped: {stop or 'interrupted'}", file=sys.stderr)
    finally:
        signal.alarm(0)
        if args.keep:
            print(f"kept {workdir}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(idle_table(results) if args.idle else fanout_table(results))
    for line in comparison(results):
        print(line)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine_info(),
                    "argv": sys.argv[1:] if argv is None else argv,
                    "results": [r.as_dict() for r in results],
                },
                indent=2,
            )
        )
    return 0 if results and not any(r.error for r in results) else 1


def summary_line(r: RunResult) -> str:
    if r.mode == "idle":
        return f"{r.connected}/{r.sockets} connected, {r.kib_per_socket:.1f} KiB/socket, {r.connect_per_s:,.0f} connections/s"
    return f"{r.delivered}/{r.expected} delivered, {r.deliveries_per_s:,.0f}/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms"


# --- one target ----------------------------------------------------------------------------------
def run_target(cls: type[Target], args: argparse.Namespace, workdir: Path, name: str) -> RunResult:
    variant = name.split("@", 1)[1] if "@" in name else ""
    options = Options(
        sockets=args.sockets,
        changes=0 if args.idle else args.changes,
        customers=args.customers if cls.supports_customers else 0,
        marker=f"bx{uuid.uuid4().hex[:6]}n",
        redis_url=args.redis_url,
        database_url=args.database_url,
        server_env={**args.server_env_dict, **ENV_VARIANTS.get(variant, {})},
        workers=int(name.split("@")[0].split(":", 1)[1]) if ":" in name.split("@")[0] else args.workers,
        project_dir=args.variants[variant] if variant in args.variants else args.project_dir.resolve(),
    )
    result = RunResult(
        target=name,
        mode="idle" if args.idle else ("customers" if options.customers else "staff"),
        sockets=args.sockets,
        changes=options.changes,
        concurrency=args.concurrency,
        clients=args.clients,
    )
    if args.wait_quiet:
        busy = wait_quiet(args.wait_quiet)
        if busy > QUIET:
            result.notes.append(f"machine still {busy:.0%} busy after waiting {args.wait_quiet:.0f}s for quiet")
    target = cls(workdir / name.replace("@", "-").replace(":", "-"), options, args.peers_dir)
    clients: list[tuple[multiprocessing.Process, Connection]] = []
    profiler: PySpy | None = None
    try:
        target.start()
        plan = target.plan()
        if args.idle:
            warm_up(target, plan)
            time.sleep(1.0)
            result.rss_before_kib = target.rss_kib()
        clients = spawn_clients(plan, args, options)
        expect_all(clients, "spawned", 60)
        if args.idle and args.profile and target.name.startswith("project"):
            profiler = PySpy(target.pid, args.profile, f"{name.replace('@', '-').replace(':', '-')}-connect-{args.sockets}")
            profiler.start()
            time.sleep(0.5)  # py-spy attaches
        connect_cpu = target.cpu_seconds()
        go = time.monotonic_ns()
        for _, conn in clients:
            conn.send(("connect",))
        ready = expect_all(clients, "ready", args.connect_timeout)
        result.connected = sum(r[1] for r in ready)
        result.connect_cpu_ms = (target.cpu_seconds() - connect_cpu) * 1000 / max(result.connected, 1)
        last_up = max(r[4] for r in ready)
        result.connect_per_s = result.connected / max((last_up - go) / 1e9, 1e-9)
        failures = [e for r in ready for e in r[5]]
        if result.connected < args.sockets:
            result.notes.append(f"{args.sockets - result.connected} socket(s) failed to connect, e.g. {failures[:2]}")
        if args.idle:
            if profiler is not None:
                profiler.stop()
                (args.profile / f"{profiler.name}.summary.txt").write_text(summarise(profiler.raw) + "\n")
                result.notes.append(f"profile of the set-up: {args.profile / profiler.name}.{{svg,collapsed.txt,summary.txt}}")
                profiler = None
            time.sleep(args.settle)
            result.rss_after_kib = target.rss_kib()
            result.kib_per_socket = (result.rss_after_kib - result.rss_before_kib) / max(result.connected, 1)
            finish(clients, 0.0, 30)
            return result
        if result.connected == 0:
            raise BenchError(f"no socket connected: {failures[:3]}")
        time.sleep(0.5)  # let the server finish any connect-time work before the clock starts
        if args.profile and target.name.startswith("project"):
            profiler = PySpy(target.pid, args.profile, f"{name.replace('@', '-').replace(':', '-')}-{result.mode}-{args.sockets}")
            profiler.start()
            time.sleep(0.5)  # py-spy attaches
        ours = [target.pid, os.getpid(), *(p.pid for p, _ in clients)]
        cpu_before, ours_before, machine_before = target.cpu_seconds(), cpu_of(ours), machine_busy_seconds()
        written = write_changes(target.port, plan.requests, args.concurrency, args.write_timeout)
        deadline = time.monotonic() + args.drain_timeout
        outcomes = finish(clients, deadline, args.drain_timeout + 30)
        result.server_cpu_s = target.cpu_seconds() - cpu_before
        other = (machine_busy_seconds() - machine_before) - (cpu_of(ours) - ours_before)
        result.other_cpu_s = max(other, 0.0)
        if profiler is not None:
            profiler.stop()
            summary = summarise(profiler.raw)
            (args.profile / f"{profiler.name}.summary.txt").write_text(summary + "\n")
            result.notes.append(f"profile: {args.profile / profiler.name}.{{svg,collapsed.txt,summary.txt}}")
        measure(result, plan.expected, written, outcomes)
    except (BenchError, TimeoutError, OSError) as error:
        result.error = str(error)
        if target.proc is not None:
            result.notes.append("server log tail:\n" + target.log_tail(1500))
    finally:
        if profiler is not None:
            profiler.stop()
        for process, conn in clients:
            if process.is_alive():
                process.terminate()
            process.join(10)
            conn.close()
        target.stop()
    return result


def warm_up(target: Target, plan) -> None:
    """One socket opened and closed, so that the RSS read before the run includes what the
    first connection initialises once per process (the hub, the URL router, the auth stack)."""
    import asyncio

    from websockets.asyncio.client import connect

    async def once() -> None:
        async with connect(plan.ws_urls[0], compression=None, open_timeout=10) as ws:
            if plan.ready_marker:
                await asyncio.wait_for(ws.recv(), 10)

    asyncio.run(once())


def spawn_clients(plan, args: argparse.Namespace, options: Options) -> list[tuple[multiprocessing.Process, Connection]]:
    context = multiprocessing.get_context("spawn")
    count = min(args.clients, max(len(plan.ws_urls), 1))
    clients = []
    for n in range(count):
        share = range(n, len(plan.ws_urls), count)
        job = ClientJob(
            index=n,
            urls=[plan.ws_urls[i] for i in share],
            expected=[plan.expected[i] for i in share],
            changes=max(options.changes, 1),
            marker=options.marker,
            ready_marker=plan.ready_marker,
            connect_concurrency=args.connect_concurrency,
            open_timeout=max(args.connect_timeout, 10),
            compression="deflate" if args.deflate else None,
            groups=[plan.groups[i] for i in share] if plan.groups else None,
            modulus=plan.modulus,
            sources=[source_address(i // args.sockets_per_address) for i in share],
        )
        parent_end, child_end = context.Pipe()
        process = context.Process(target=run_client, args=(job, child_end), name=f"bench-client-{n}", daemon=True)
        process.start()
        child_end.close()
        clients.append((process, parent_end))
    return clients


def source_address(k: int) -> str:
    """The k-th loopback source address: 127.0.0.2, 127.0.0.3, ... (all of 127/8 is this machine)."""
    return f"127.0.{k // 250}.{k % 250 + 2}"


def expect_all(clients: list[tuple[multiprocessing.Process, Connection]], kind: str, timeout: float) -> list[tuple]:
    """One ``kind`` message from every client within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pending = {conn: process for process, conn in clients}
    got: list[tuple] = []
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            raise BenchError(f"{len(pending)} client(s) sent no {kind!r} within {timeout:.0f}s")
        for conn in wait(list(pending), timeout=min(left, 1.0)):
            try:
                message = conn.recv()
            except EOFError:
                raise BenchError(f"a client process died before {kind!r} (exit {pending[conn].exitcode})") from None
            if message[0] != kind:
                raise BenchError(f"a client sent {message[0]!r} instead of {kind!r}")
            got.append(message)
            del pending[conn]
        for conn, process in list(pending.items()):
            if not process.is_alive() and not conn.poll():
                raise BenchError(f"a client process died before {kind!r} (exit {process.exitcode})")
    return got


def finish(clients, deadline: float, timeout: float) -> list[tuple]:
    for _, conn in clients:
        conn.send(("finish", deadline))
    return expect_all(clients, "result", timeout)


def measure(result: RunResult, expected: list[int], written, outcomes: list[tuple]) -> None:
    result.expected = sum(expected)
    result.http_errors = sum(n for status, n in written.statuses.items() if status != 201) + len(
        [e for e in written.errors if "HTTP" not in e]
    )
    if written.errors:
        result.notes.append(f"HTTP errors: {written.errors[:3]}")
    latencies: list[float] = []
    last_receive = 0
    sent = written.sent_ns
    for _, indexes_raw, times_raw, duplicates, unexpected, closed_early, delivered in outcomes:
        indexes, times = array("q"), array("q")
        indexes.frombytes(indexes_raw)
        times.frombytes(times_raw)
        result.duplicates += duplicates
        result.unexpected += unexpected
        result.closed_early += closed_early
        result.delivered += delivered
        for change, received in zip(indexes, times, strict=False):
            if 0 <= change < len(sent) and sent[change]:
                latencies.append((received - sent[change]) / 1e6)
                last_receive = max(last_receive, received)
    latencies.sort()
    http = sorted((done - start) / 1e6 for start, done in zip(written.sent_ns, written.done_ns, strict=False) if start and done)
    if http:
        result.http_p50_ms, result.http_p99_ms = percentile(http, 50), percentile(http, 99)
    if latencies:
        result.seconds = (last_receive - written.first_ns) / 1e9
        result.deliveries_per_s = result.delivered / max(result.seconds, 1e-9)
        result.changes_per_s = result.changes / max(result.seconds, 1e-9)
        result.p50_ms, result.p90_ms = percentile(latencies, 50), percentile(latencies, 90)
        result.p99_ms, result.max_ms = percentile(latencies, 99), latencies[-1]
    for label, n in (
        ("duplicate", result.duplicates),
        ("unexpected (another customer's)", result.unexpected),
        ("socket(s) closed by the server", result.closed_early),
    ):
        if n:
            result.notes.append(f"{n} {label}")


# --- the machine ---
QUIET = 0.15


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat_file:
                fields = stat_file.read().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def wait_quiet(timeout: float) -> float:
    """Wait until the machine's cores are less than QUIET busy over one second; the last share."""
    deadline = time.monotonic() + timeout
    cores = os.cpu_count() or 1
    while True:
        before = machine_busy_seconds()
        time.sleep(1.0)
        busy = (machine_busy_seconds() - before) / cores
        if busy < QUIET or time.monotonic() > deadline:
            return busy


def machine_info() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def machine_line() -> str:
    m = machine_info()
    return f"machine: {m['nproc']} CPU ({m['cpu']}), Python {m['python']}, Linux {m['kernel']}, {m['date']}"
