"""The API's documentation pages, Swagger UI at ``/api/docs/`` and ReDoc at ``/api/redoc/``,
load everything from this server's pinned static files: they work without internet."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def assets_of(html: str) -> list[str]:
    return [url for url in ASSET.findall(html) if not url.startswith(("#", "/api/"))]


@pytest.mark.parametrize("url, needs", [("/api/docs/", "swagger-ui-bundle.js"), ("/api/redoc/", "redoc.standalone.js")])
def test_the_docs_pages_load_only_local_pinned_files(anonymous_api, url, needs):
    response = anonymous_api.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assets = assets_of(html)
    assert any(asset.endswith(needs) for asset in assets), assets
    assert "//" not in "".join(assets), assets  # no CDN, no other host
    assert "cdn.jsdelivr" not in html and "@latest" not in html
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/").split("?")[0]), f"{asset} is not a static file"
