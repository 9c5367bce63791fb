"""``python -m bench.numbering`` at a tiny size: writer processes append and number events
through the event log, the rounds' numbers come out dense, and every publish of the layer
publisher reaches the subscriber. A smoke test of the tool, not a timed test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.live


def test_writers_number_every_event_densely_and_every_publish_arrives(tmp_path: Path) -> None:
    out = tmp_path / "numbering.json"
    args = [
        "--writers",
        "1,2",
        "--publishers",
        "1,2",
        "--seconds",
        "1",
        "--events-per-commit",
        "2",
        "--redis-url",
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "--json",
        str(out),
    ]
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        args += ["--database-url", database_url]  # a fresh database on the same server
    result = subprocess.run(
        [sys.executable, "-m", "bench.numbering", *args], cwd=ROOT, capture_output=True, text=True, timeout=240
    )

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(out.read_text())
    assert [r["processes"] for r in report["numbering"]] == [1, 2]
    for r in report["numbering"]:
        assert r["dense"] is True and r["errors"] == [], r
        assert r["total"] > 0 and r["total"] % 2 == 0, r  # two events a commit, each numbered once
        assert len(r["per_process"]) == r["processes"] and r["p50_ms"] <= r["p99_ms"], r
    assert [r["processes"] for r in report["publishes"]] == [1, 2]
    for r in report["publishes"]:
        assert r["errors"] == [] and r["total"] > 0, r
        assert r["received"] == r["total"], r  # the subscriber got every batch that was sent
    assert "| writers |" in result.stdout and "| publishers |" in result.stdout
