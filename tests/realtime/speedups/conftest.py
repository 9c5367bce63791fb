"""The guard tests exercise each speed-up itself, whatever ``REALTIME_SPEEDUPS`` this run has:
the speed-ups are on in this process, and the servers these tests start get them on too."""

from __future__ import annotations

from typing import Any

import pytest

ON = {"REALTIME_SPEEDUPS": "1"}  # for a server a guard test starts


@pytest.fixture(autouse=True)
def speedups_on(settings: Any) -> None:
    settings.SPEEDUPS = True
    settings.REALTIME = {**settings.REALTIME, "SPEEDUPS": True}
