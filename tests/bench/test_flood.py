"""``python -m bench.flood --storm resume`` at a tiny size: the log is filled with alice's events,
bob's sockets storm the server with resumes, and the bystander's latency and fresh handshakes
come out quiet and during the storm. A smoke test of the tool, not a timed test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.live

LABEL_WIDTH = 18  # the report's first column


def storm_table(stdout: str) -> dict[str, list[str]]:
    """The report's rows: label -> [quiet, storm(, rise)]."""
    return {
        line[:LABEL_WIDTH].strip(): line[LABEL_WIDTH:].split()
        for line in stdout.splitlines()
        if line.startswith(("update", "handshake", "bystander"))
    }


def test_the_resume_storm_reports_latency_and_handshakes_quiet_and_during_the_storm() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.flood",
            "--storm",
            "resume",
            "--storm-events",
            "1000",
            "--resume-back",
            "990",
            "--storm-sockets",
            "3",
            "--changes",
            "10",
            "--handshakes",
            "5",
            "--warmup",
            "0.2",
            "--redis-url",
            os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    rows = storm_table(result.stdout)
    assert rows["updates received"] == ["10/10", "10/10"], result.stdout
    assert rows["updates in order"] == ["yes", "yes"], result.stdout
    assert rows["handshakes ok"][0] == "5/5", result.stdout
    for figure in ("update p50 ms", "update p99 ms", "update max ms", "handshake p50 ms", "handshake max ms"):
        quiet, storm, rise = rows[figure]
        assert float(quiet) > 0 and float(storm) > 0 and rise.startswith("x"), (figure, result.stdout)
    storm_line = re.search(
        r"^storm: (\d+) resumes sent .*; (\d+) answered, .*; (\d+) events reached bob", result.stdout, re.MULTILINE
    )
    assert storm_line, result.stdout
    sent, answered, leaked = map(int, storm_line.groups())
    assert sent >= answered > 0, result.stdout
    assert leaked == 0, result.stdout  # bob may see none of alice's events
