"""Guard for ``petland.speedups.daphne``: daphne's HTTP requests are still Twisted ``Request``s
that take ``parsePOSTFormSubmission``, and with it off a form body reaches Django unparsed."""

from __future__ import annotations

import http.client
import inspect
import json

import pytest
from daphne.http_protocol import WebRequest
from twisted.web.http import Request

from tests.petland.speedups.conftest import ON
from tests.support.servers import Daphne


def test_daphnes_requests_are_twisted_requests_that_can_skip_form_parsing():
    assert issubclass(WebRequest, Request)
    assert "parsePOSTFormSubmission" in inspect.signature(Request.__init__).parameters


@pytest.mark.django_db(transaction=True)
@pytest.mark.live
def test_under_daphne_a_form_body_is_parsed_by_django_only():
    """Twisted would parse it first (for nothing), and answer a multipart body it cannot parse
    with a bare 400 of its own; the API's clients get the API's JSON answer instead."""
    with Daphne(**ON) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("POST", "/api/pets/", body=b"name=Luna", headers={"Content-Type": "multipart/form-data"})
        response = conn.getresponse()
        body = response.read()

    assert response.getheader("Content-Type") == "application/json", (response.status, body)
    assert json.loads(body)["detail"]
