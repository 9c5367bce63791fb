"""uvicorn writes its access lines through handlers of its own, outside Django's LOGGING: run
with the log configuration of docs/deployment.md, it writes them with tokens redacted."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request

import pytest
from websockets.sync.client import connect

from tests.deployment.test_nginx import documented_block
from tests.realtime.conftest import token_for
from tests.support.servers import ROOT, child_env, free_port, wait_for_http, wait_for_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_uvicorns_access_lines_redact_tokens_with_the_documented_log_config(tmp_path, alice):
    config = tmp_path / "uvicorn-logging.json"
    config.write_text(documented_block("json"))
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-config",
            str(config),
            "petland.asgi:application",
        ],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    token = token_for(alice)
    try:
        wait_for_port(port, proc=server)
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?token={token}", timeout=10) as response:
            assert response.status == 200
        with connect(f"ws://127.0.0.1:{port}/ws/pets/?token={token}", open_timeout=10) as ws:
            assert '"connection_established"' in ws.recv(timeout=10)
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert token not in output and "Logging error" not in output, output
    assert re.search(r'^INFO: +127\.0\.0\.1:\d+ - "GET /healthz\?token=\[redacted\] HTTP/1\.1" 200 OK$', output, re.M), output
    assert re.search(r'^INFO: +.*"WebSocket /ws/pets/\?token=\[redacted\]" \[accepted\]$', output, re.M), output
