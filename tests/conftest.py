"""Fixtures shared by every test: the app client (lifespan runs), MNIST data location."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from app.main import create_app
from app.sessions.scratch import PostgresServer, find_bin_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# every app a test builds keeps its sessions database in a throw-away directory, not in the
# user's data directory (a test that needs its own database passes database_url)
os.environ.setdefault("CONVLAB_SESSION_DATA_DIR", tempfile.mkdtemp(prefix="convlab-test-sessions-"))

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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole test run (app/sessions/scratch.py), or skip."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL binaries not found (apt-get install postgresql, or set CONVLAB_PG_BIN)"
        )
    server = PostgresServer(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty sessions database: an SQLite file, then a database on the real server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sessions.db'}"
    server = request.getfixturevalue("postgres_server")
    return server.new_database()
