"""Fixtures shared by every test: the app client (lifespan runs), MNIST data location."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from app.main import create_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """One app per test session, with its lifespan run (models loaded)."""
    with TestClient(create_app()) as test_client:
        yield test_client


def real_mnist_dir() -> Path | None:
    """Where the real MNIST IDX files are: CONVLAB_DATA_DIR, else ../shared/data/mnist."""
    candidates = []
    if os.environ.get("CONVLAB_DATA_DIR"):
        candidates.append(Path(os.environ["CONVLAB_DATA_DIR"]))
    candidates.append(PROJECT_ROOT.parent / "shared" / "data" / "mnist")
    for candidate in candidates:
        if (candidate / "t10k-images-idx3-ubyte.gz").exists() or (
            candidate / "t10k-images-idx3-ubyte"
        ).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST files, or skip: they are never committed and may not be on this machine."""
    found = real_mnist_dir()
    if found is None:
        pytest.skip(
            "real MNIST IDX files not found (set CONVLAB_DATA_DIR or run `convlab data download`)"
        )
    return found
