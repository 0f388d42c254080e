"""The index page loads in a real Chromium with no console error."""

from tests.browser.conftest import shot


def test_index_page_loads_without_errors(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "ConvLab"
    shot(page, "index")
