"""The clinic is a project of its own: it passes the system checks, serves /healthz, and uses
``realtime`` through the package's public names only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework import serializers

import realtime
from visits.models import Visit

CLINIC = Path(__file__).resolve().parent.parent


def manage_py_check(settings_module: str) -> subprocess.CompletedProcess:
    """``manage.py check`` in a process of its own: the table of publications is read once per process."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        cwd=CLINIC,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings_module},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_system_checks_pass():
    result = manage_py_check("tests.settings")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


class VisitWithoutId(serializers.ModelSerializer):
    class Meta:
        model = Visit
        fields = ["pet_name", "status"]


publications_without_an_id = [realtime.Publication("visits", "visit", Visit, VisitWithoutId)]


def test_a_serializer_without_visit_id_fails_the_checks_with_realtime_E002():
    result = manage_py_check("tests.settings_without_visit_id")
    assert result.returncode == 1
    assert "(realtime.E002)" in result.stderr and "VisitWithoutId, emits no 'visit_id'" in result.stderr


def test_healthz_answers_ok_without_a_login(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readyz_finds_the_database_and_the_redis_layer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "channel_layer": "ok"}


def the_projects_files() -> list[Path]:
    """The clinic's code and its own tests; not tests/realtime/, the tests of realtime's insides."""
    return [path for path in CLINIC.rglob("*.py") if not path.is_relative_to(CLINIC / "tests" / "realtime")]


def test_the_clinic_imports_realtime_by_its_public_names_only_and_nothing_of_petland():
    # an import statement, or a dotted path in a string (settings, include()); not check ids (realtime.E002)
    imports = re.compile(r"^\s*(from|import)\s+(realtime\.|petland\b)|['\"](realtime\.[a-z_]|petland[.'\"])", re.M)
    offending = [
        f"{path.relative_to(CLINIC)}: {match.group(0).strip()}"
        for path in the_projects_files()
        for match in imports.finditer(path.read_text())
    ]
    assert CLINIC / "visits" / "publications.py" in the_projects_files()
    assert offending == []
    # the pattern bites (these lines spelled so that they do not match in this file)
    for wrong in ("from realtime.declaring.registry import registry", "import petland", "'realtime" + ".observability.X'"):
        assert imports.search(wrong), wrong


@pytest.mark.django_db
def test_the_live_page_shows_the_clinics_channel_to_staff_and_sends_others_to_the_login(client, staff, alice):
    client.force_login(alice)
    assert client.get("/live/").status_code == 302
    client.force_login(staff)
    response = client.get("/live/")
    assert response.status_code == 200 and '"visits"' in response.content.decode()
