"""Schemathesis against the OpenAPI schema the API serves (``/api/schema/``): requests generated
from it, valid and invalid, sent in-process to the WSGI application as a member of staff, get
no server error and answers that conform to the schema (status code, content type, headers,
body).

Where the served schema is known to be wrong, the loaded copy is amended below, each amendment
saying what the API does, so that everything else is held to the schema as served:

- drf-spectacular documents only the success status of each operation, while the API also
  answers with DRF's error objects (400 bad input, 401/403 refused, 404 not found or not
  yours, 409 still in use);
- a path under ``/api/`` that no route matches (``/api/pets/0.5/``: the router's ids take no
  dot) gets Django's HTML "Not Found" page, not JSON.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.conftest import token_for

HTTP_METHODS = {"get", "put", "patch", "post", "delete"}
DRF_ERROR = {"application/json": {"schema": {"type": "object"}}}
ERRORS = {
    "400": {"description": "Bad input", "content": DRF_ERROR},
    "401": {"description": "Not signed in", "content": DRF_ERROR},
    "403": {"description": "Not allowed", "content": DRF_ERROR},
    "404": {
        "description": "Not found, or not yours; no such route",
        "content": {**DRF_ERROR, "text/html": {"schema": {"type": "string"}}},
    },
}
CONFLICT = {"409": {"description": "Still in use", "content": DRF_ERROR}}


def amended(raw: dict[str, Any]) -> dict[str, Any]:
    """The served schema with the amendments the module docstring lists."""
    schema = copy.deepcopy(raw)
    for path in schema["paths"].values():
        for method, operation in path.items():
            if method in HTTP_METHODS:
                for status, response in {**ERRORS, **(CONFLICT if method == "delete" else {})}.items():
                    operation["responses"].setdefault(status, response)
    return schema


def load_schema() -> schemathesis.BaseSchema:
    app = WSGIHandler()
    served = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    schema = schemathesis.openapi.from_dict(amended(served.raw_schema))
    schema.app, schema.location = app, served.location
    # Examples and random generation, valid and invalid; the coverage phase's exhaustive
    # boundary cases would quadruple the run for little more.
    schema.config.phases.update(phases=["examples", "fuzzing"])
    return schema


schema = load_schema()


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Requests run in the test's transaction, as with Django's test client: the WSGI handler
    would otherwise close the test's database connection at every request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, world, in_test_transaction):
    case.call_and_validate(headers={"Authorization": f"Bearer {token_for(world.staff)}"}, checks=CHECKS)
