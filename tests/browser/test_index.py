"""The index page and the lesson pages of the first half load cleanly in a real Chromium."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

LESSONS = [
    ("/convolution", "Convolution"),
    ("/matrix", "Convolution as a matrix"),
    ("/equivariance", "Equivariance & pooling"),
    ("/receptive-fields", "Receptive fields"),
    ("/mnist", "MNIST CNN"),
    ("/parameters", "Parameters & regularization"),
]


def test_index_page_loads_without_errors(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "ConvLab"
    shot(page, "index")


def test_index_links_the_lessons_in_the_tutorials_order(page):
    page.goto("/")
    cards = page.locator(".lesson-cards a")
    assert [cards.nth(i).get_attribute("href") for i in range(cards.count())] == [
        href for href, _ in LESSONS
    ]
    titles = page.locator(".lesson-cards .title")
    assert [titles.nth(i).inner_text() for i in range(titles.count())] == [t for _, t in LESSONS]
    for i in range(cards.count()):  # every card says what the lesson shows
        assert len(cards.nth(i).locator(".summary").inner_text()) > 40
    page.set_viewport_size({"width": 1024, "height": 768})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    shot(page, "index-1024")


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("/convolution", "#output-grid .cell"),
        ("/matrix", "#matrix-check.check-pass"),
        ("/equivariance", "#pool-after-grid .cell.is-kept"),
    ],
)
def test_lesson_page_loads_with_no_console_error_or_failed_request(page, path, ready):
    page.goto(path)
    page.locator(ready).first.wait_for()
    current = page.locator('.site-header nav a[aria-current="page"]')
    assert current.get_attribute("href") == path
    intro = page.locator(".page-intro .lede").inner_text()
    assert intro.count(". ") + intro.count("; ") >= 1 and len(intro) > 150
    # no inline scripts or handlers: the CSP allows only module scripts from /static
    assert page.evaluate(
        "[...document.scripts].every(s => s.src.includes('/static/') && s.type === 'module')"
    )
    assert page.evaluate("document.querySelectorAll('[onclick],[oninput],[onload]').length") == 0


def test_the_skip_link_and_focus_are_visible_from_the_keyboard(page):
    page.goto("/convolution")
    page.locator("#output-grid .cell").first.wait_for()
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.bounding_box()["x"] >= 0  # moved on screen when focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
