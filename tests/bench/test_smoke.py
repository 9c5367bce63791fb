"""The benchmark at a tiny size: it starts its servers, every socket gets what it should, and
the comparison with the peers runs. A smoke test of the tool, not a timed test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.targets import default_peers_dir

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.live


def run_bench(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    out = tmp_path / "results.json"
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--redis-url", redis_url, "--json", str(out), "--max-seconds", "240", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result, json.loads(out.read_text())["results"]


def assert_all_delivered(results: list[dict]) -> None:
    for r in results:
        assert r["error"] is None, r
        assert r["connected"] == r["sockets"], r
        assert r["delivered"] == r["expected"] > 0, r
        assert r["duplicates"] == r["unexpected"] == 0, r
        assert r["p50_ms"] is not None and r["p50_ms"] <= r["p99_ms"] <= r["max_ms"], r


@pytest.mark.skipif(not default_peers_dir().is_dir(), reason="no ../shared/peers to compare with")
def test_project_and_peers_deliver_everything_and_are_compared(tmp_path: Path) -> None:
    result, results = run_bench(
        tmp_path, "--sockets", "20", "--changes", "5", "--concurrency", "2", "--targets", "project,fastapi,naive-pubsub"
    )
    assert [r["target"] for r in results] == ["project", "fastapi", "naive-pubsub"]
    assert_all_delivered(results)
    assert all(r["expected"] == 20 * 5 for r in results)
    assert "ratio project/fastapi: deliveries/s" in result.stdout


def test_customers_see_only_their_own_pets(tmp_path: Path) -> None:
    args = ["--sockets", "20", "--changes", "6", "--customers", "4", "--targets", "project"]
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        args += ["--database-url", database_url]  # a fresh database on the same server
    _, results = run_bench(tmp_path, *args)
    assert_all_delivered(results)
    # 5 sockets per customer; customers 0 and 1 own two pets each, customers 2 and 3 one each.
    assert results[0]["expected"] == 5 * (2 + 2 + 1 + 1)


def test_idle_sockets_report_memory_and_setup_rate(tmp_path: Path) -> None:
    _, results = run_bench(tmp_path, "--idle", "--sockets", "50", "--clients", "2", "--settle", "0.5", "--targets", "project")
    [r] = results
    assert r["error"] is None and r["connected"] == 50, r
    assert r["rss_after_kib"] > 0 and r["kib_per_socket"] is not None and r["connect_per_s"] > 0


def test_the_project_with_its_speedups_off_is_a_target_of_the_same_run(tmp_path: Path) -> None:
    _, results = run_bench(tmp_path, "--sockets", "10", "--changes", "3", "--targets", "project,project@nospeedups")
    assert [r["target"] for r in results] == ["project", "project@nospeedups"]
    assert_all_delivered(results)
