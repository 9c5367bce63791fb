"""The deployment of docs/deployment.md, run: Debian's nginx with the configuration read out of
that page, in front of two daphne processes started as the page starts them. A socket through
nginx receives a change made through the other process, ``/static/`` is served, and neither a
token nor a ticket reaches nginx's logs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.realtime.conftest import token_for
from tests.support.metrics import gauge, scrape
from tests.support.servers import ROOT, Daphne, LoopbackServer, free_port, http_json, run_in_shell, wait_for_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

DOC = ROOT / "docs" / "deployment.md"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's package; .ci/run installs it


def documented_block(language: str) -> str:
    """The one fenced block of ``language`` in docs/deployment.md."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(), re.S | re.M)
    assert len(blocks) == 1, f"docs/deployment.md should have one {language} block, has {len(blocks)}"
    return blocks[0]


def site_config(*, port: int, upstreams: tuple[int, int], static_root: Path, logs: Path) -> str:
    """The documented site, changed only where a test must: plain HTTP on a free port, the
    daphne ports, the static files and the logs."""
    site = documented_block("nginx")
    for old, new in {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{port};",
        "server 127.0.0.1:8001;": f"server 127.0.0.1:{upstreams[0]};",
        "server 127.0.0.1:8002;": f"server 127.0.0.1:{upstreams[1]};",
        "/srv/petland/staticfiles/": f"{static_root}/",
        "/var/log/nginx/": f"{logs}/",
    }.items():
        assert old in site, f"docs/deployment.md's nginx block no longer has {old!r}"
        site = site.replace(old, new)
    return site


def main_config(prefix: Path, site: str) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around conf.d, in a prefix of the test's own."""
    temp = prefix / "temp"
    return "\n".join(
        [
            "user root;" if os.geteuid() == 0 else "",  # workers must read the test's private tmp dir
            "worker_processes 1;",
            f"pid {prefix}/nginx.pid;",
            f"error_log {prefix}/logs/error.log info;",
            "events { worker_connections 256; }",
            "http {",
            "    include /etc/nginx/mime.types;",
            f"    access_log {prefix}/logs/access.log;",
            *(f"    {kind}_temp_path {temp}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
            site,
            "}",
        ]
    )


class Nginx(LoopbackServer):
    """nginx in the foreground (``daemon off``), a child of the test; stopping it is a fast
    shutdown, and each request's log line is written when it ends."""

    def __init__(self, prefix: Path, site: str, port: int):
        super().__init__(port)
        self.prefix = prefix
        (prefix / "logs").mkdir(parents=True, exist_ok=True)
        (prefix / "temp").mkdir(exist_ok=True)
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(main_config(prefix, site))

    def start(self) -> Nginx:
        self.proc = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(self.prefix),
                "-c",
                str(self.conf),
                "-e",
                str(self.prefix / "logs" / "error.log"),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for_port(self.port, proc=self.proc)
        except BaseException:
            self.kill()
            raise
        return self

    def logs(self) -> str:
        return "".join(path.read_text() for path in sorted((self.prefix / "logs").glob("*.log")))


@pytest.fixture
def deployment(tmp_path) -> Iterator[tuple[Nginx, Daphne, Daphne]]:
    assert Path(NGINX).exists(), "nginx is not installed: apt-get install nginx (.ci/run does)"
    static_root = tmp_path / "staticfiles"
    run_in_shell(  # python manage.py collectstatic --no-input, into the test's directory
        "from django.core.management import call_command; from django.test import override_settings\n"
        f"with override_settings(STATIC_ROOT={str(static_root)!r}):\n"
        "    call_command('collectstatic', interactive=False, verbosity=0)"
    )
    with Daphne(args=("--proxy-headers",)) as first, Daphne(args=("--proxy-headers",)) as second:
        port = free_port()
        site = site_config(
            port=port, upstreams=(first.port, second.port), static_root=static_root, logs=tmp_path / "nginx" / "logs"
        )
        nginx = Nginx(tmp_path / "nginx", site, port).start()
        try:
            yield nginx, first, second
        finally:
            nginx.stop()


def holding_the_socket(servers: tuple[Daphne, Daphne]) -> Daphne:
    """The one process that holds the one open socket."""
    holders = [server for server in servers if gauge(scrape(server), "realtime_connections", "pets") == 1]
    assert len(holders) == 1, [gauge(scrape(server), "realtime_connections", "pets") for server in servers]
    return holders[0]


def create_pet(server: Daphne, owner, name: str) -> None:
    body = json.dumps({"name": name, "species": "Perro", "breed": "Beagle", "age": 2}).encode()
    status, created = http_json("POST", f"{server.http}/api/pets/", body, token_for(owner))
    assert status == 201, created


def logged(nginx: Nginx, expected: int, timeout: float = 20.0) -> str:
    """nginx's logs once they hold ``expected`` socket requests (a socket's line is written
    when it closes)."""
    deadline = time.monotonic() + timeout
    while (text := nginx.logs()).count("GET /ws/pets/") < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return text


def test_a_socket_through_nginx_receives_a_change_made_through_the_other_process(deployment, staff, alice):
    nginx, first, second = deployment
    token = token_for(staff)
    with connect(f"{nginx.ws}/ws/pets/?token={token}", open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["user_id"] == str(staff.pk)
        other = second if holding_the_socket((first, second)) is first else first
        create_pet(other, alice, "Via the other process")
        update = json.loads(ws.recv(timeout=10))
        assert (update["action"], update["data"]["name"]) == ("created", "Via the other process")

    status, body = http_json("POST", f"{nginx.http}/api/realtime/ticket/", token=token_for(alice))
    assert status == 200, body
    ticket = json.loads(body)["ticket"]
    with connect(f"{nginx.ws}/ws/pets/?ticket={ticket}&last_event_id=0", open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["user_id"] == str(alice.pk)

    log = logged(nginx, expected=2)
    assert log.count('GET /ws/pets/ HTTP/1.1" 101') == 2, log  # both sockets were logged...
    assert token not in log and ticket not in log and "token=" not in log and "ticket=" not in log, log  # ...bare
    assert "last_event_id" not in log  # no query string at all


def test_nginx_serves_the_collected_static_files(deployment):
    nginx, _, _ = deployment
    with urllib.request.urlopen(f"{nginx.http}/static/realtime/realtime.js", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/javascript"
        served = response.read()
    assert served == (ROOT / "realtime" / "static" / "realtime" / "realtime.js").read_bytes()


def test_the_readmes_production_section_runs_what_nginx_proxies_to():
    readme = (ROOT / "README.md").read_text()
    production = readme[readme.index("## Production deployment") : readme.index("## API")]
    daphnes = re.findall(r"^daphne -b 127\.0\.0\.1 -p (\d+) --proxy-headers petland\.asgi:application", production, re.M)
    upstreams = re.findall(r"^\s*server 127\.0\.0\.1:(\d+);", documented_block("nginx"), re.M)
    assert daphnes and daphnes == upstreams
    assert "collectstatic" in production and "/srv/petland" in production
