"""/docs works offline and under the CSP: vendored Swagger UI, no CDN, no inline script.

The same page in a real Chromium is tests/browser/test_api_docs.py (it shares that folder's
one Playwright instance: a second one in the same process cannot start).
"""

from __future__ import annotations

import re

import pytest


def test_docs_page_references_only_same_origin_assets(client):
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in urls
    assert "/static/js/api_docs.js" in urls
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert "cdn" not in html.lower()


def test_docs_page_has_no_inline_script(client):
    html = client.get("/docs").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "the page must load Swagger UI"
    for attributes, body in scripts:
        assert 'src="/' in attributes
        assert body.strip() == ""


def test_docs_page_names_the_openapi_url(client):
    html = client.get("/docs").text
    assert 'data-openapi-url="/openapi.json"' in html
    assert client.get("/openapi.json").json()["info"]["title"] == "ConvLab"


@pytest.mark.parametrize(
    "asset",
    ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE"],
)
def test_vendored_swagger_ui_asset_is_served(client, asset):
    response = client.get(f"/static/vendor/swagger-ui/{asset}")
    assert response.status_code == 200
    assert len(response.content) > 500


def test_redoc_from_a_cdn_is_not_served(client):
    assert client.get("/redoc").status_code == 404
