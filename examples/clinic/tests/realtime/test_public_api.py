"""``realtime``'s door: what a project uses is importable from the package itself, and a
publication whose serializer emits no ``<entity>_id`` fails the system checks."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
from django.core import checks
from django.test import override_settings
from rest_framework import serializers

import realtime
from realtime.declaring.registry import registry
from tests.support.servers import CLINIC, child_env
from visits.models import Visit


def test_every_public_name_is_importable_from_the_package():
    for name in realtime.__all__:
        assert getattr(realtime, name) is not None, name
    with pytest.raises(AttributeError):
        realtime.no_such_name  # noqa: B018


def test_importing_the_package_loads_none_of_its_insides():
    # settings.py may import it before Django is set up
    code = "import sys, realtime; print(sorted(m for m in sys.modules if m.startswith('realtime.')))"
    result = subprocess.run([sys.executable, "-c", code], cwd=CLINIC.root, env=child_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


class VisitWithoutId(serializers.ModelSerializer):
    class Meta:
        model = Visit
        fields = ["pet_name"]


publications_without_an_id = [realtime.Publication("visits", "visit", Visit, VisitWithoutId)]


def test_a_publication_that_emits_no_entity_id_fails_the_checks():
    module = importlib.import_module(__name__)
    assert module.publications_without_an_id
    registry.cache_clear()
    try:
        with override_settings(REALTIME={"PUBLICATIONS": f"{__name__}.publications_without_an_id"}):
            errors = [e for e in checks.run_checks() if e.id == "realtime.E002"]
    finally:
        registry.cache_clear()
    assert len(errors) == 1 and "'visit_id'" in errors[0].msg


def test_the_projects_publications_pass_the_checks():
    assert not [e for e in checks.run_checks() if e.id == "realtime.E002"]
    assert registry().publications
