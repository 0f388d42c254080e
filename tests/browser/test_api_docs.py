"""/docs in a real Chromium: Swagger UI from static/vendor renders every route under the CSP,
"Try it out" reaches the API, and nothing is requested from another origin."""

from __future__ import annotations

from urllib.parse import urlsplit

from app.middleware import CONTENT_SECURITY_POLICY
from tests.helpers.browser import shot


def test_docs_renders_every_route_in_chromium_without_leaving_the_origin(page, base_url):
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
