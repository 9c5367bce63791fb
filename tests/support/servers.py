"""Real server processes for tests: daphne on a free loopback port, sharing the test database
and the Redis of this test run; and one-off writer processes (``manage.py shell -c``). They run
the project of this test run: PetLand, or the example project (examples/clinic) for its suite."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from django.conf import settings
from django.db import connection

from bench.servers import free_port, start_server, stop_server, wait_until_answering

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 40.0  # a daphne's start on a loaded machine: imports, checks, the first request


@dataclass(frozen=True)
class Project:
    """What a child process needs to run a project: where its ``manage.py`` is, its ASGI
    application, a URL that answers once it has started, and the variable of its Redis prefix."""

    root: Path
    application: str
    ready_path: str
    redis_prefix_variable: str


PETLAND = Project(ROOT, "petland.asgi:application", "/api/services/", "REALTIME_REDIS_PREFIX")
CLINIC = Project(ROOT / "examples" / "clinic", "clinic.asgi:application", "/healthz", "CLINIC_REDIS_PREFIX")


def this_project() -> Project:
    """The project whose settings this test run uses (both suites' settings are ``tests.settings``)."""
    return CLINIC if settings.ROOT_URLCONF == "clinic.urls" else PETLAND


def database_url() -> str:
    """The URL of the test database this process uses, for child processes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    project = this_project()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url()}
    env[project.redis_prefix_variable] = (
        settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", env.get(project.redis_prefix_variable, ""))
    )
    if project is not PETLAND:  # realtime/ (and bench/) from the repository, as if installed
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def wait_for_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{proc.stdout.read() if proc.stdout else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def wait_for_http(url: str, timeout: float = 20.0) -> None:
    """Until ``url`` answers (any status below 500), as a started server's is awaited."""
    wait_until_answering(url, timeout=timeout)


class LoopbackServer:
    """A server child process on a loopback port: its URLs, and stopping it."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        stop_server(self.proc)

    def kill(self) -> None:
        stop_server(self.proc, kill=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Daphne(LoopbackServer):
    """The project under daphne, sharing this test run's database and Redis; started once it
    answers its ``ready_path`` (PetLand's ``/api/services/``). Its output goes to ``proc.stdout``
    (a text pipe) or, with ``log``, to that file."""

    def __init__(self, port: int | None = None, *, args: tuple[str, ...] = (), log: Path | None = None, **env: str):
        super().__init__(port)
        self.args = args  # more daphne options, e.g. ("--proxy-headers",) as docs/deployment.md runs it
        self.log = log
        self.env = env
        self.project = this_project()

    @property
    def application(self) -> str:
        return self.project.application

    def command(self) -> list[str]:
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), *self.args, self.application]

    def start(self) -> Self:
        # start_server kills a server that exits or never answers: nothing half-started is left.
        self.proc = start_server(
            self.command(),
            port=self.port,
            ready_path=self.project.ready_path,
            cwd=self.project.root,
            env=child_env(**self.env),
            timeout=START_SECONDS,
            log=self.log,
            name=type(self).__name__,
        )
        return self


class Uvicorn(Daphne):
    """The same application under uvicorn (sans-I/O websockets, as the benchmark runs it)."""

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            self.application,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ws",
            "websockets-sansio",
            "--ws-per-message-deflate",
            "false",
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ]


class RedisServer:
    """A Redis of the test's own, on its own port, that the test may stop and start again."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, proc=self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_shell(code: str, **env: str) -> subprocess.Popen:
    """Like ``run_in_shell``, without waiting for it."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=this_project().root,
        env=child_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_in_shell(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run Python in ``manage.py shell`` in a separate OS process (as a developer would)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=this_project().root,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result


def http_json(method: str, url: str, body: bytes | None = None, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
