"""The guard tests exercise each of the project's speed-ups itself, whatever
``REALTIME_SPEEDUPS`` this run has."""

from __future__ import annotations

from typing import Any

import pytest

ON = {"REALTIME_SPEEDUPS": "1"}  # for a server a guard test starts


@pytest.fixture
def speedups_on(settings: Any) -> None:
    settings.SPEEDUPS = True
    settings.REALTIME = {**settings.REALTIME, "SPEEDUPS": True}
