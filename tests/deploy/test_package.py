"""``pip install .`` gives a package that serves every page and asset from any directory:
templates/ and static/ travel inside the wheel (setup.py maps them to app/templates, app/static).

The wheel is built from this checkout (no build isolation: no download), unpacked into a
temporary directory — exactly what pip installs — and served from another directory with only
that copy of ``app`` importable.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.api.pages import LESSONS
from tests.deploy.server import PROJECT_ROOT, serving

pytestmark = pytest.mark.slow


def _assets() -> list[str]:
    return sorted(
        str(path.relative_to(PROJECT_ROOT / "static"))
        for path in (PROJECT_ROOT / "static").rglob("*")
        if path.is_file()
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(PROJECT_ROOT), "--no-deps",
         "--no-build-isolation", "--quiet", "-w", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("convlab-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    zipfile.ZipFile(wheel).extractall(target)
    return target


def test_the_wheel_holds_every_template_static_file_and_the_weights(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(p.name for p in (PROJECT_ROOT / "templates").glob("*.html"))
    assert {f"app/templates/{name}" for name in templates} <= names
    assert {f"app/static/{asset}" for asset in _assets()} <= names
    assert {"app/mnist/weights/cnn.pt", "app/mnist/weights/fc.pt"} <= names


def test_the_wheel_holds_the_docs_response_examples(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    assert {"app/api/examples.json", "app/api/request_examples.json"} <= set(names)


def test_the_wheel_holds_the_experiments_mnist_subset_and_reference_sweep(wheel: Path):
    from app.experiments.data import SUBSET_FILES

    names = set(zipfile.ZipFile(wheel).namelist())
    subset = {f"app/experiments/mnist_subset/{name}" for name in SUBSET_FILES.values()}
    assert subset <= names
    assert all(name.endswith(".gz") for name in subset)
    assert "app/experiments/reference.json" in names


def test_the_wheel_holds_the_sessions_database_migrations(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = PROJECT_ROOT / "app" / "sessions" / "migrations" / "versions"
    migrations = {f"app/sessions/migrations/versions/{p.name}" for p in versions.glob("*.py")}
    assert {"app/sessions/migrations/env.py", "app/sessions/migrations/script.py.mako"} <= names
    assert migrations and migrations <= names


@pytest.fixture(scope="module")
def served(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # not the project: nothing found by cwd
    with serving(cwd=elsewhere, pythonpath=installed, log=elsewhere / "server.log") as url:
        yield url


def test_the_installed_package_is_the_one_serving(installed: Path):
    where = subprocess.run(
        [sys.executable, "-c", "import app, app.config as c; print(app.__file__); "
         "print(c.Settings().static_dir)"],
        cwd=installed.parent, env={"PYTHONPATH": str(installed)}, capture_output=True,
        text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert where == [str(installed / "app" / "__init__.py"), str(installed / "app" / "static")]


@pytest.mark.parametrize("path", ["/", *(f"/{lesson.slug}" for lesson in LESSONS), "/docs"])
def test_the_installed_package_serves_every_page(served: str, path: str):
    response = httpx.get(served + path, timeout=30)
    assert response.status_code == 200
    assert "<html" in response.text


def test_the_installed_package_serves_every_static_asset(served: str):
    failed = []
    for asset in _assets():
        response = httpx.get(f"{served}/static/{asset}", timeout=30)
        if (
            response.status_code != 200
            or response.content != (PROJECT_ROOT / "static" / asset).read_bytes()
        ):
            failed.append((asset, response.status_code))
    assert failed == []
