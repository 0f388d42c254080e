"""Browser fixtures: a real uvicorn server in a subprocess and a real Chromium via Playwright.

Chromium: $CONVLAB_CHROMIUM, else Debian's /usr/bin/chromium, else Playwright's own download.
Each `page` records console errors and failed requests; the test fails if there were any.
Screenshots go to test-artifacts/ (`shot(page, name)`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.server import PROJECT_ROOT, serving

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the app with uvicorn on a free loopback port for the whole session (experiment
    results cached in a directory of its own, so a run trains in every session; class sessions
    in a database of its own)."""
    ARTIFACTS.mkdir(exist_ok=True)
    env = {
        "CONVLAB_EXPERIMENT_CACHE_DIR": str(tmp_path_factory.mktemp("experiment-cache")),
        # class sessions in a database of the run's own, not the user's data directory
        "CONVLAB_SESSION_DATA_DIR": str(tmp_path_factory.mktemp("session-data")),
    }
    with serving(env, log=ARTIFACTS / "server.log") as url:
        yield url


def _chromium_path() -> str | None:
    env = os.environ.get("CONVLAB_CHROMIUM")
    if env:
        return env
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as pw:
        path = _chromium_path()
        try:
            chromium = pw.chromium.launch(
                executable_path=path,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
        except playwright_api.Error as exc:
            pytest.skip(f"no Chromium to drive (install Debian's chromium): {exc}")
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, base_url: str) -> Iterator[object]:
    """A fresh 1280×800 page; fails the test on any console error or failed request."""
    yield from _checked_page(browser, viewport={"width": 1280, "height": 800}, base_url=base_url)


@pytest.fixture()
def tablet_page(browser, base_url: str) -> Iterator[object]:
    """A fresh 1024×768 touch page (a classroom tablet), checked like `page`."""
    yield from _checked_page(
        browser, viewport={"width": 1024, "height": 768}, has_touch=True, base_url=base_url
    )


PHONE = {"width": 390, "height": 844}
TABLET_PORTRAIT = {"width": 768, "height": 1024}


@pytest.fixture()
def phone_page(browser, base_url: str) -> Iterator[object]:
    """A fresh 390×844 touch phone page (mobile viewport), checked like `page`."""
    yield from _checked_page(
        browser, viewport=PHONE, has_touch=True, is_mobile=True, base_url=base_url
    )


@pytest.fixture()
def tablet_portrait_page(browser, base_url: str) -> Iterator[object]:
    """A fresh 768×1024 touch page (a tablet held upright), checked like `page`."""
    yield from _checked_page(browser, viewport=TABLET_PORTRAIT, has_touch=True, base_url=base_url)


def site_pages() -> list[str]:
    """Every page of the site: the front page, each lesson of app/api/pages.py LESSONS, and
    /tutorial, the class-session pages and /docs when the app serves them, so pages added later
    are covered too."""
    from fastapi.testclient import TestClient

    from app.api.pages import LESSONS
    from app.main import app

    lessons = [f"/{lesson.slug}" for lesson in LESSONS]
    client = TestClient(app)  # no lifespan: pages render without the models
    extra = [
        path
        for path in ("/tutorial", "/teach", "/join", "/docs")
        if path not in lessons and client.get(path).status_code == 200
    ]
    return ["/", *lessons, *extra]


def settle(pg) -> None:
    """Wait until a page has drawn what its first requests bring (and the MNIST pad a sample)."""
    pg.wait_for_load_state("networkidle")
    sample = pg.locator("#sample-draw")
    if sample.count():
        sample.click()
        pg.wait_for_load_state("networkidle")
        pg.wait_for_timeout(300)


@pytest.fixture(scope="session")
def axe():
    """axe-core (bundled by axe-playwright-python): `axe(page)` lists the serious and critical
    violations of the page as it is now, one readable line per rule and element."""
    axe_module = pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed"
    )
    runner = axe_module.Axe()

    def serious_violations(pg) -> list[str]:
        results = runner.run(pg, options={"resultTypes": ["violations"]})
        found = []
        for violation in results.response["violations"]:
            if violation["impact"] not in ("serious", "critical"):
                continue
            for node in violation["nodes"][:5]:
                found.append(f"{violation['id']} ({violation['impact']}): {node['target']}")
        return found

    return serious_violations


def _checked_page(browser, **context_options) -> Iterator[object]:
    context = browser.new_context(**context_options)
    pg = context.new_page()
    problems: list[str] = []
    pg.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: _record_failed_request(problems, r))
    pg.problems = problems  # tests that provoke an error on purpose may clear this list
    yield pg
    found = list(problems)  # what the page did; requests cut off by closing it are not its fault
    context.close()
    assert not found, "\n".join(found)


def _record_failed_request(problems: list[str], request) -> None:
    # net::ERR_ABORTED is the browser cancelling a request because the page navigated away
    # (a reload test); a server error still shows up as a console error.
    if request.failure != "net::ERR_ABORTED":
        problems.append(f"request failed: {request.url} {request.failure}")


def shot(pg, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
