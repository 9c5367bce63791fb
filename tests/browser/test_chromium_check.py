"""The browser tests need Chromium: without it a run stops before any test, in one line that
says how to install it or how to point the tests at another one (not an error per test)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.browser.conftest import CHROMIUM, chromium_problem
from tests.support.servers import ROOT


def pytest_run(*args: str, chromium: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CHROMIUM_PATH": chromium}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_chromium_the_run_stops_first_in_one_clear_line(tmp_path):
    result = pytest_run("tests/browser/test_example_page.py", "tests/petland/test_env.py", chromium=str(tmp_path / "chromium"))

    assert result.returncode == 4
    lines = [line for line in result.stdout.splitlines() if "need Chromium" in line]
    assert len(lines) == 1
    assert f"{tmp_path / 'chromium'} is missing: install it with `apt-get install chromium`" in lines[0]
    assert "CHROMIUM_PATH" in lines[0]
    assert "passed" not in result.stdout and "EACCES" not in result.stdout + result.stderr


def test_a_chromium_that_cannot_be_executed_is_named_too(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("not a browser")

    problem = chromium_problem(str(fake))
    assert problem.startswith(f"The browser tests (tests/browser) need Chromium, and {fake} is not executable")


def test_runs_without_browser_tests_need_no_chromium(tmp_path):
    result = pytest_run("tests/petland/test_env.py", chromium=str(tmp_path / "chromium"))

    assert result.returncode == 0, result.stdout
    assert "need Chromium" not in result.stdout


def test_this_machines_chromium_is_there():
    assert chromium_problem(CHROMIUM) is None  # CI installs it (.ci/run): browser tests never skip
