"""Browser fixtures: a real uvicorn server in a subprocess and a real Chromium via Playwright.

Chromium: $CONVLAB_CHROMIUM, else Debian's /usr/bin/chromium, else Playwright's own download.
Each `page` records console errors and failed requests; the test fails if there were any.
Screenshots, the site's pages and `settle` live in tests/helpers/browser.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

import pytest

from tests.deploy.server import serving
from tests.helpers.browser import ARTIFACTS, PHONE, TABLET_PORTRAIT, checked_page

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
PlaywrightTimeoutError = playwright_api.TimeoutError

SETTLED = """() => [...document.querySelectorAll("section.your-turn")]
    .every((b) => (b.dataset.seed || b.dataset.unavailable) && !b.classList.contains("stale"))"""
"""True once every Your-turn block of the page has loaded (or stood aside) and is not faded."""


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
    yield from checked_page(browser, viewport={"width": 1280, "height": 800}, base_url=base_url)


@pytest.fixture()
def tablet_page(browser, base_url: str) -> Iterator[object]:
    """A fresh 1024×768 touch page (a classroom tablet), checked like `page`."""
    yield from checked_page(
        browser, viewport={"width": 1024, "height": 768}, has_touch=True, base_url=base_url
    )


@pytest.fixture()
def phone_page(browser, base_url: str) -> Iterator[object]:
    """A fresh 390×844 touch phone page (mobile viewport), checked like `page`."""
    yield from checked_page(
        browser, viewport=PHONE, has_touch=True, is_mobile=True, base_url=base_url
    )


@pytest.fixture()
def tablet_portrait_page(browser, base_url: str) -> Iterator[object]:
    """A fresh 768×1024 touch page (a tablet held upright), checked like `page`."""
    yield from checked_page(browser, viewport=TABLET_PORTRAIT, has_touch=True, base_url=base_url)


@pytest.fixture(scope="session")
def axe():
    """axe-core (bundled by axe-playwright-python): `axe(page)` lists the serious and critical
    violations of the page as it is now, one readable line per rule and element."""
    axe_module = pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed"
    )
    runner = axe_module.Axe()

    def serious_violations(pg) -> list[str]:
        # a block still loading is drawn faded (.stale, opacity < 1), which axe reads as low
        # contrast: check the page once its Your-turn blocks have loaded (up to 15 s, then as is)
        with contextlib.suppress(PlaywrightTimeoutError):
            pg.wait_for_function(SETTLED, timeout=15_000)
        results = runner.run(pg, options={"resultTypes": ["violations"]})
        found = []
        for violation in results.response["violations"]:
            if violation["impact"] not in ("serious", "critical"):
                continue
            for node in violation["nodes"][:5]:
                found.append(f"{violation['id']} ({violation['impact']}): {node['target']}")
        return found

    return serious_violations
