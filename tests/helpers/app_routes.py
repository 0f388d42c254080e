"""Enumerate the app's routes as they are now: routes land over time, tests never hard-code them.

FastAPI >= 0.120 keeps included routers as lazy ``_IncludedRouter`` entries in ``app.routes``;
``iter_route_contexts`` flattens them. Older versions list ``APIRoute`` objects directly.
"""

from __future__ import annotations

from fastapi import FastAPI

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # older FastAPI: app.routes is already flat
    iter_route_contexts = None


def route_paths(app: FastAPI, method: str) -> list[str]:
    """Sorted paths of every route of ``app`` that answers ``method`` (e.g. "POST")."""
    routes = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    return sorted(
        {
            route.path
            for route in routes
            if getattr(route, "methods", None) and method in route.methods
        }
    )
