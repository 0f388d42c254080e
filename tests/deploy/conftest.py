"""Fixtures of the deploy tests: a real server of their own (not the browser tests' one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.server import serving


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """ConvLab served by uvicorn on a free loopback port for the whole session."""
    with serving() as url:
        yield url
