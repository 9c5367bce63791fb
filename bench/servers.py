"""Starting a server child process and waiting until it answers: the one piece of code that
the benchmarks (``bench.targets``, ``bench.flood``) and the tests (``tests/support/servers.py``,
``tests/browser``) share. It imports nothing of Django, so that both sides may use it.

A server counts as up when it answers HTTP on a path with any status below 500 (a 4xx still
means the application is loaded and serving). A server that exits, or does not answer in time,
is killed and a ``ServerError`` carries the end of its output: nothing half-started is left
behind.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

HOST = "127.0.0.1"  # every server these helpers start listens on loopback only
STOP_SECONDS = 10.0  # SIGTERM, then this long before SIGKILL


class ServerError(RuntimeError):
    """A server exited before it answered, or did not answer in time; with its output's end."""


def free_port() -> int:
    """A loopback port nothing listens on now (the caller binds it soon after)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(
    command: Sequence[str],
    *,
    port: int,
    ready_path: str,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    log: Path | None = None,
    name: str = "server",
) -> subprocess.Popen:
    """Spawn ``command`` and return once it answers ``http://127.0.0.1:{port}{ready_path}``.

    Its output (stdout and stderr together) is appended to ``log``, or, without one, kept in a
    text pipe (``proc.stdout``) for the caller to read."""
    if log is not None:
        with log.open("ab") as out:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
    else:
        proc = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    try:
        wait_until_answering(f"http://{HOST}:{port}{ready_path}", timeout=timeout, proc=proc, name=name)
    except BaseException as error:
        stop_server(proc, kill=True)
        if isinstance(error, ServerError):
            raise ServerError(f"{error}:\n{output_tail(proc, log)}") from None
        raise
    return proc


def wait_until_answering(url: str, *, timeout: float, proc: subprocess.Popen | None = None, name: str = "server") -> None:
    """Until ``url`` answers with a status below 500; ``ServerError`` if ``proc`` exits first
    or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise ServerError(f"{name} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ServerError(f"{name} did not answer {url} within {timeout:.0f}s")
        time.sleep(0.05)


def stop_server(proc: subprocess.Popen | None, *, kill: bool = False) -> None:
    """SIGTERM (or SIGKILL with ``kill``), then SIGKILL if it is still there after STOP_SECONDS."""
    if proc is None or proc.poll() is not None:
        return
    if kill:
        proc.kill()
    else:
        proc.terminate()
    try:
        proc.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_SECONDS)


def output_tail(proc: subprocess.Popen, log: Path | None, chars: int = 3000) -> str:
    """The end of what a server wrote: from its log file, or from its pipe once it has exited."""
    try:
        if log is not None:
            return log.read_text(errors="replace")[-chars:]
        if proc.stdout is not None and proc.poll() is not None:
            return proc.stdout.read()[-chars:]
    except (OSError, ValueError):
        pass
    return ""
