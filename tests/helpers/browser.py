"""What the browser tests share besides fixtures: a checked page (console errors and failed
requests fail the test), screenshots under test-artifacts/, the list of the site's pages, and
waiting for a page to settle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tests.deploy.server import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

PHONE = {"width": 390, "height": 844}
TABLET_PORTRAIT = {"width": 768, "height": 1024}


def checked_page(browser, **context_options) -> Iterator[object]:
    """A fresh page in a context of its own; fails the test on any console error, page error or
    failed request (tests that provoke an error on purpose may clear `page.problems`)."""
    context = browser.new_context(**context_options)
    pg = context.new_page()
    problems: list[str] = []
    pg.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: _record_failed_request(problems, r))
    pg.problems = problems
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
        # "networkidle" was reached at load, so it does not wait for the sample's answer: wait
        # for the reading it brings (the pad's answer sets #prediction's data-label)
        pg.locator("#prediction[data-label]").wait_for(state="attached")
        pg.wait_for_load_state("networkidle")
        pg.wait_for_timeout(300)
