"""The servers a benchmark measures: each starts on its own loopback port from a fresh state,
says how to open its sockets and make its changes, and stops.

``project`` is PetLand as it ships (daphne, DEBUG off, JWT-authenticated sockets, the event log,
Redis pub/sub). ``project-uvicorn`` is the same application under uvicorn. The peers are run
from a temporary copy of ``../shared/peers`` with their own settings.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# HOST: every server and every request of the benchmark stays on loopback.
from bench.servers import HOST, ServerError, free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent


class BenchError(RuntimeError):
    """A phase failed or timed out; the message says which and why."""


def base_env() -> dict[str, str]:
    """This environment without the caller's Django, realtime and database settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REALTIME_"))}
    env.pop("DATABASE_URL", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def project_env(database_url: str, redis_url: str, *, name: str = "bench", **extra: str) -> dict[str, str]:
    """The environment of a PetLand process the benchmarks start: production settings (DEBUG
    off), a secret key and a Redis prefix of its own, no write throttle; ``extra`` on top."""
    env = base_env()
    env.update(
        DJANGO_SETTINGS_MODULE="petland.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=f"{name}-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS=f"{HOST},localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        REALTIME_REDIS_PREFIX=f"{name}-{uuid.uuid4().hex[:12]}",
        JWT_ACCESS_MINUTES="600",
        API_WRITES_PER_MINUTE="0",  # the benchmarks write thousands of pets a minute as one user
    )
    env.update(extra)
    return env


def default_peers_dir() -> Path:
    return Path(os.environ.get("BENCH_PEERS_DIR") or ROOT.parent / "shared" / "peers")


@dataclass
class Plan:
    """What the clients and the writer do against one target."""

    ws_urls: list[str]  # one per socket
    expected: list[int]  # deliveries each socket should get
    requests: list[tuple[str, bytes, dict[str, str]]]  # one POST per change: path, body, headers
    ready_marker: str | None  # text of the first frame that means "subscribed" (None: the handshake is enough)
    groups: list[int] | None = None  # per socket: the customer it belongs to (None: it sees everything)
    modulus: int = 0  # change j belongs to customer j % modulus


@dataclass
class Options:
    sockets: int
    changes: int
    customers: int  # 0: every socket is staff (sees every pet)
    marker: str  # prefix of every pet name of this run; the change index follows it
    redis_url: str
    database_url: str | None
    server_env: dict[str, str] = field(default_factory=dict)
    project_dir: Path = ROOT  # the checkout whose petland/realtime the project targets run
    workers: int = 1  # project-uvicorn: worker processes sharing the port, one hub each
    sockets_per_user: int = 25  # under the project's per-user limit (REALTIME_MAX_SOCKETS_PER_USER, 50)


def pet_body(marker: str, index: int, owner: int | None = None) -> bytes:
    body: dict = {"name": f"{marker}{index}", "species": "Perro", "breed": "Mestizo", "age": 3}
    if owner is not None:
        body["owner"] = owner
    return json.dumps(body).encode()


class Target:
    name = "?"
    needs_peers = False
    supports_customers = False

    def __init__(self, workdir: Path, options: Options, peers_dir: Path) -> None:
        self.workdir = workdir / self.name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.options = options
        self.peers_dir = peers_dir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.workdir / "server.log"

    # --- lifecycle ------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> None:
        raise NotImplementedError

    def plan(self) -> Plan:
        raise NotImplementedError

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _serve(self, cmd: list[str], cwd: Path, env: dict[str, str], ready_path: str, timeout: float) -> None:
        """Start the server, logging to ``server.log``, and wait until it answers ``ready_path``."""
        try:
            self.proc = start_server(
                cmd, port=self.port, ready_path=ready_path, cwd=cwd, env=env, timeout=timeout, log=self.log_path, name=self.name
            )
        except ServerError as error:
            raise BenchError(str(error)) from None

    def _run(self, cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
        try:
            result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{self.name}: {' '.join(cmd)} took more than {timeout:.0f}s") from None
        if result.returncode != 0:
            raise BenchError(f"{self.name}: {' '.join(cmd)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def stop(self) -> None:
        stop_server(self.proc)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def rss_kib(self) -> int:
        """The server's resident set size (VmRSS, summed over its worker processes), in KiB."""
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as status:
                    total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            except (OSError, StopIteration):
                pass
        if not total:
            raise BenchError(f"no VmRSS for pid {self.pid}")
        return total

    def pids(self) -> list[int]:
        """The server process and its children (uvicorn's workers)."""
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as children:
                        todo += [int(c) for c in children.read().split()]
            except OSError:
                pass
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time the server's processes have used so far."""
        total = 0.0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as stat_file:
                    fields = stat_file.read().rpartition(")")[2].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        return total

    def base_env(self) -> dict[str, str]:
        return base_env()

    def copy_peer(self, folder: str) -> Path:
        source = self.peers_dir / folder
        if not source.is_dir():
            raise BenchError(f"{self.name}: no peer at {source}")
        dest = self.workdir / folder
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
        for path in [dest, *dest.rglob("*")]:  # the shared copy is read-only
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
        return dest

    def peer_plan(self, path: str) -> Plan:
        o = self.options
        url = f"ws://{HOST}:{self.port}{path}"
        headers = {"Content-Type": "application/json"}
        return Plan(
            ws_urls=[url] * o.sockets,
            expected=[o.changes] * o.sockets,
            requests=[("/api/pets/", pet_body(o.marker, i), headers) for i in range(o.changes)],
            ready_marker=None,
        )


class Project(Target):
    """PetLand under daphne, as it ships: DEBUG off, JWT sockets, event log, Redis pub/sub."""

    name = "project"
    supports_customers = True

    _fresh_db: FreshPostgres | None = None

    def start(self, timeout: float = 60.0) -> None:
        database_url = f"sqlite:///{self.workdir / 'bench.sqlite3'}"
        if self.options.database_url:
            self._fresh_db = FreshPostgres(self.options.database_url)
            database_url = self._fresh_db.__enter__()
        self.env = self.project_env(database_url)
        here = self.options.project_dir
        out = self._run(
            [
                sys.executable,
                str(Path(__file__).with_name("provision.py")),
                "--customers",
                str(max(self.options.customers, 1)),
                "--staff",
                str(max(-(-self.options.sockets // self.options.sockets_per_user), 1)),
            ],
            here,
            {**self.env, "PYTHONPATH": str(here)},
            timeout=120,
        )
        self.users = json.loads(out.strip().splitlines()[-1])
        self._serve(self.server_command(), here, self.env, "/api/services/", timeout)

    def server_command(self) -> list[str]:
        return [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(self.port), "petland.asgi:application"]

    def stop(self) -> None:
        super().stop()
        if self._fresh_db is not None:
            self._fresh_db.__exit__(None, None, None)
            self._fresh_db = None

    def project_env(self, database_url: str) -> dict[str, str]:
        return project_env(database_url, self.options.redis_url, **self.options.server_env)

    def plan(self) -> Plan:
        o = self.options
        staff, customers = self.users["staff"], self.users["customers"]
        base = f"ws://{HOST}:{self.port}/ws/pets/?token="
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {staff[0]['token']}"}
        if o.customers:
            k = len(customers)
            urls = [base + customers[i % k]["token"] for i in range(o.sockets)]
            # Pet j belongs to customer j % k: socket i sees the pets of customer i % k.
            expected = [o.changes // k + (1 if i % k < o.changes % k else 0) for i in range(o.sockets)]
            owners = [customers[j % k]["id"] for j in range(o.changes)]
        else:
            urls = [base + staff[i % len(staff)]["token"] for i in range(o.sockets)]
            expected = [o.changes] * o.sockets
            owners = [customers[0]["id"]] * o.changes
        requests = [("/api/pets/", pet_body(o.marker, j, owners[j]), headers) for j in range(o.changes)]
        groups = [i % len(customers) for i in range(o.sockets)] if o.customers else None
        return Plan(urls, expected, requests, "connection_established", groups, len(customers) if o.customers else 0)


class ProjectUvicorn(Project):
    """The same application under uvicorn (sans-I/O websockets, no compression), for comparison."""

    name = "project-uvicorn"

    def server_command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "petland.asgi:application",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--ws",
            "websockets-sansio",
            "--ws-per-message-deflate",
            "false",
            "--no-access-log",
            "--log-level",
            "warning",
            "--lifespan",
            "off",
            *(["--workers", str(self.options.workers)] if self.options.workers > 1 else []),
        ]


class FastAPIPeer(Target):
    """``fastapi_sketch``: one uvicorn process, a list of sockets per channel, a send loop."""

    name = "fastapi"
    needs_peers = True

    def start(self, timeout: float = 60.0) -> None:
        folder = self.copy_peer("fastapi_sketch")
        env = self.base_env()
        env["SKETCH_DB"] = str(self.workdir / "sketch.sqlite3")
        env.update(self.options.server_env)
        self._serve(
            [sys.executable, "-m", "uvicorn", "app:app", "--host", HOST, "--port", str(self.port)],
            folder,
            env,
            "/openapi.json",
            timeout,
        )

    def plan(self) -> Plan:
        return self.peer_plan("/ws/pets")


class NaivePeer(Target):
    """``naive_channels``: a consumer per socket in a channel-layer group, ``group_send`` from
    ``post_save``; daphne."""

    needs_peers = True
    layer = ""

    def start(self, timeout: float = 60.0) -> None:
        folder = self.copy_peer("naive_channels")
        env = self.base_env()
        env.update(
            DJANGO_SETTINGS_MODULE="naive.settings",
            NAIVE_DB=str(self.workdir / "naive.sqlite3"),
            NAIVE_LAYER=self.layer,
            REDIS_URL=self.options.redis_url,
        )
        env.update(self.options.server_env)
        self._run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], folder, env, timeout=120)
        self._serve(
            [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(self.port), "naive.asgi:application"],
            folder,
            env,
            "/api/pets/",
            timeout,
        )

    def plan(self) -> Plan:
        return self.peer_plan("/ws/pets")


class NaiveRedis(NaivePeer):
    name = "naive-redis"
    layer = "channels_redis.core.RedisChannelLayer"


class NaivePubSub(NaivePeer):
    name = "naive-pubsub"
    layer = "channels_redis.pubsub.RedisPubSubChannelLayer"


TARGETS: dict[str, type[Target]] = {cls.name: cls for cls in (Project, ProjectUvicorn, FastAPIPeer, NaiveRedis, NaivePubSub)}


class FreshPostgres:
    """A new, empty database on the server a ``postgres://`` URL names, dropped afterwards."""

    def __init__(self, url: str) -> None:
        self.name = f"petland_bench_{uuid.uuid4().hex[:10]}"
        parts = urllib.parse.urlsplit(url)
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))
        # CREATE/DROP DATABASE from the maintenance database: the one the URL names may not exist.
        self.admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))

    def __enter__(self) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *exc: object) -> None:
        import psycopg

        try:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except Exception as error:  # noqa: BLE001 - cleanup must not hide the run's result
            print(f"bench: could not drop database {self.name}: {error}", file=sys.stderr)
