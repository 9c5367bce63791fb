"""``python -m bench.push`` at a tiny size: one worker pushes every notification to the loopback
fake, which receives each once. A smoke test of the tool, not a timed test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.live


def test_the_worker_pushes_every_notification_once_to_the_fake(tmp_path: Path) -> None:
    out = tmp_path / "push.json"
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    args = ["--notifications", "20", "--users", "5", "--concurrency", "2", "--redis-url", redis_url, "--json", str(out)]
    result = subprocess.run([sys.executable, "-m", "bench.push", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(out.read_text())
    assert (report["notifications"], report["sent"], report["received"]) == (20, 20, 20)
    assert "pushed in" in result.stdout
