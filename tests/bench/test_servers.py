"""``bench.servers``: the one way the benchmarks and the tests start a server and wait for it.
A server that answers is handed back running; one that exits or never answers is reported with
its output, and is gone."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bench.servers import ServerError, free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]


def test_a_server_that_answers_is_handed_back_running_and_stops(tmp_path: Path) -> None:
    port = free_port()
    proc = start_server(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        port=port,
        ready_path="/",
        cwd=tmp_path,
        env=os.environ,
        timeout=30,
        log=tmp_path / "server.log",
    )
    try:
        assert proc.poll() is None
    finally:
        stop_server(proc)
    assert proc.poll() is not None
    assert "GET / HTTP/1.1" in (tmp_path / "server.log").read_text()  # its output went to the log


def test_a_server_that_exits_before_answering_is_reported_with_its_output(tmp_path: Path) -> None:
    with pytest.raises(ServerError) as error:
        start_server(
            [sys.executable, "-c", "print('no settings module'); raise SystemExit(3)"],
            port=free_port(),
            ready_path="/",
            cwd=tmp_path,
            env=os.environ,
            timeout=30,
            name="daphne",
        )
    assert "daphne exited with 3" in str(error.value)
    assert "no settings module" in str(error.value)  # from its pipe


def test_a_server_that_never_answers_is_killed_at_the_deadline(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code = (
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); print('starting', flush=True); time.sleep(120)"
    )
    with pytest.raises(ServerError) as error:
        start_server(
            [sys.executable, "-c", code],
            port=free_port(),
            ready_path="/",
            cwd=tmp_path,
            env=os.environ,
            timeout=2,
            log=tmp_path / "server.log",
        )
    assert "did not answer" in str(error.value) and "starting" in str(error.value)
    with pytest.raises(ProcessLookupError):  # killed and reaped: nothing half-started is left
        os.kill(int(pid_file.read_text()), 0)
