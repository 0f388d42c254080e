"""/docs works offline and under the CSP: vendored Swagger UI, no CDN, no inline script."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from app.middleware import CONTENT_SECURITY_POLICY
from tests.browser.conftest import base_url, browser, page, shot  # noqa: F401 (fixtures)


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


@pytest.mark.browser
def test_docs_renders_every_route_in_chromium_without_leaving_the_origin(page, base_url):  # noqa: F811
    origins: set[str] = set()
    page.on("request", lambda r: origins.add(urlsplit(r.url).netloc))
    response = page.goto("/docs")
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_selector(".opblock", timeout=20_000)
    rendered = page.locator(".opblock-summary-path").all_inner_texts()
    paths = {p.replace("\u200b", "") for p in rendered}
    assert "/api/health" in paths
    spec = page.request.get("/openapi.json").json()
    assert paths == set(spec["paths"]), "every route of /openapi.json appears in Swagger UI"
    # "Try it out" calls the API from the page: connect-src 'self' must allow it
    page.locator("#operations-health-health_api_health_get .opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=10_000)
    assert status.inner_text().strip() == "200"
    assert origins == {urlsplit(base_url).netloc}
    shot(page, "deploy-docs")
