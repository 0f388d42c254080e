"""Interactive API reference at /docs, served offline and under the strict CSP.

FastAPI's built-in /docs loads Swagger UI from a CDN and starts it with an inline ``<script>``;
both are refused by ConvLab's Content-Security-Policy (``script-src 'self'``, no external
origin) and would not load in an offline classroom. This page uses the vendored copy under
``static/vendor/swagger-ui`` and an external start-up module, ``static/js/api_docs.js``.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

DOCS_PATH = "/docs"


@router.get(DOCS_PATH, response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for /openapi.json, with every asset from /static."""
    app = request.app
    vendor = "/static/vendor/swagger-ui"
    title = escape(f"{app.title} · API reference")
    openapi_url = escape(app.openapi_url or "/openapi.json")
    html = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="{vendor}/favicon-32x32.png" type="image/png">
  <link rel="stylesheet" href="{vendor}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
  <script src="{vendor}/swagger-ui-bundle.js"></script>
  <script src="/static/js/api_docs.js"></script>
</body>
</html>
"""
    return HTMLResponse(html)
