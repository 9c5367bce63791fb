"""``manage.py listen`` in a process of its own, its output read line by line, for the tests
of the terminal client, in the project of the test run (PetLand's or the example project's). The waits are
generous: on a loaded machine the command alone takes over ten seconds to start."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from tests.support.servers import child_env, this_project


class Listen:
    """``manage.py listen ...`` in its own process, its output read line by line."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "listen", *args],
            cwd=this_project().root,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []  # every status line, kept
        self.pumps = [
            threading.Thread(target=_pump, args=(self.proc.stdout, self.out, []), daemon=True),
            threading.Thread(target=_pump, args=(self.proc.stderr, self.err, self.stderr), daemon=True),
        ]
        for pump in self.pumps:
            pump.start()

    def line(self, timeout: float = 30) -> str:
        return self.out.get(timeout=timeout)

    def status(self, containing: str, timeout: float = 60) -> str:
        while True:
            line = self.err.get(timeout=timeout)
            if containing in line:
                return line

    def wait(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout)
        for pump in self.pumps:
            pump.join(5)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _pump(stream: IO[str], lines: queue.Queue[str], kept: list[str]) -> None:
    for line in stream:
        kept.append(line.rstrip("\n"))
        lines.put(kept[-1])


@contextmanager
def listeners() -> Iterator[Callable[..., Listen]]:
    """Start ``Listen`` processes with the returned function; every one is stopped at the end."""
    started: list[Listen] = []

    def start(*args: str) -> Listen:
        started.append(Listen(*args))
        return started[-1]

    try:
        yield start
    finally:
        for listener in started:
            listener.stop()
