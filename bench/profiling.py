"""Profiles a server process with py-spy during the measured phase, and summarises where its
time went: the functions with the largest share of samples, by own time and by inclusive time."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


class PySpy:
    """``py-spy record`` attached to ``pid`` from start() to stop(): one raw (collapsed stacks)
    file for the summary and, with ``svg``, a flame graph from a second, non-blocking sampler."""

    def __init__(self, pid: int, out_dir: Path, name: str, rate: int = 250, svg: bool = True) -> None:
        self.pid, self.out_dir, self.name, self.rate, self.svg = pid, out_dir, name, rate, svg
        self.procs: list[subprocess.Popen] = []
        self.raw = out_dir / f"{name}.collapsed.txt"

    def start(self) -> None:
        exe = py_spy()
        if exe is None:
            raise RuntimeError("py-spy is not installed (pip install py-spy)")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        outputs = [("raw", self.raw)] + ([("flamegraph", self.out_dir / f"{self.name}.svg")] if self.svg else [])
        for fmt, path in outputs:
            cmd = [
                exe,
                "record",
                "--pid",
                str(self.pid),
                "--rate",
                str(self.rate),
                "--format",
                fmt,
                "-o",
                str(path),
                "--nonblocking",
                "--threads",
            ]
            self.procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def summarise(raw: Path, top: int = 25) -> str:
    """Own and inclusive sample shares of the busiest functions in a collapsed-stacks file.

    Idle samples (the event loop waiting in ``select``/``epoll``, threads waiting on a lock or a
    queue) are counted separately so that the shares are of the time the process was busy."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    busy = idle = 0
    idle_leaves = ("select (", "poll (", "_worker (", "wait (", "acquire", "_wait_for_tstate_lock", "get (queue")
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        leaf = frames[-1]
        if any(marker in leaf for marker in idle_leaves):
            idle += n
            continue
        busy += n
        threads[frames[0]] += n
        own[_short(leaf)] += n
        for frame in set(_short(f) for f in frames[1:]):
            inclusive[frame] += n
    if busy == 0:
        return "no busy samples"
    out = [f"samples: {busy} busy, {idle} idle ({busy / max(busy + idle, 1):.0%} busy)", "", "busy samples by thread:"]
    out += [f"  {n / busy:6.1%}  {name}" for name, n in threads.most_common(6)]
    out += ["", "own time (leaf function), share of busy samples:"]
    out += [f"  {n / busy:6.1%}  {name}" for name, n in own.most_common(top)]
    out += ["", "inclusive time (function on the stack), share of busy samples:"]
    out += [f"  {n / busy:6.1%}  {name}" for name, n in inclusive.most_common(top * 2)]
    return "\n".join(out)


def _short(frame: str) -> str:
    """``func (path/to/site-packages/pkg/mod.py:123)`` -> ``func (pkg/mod.py)``."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for anchor in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if anchor in path:
            path = path.split(anchor, 1)[1]
            break
    return f"{name} ({path})" if path else name
