"""What a test changes in the settings of the clinic's child processes (daphne, ``manage.py``):
the clinic reads no ``REALTIME_*`` variables of its own, so its test settings take JSON."""

from __future__ import annotations

import json
from typing import Any


def realtime_settings(**overrides: Any) -> dict[str, str]:
    """``Daphne(**realtime_settings(MAX_SEND_BUFFER=262144))``: those keys of ``REALTIME``."""
    return {"CLINIC_TEST_REALTIME": json.dumps(overrides)}


def channel_layer(backend: str, **config: Any) -> dict[str, str]:
    """The child's default channel layer, with the Redis hosts and prefix of this run unless given."""
    return {"CLINIC_TEST_CHANNEL_LAYER": json.dumps({"BACKEND": backend, "CONFIG": config})}
