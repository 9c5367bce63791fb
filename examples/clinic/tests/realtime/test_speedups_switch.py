"""``REALTIME_SPEEDUPS`` in the clinic's environment is realtime's one switch for its speed-ups
(``REALTIME["SPEEDUPS"]``): read at start, in every process, and a value it cannot read stops
the start with a clear error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.servers import CLINIC, child_env


def realtime_switch_in_a_process_with(value: str) -> subprocess.CompletedProcess[str]:
    """What ``realtime.speedups.enabled()`` says in a clinic process started with ``REALTIME_SPEEDUPS=value``."""
    code = "from realtime import speedups; print(speedups.enabled())"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=CLINIC.root,
        env=child_env(REALTIME_SPEEDUPS=value),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("value", "enabled"), [("0", "False"), ("1", "True")])
def test_the_environment_turns_realtimes_speedups_off_or_on(value: str, enabled: str) -> None:
    result = realtime_switch_in_a_process_with(value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == enabled


def test_a_value_that_is_not_1_or_0_stops_the_start_with_a_clear_error() -> None:
    result = realtime_switch_in_a_process_with("maybe")
    assert result.returncode != 0
    assert "REALTIME_SPEEDUPS='maybe': use 1 or 0." in result.stderr
