"""The index page and the lesson pages of the first half load cleanly in a real Chromium."""

from __future__ import annotations

import pytest

from tests.helpers.browser import shot

pytestmark = pytest.mark.browser

LESSONS = [
    ("/convolution", "Convolution"),
    ("/matrix", "Convolution as a matrix"),
    ("/backward", "Backward and transposed"),
    ("/equivariance", "Equivariance & pooling"),
    ("/aliasing", "Shift-invariance & aliasing"),
    ("/receptive-fields", "Receptive fields"),
    ("/mnist", "MNIST CNN"),
    ("/parameters", "Parameters & regularization"),
    ("/experiments", "Experiments: CNN vs dense"),
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
        ("/backward", "#bw-dk .cell"),
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


def test_shared_widgets_behave_as_documented(page):
    """The modules the lesson pages share, exercised in the browser that runs them."""
    page.goto("/")
    result = page.evaluate(
        """async () => {
            const { Heatmap } = await import("/static/js/widgets/heatmap.js");
            const colors = await import("/static/js/colors.js");
            const format = await import("/static/js/format.js");
            const box = document.createElement("div");
            document.body.appendChild(box);
            const map = new Heatmap(box, { rows: 2, cols: 3, scale: "diverging", label: "t" });
            const domain = map.draw([[-2, 0, 1], [0, 2, 0]]);
            const pixel = [...map.context.getImageData(0, 0, 1, 1).data];
            let wrongSize = "";
            try { map.draw([[1, 2], [3, 4]]); } catch (e) { wrongSize = e.message; }
            return {
                canvas: [map.canvas.width, map.canvas.height],
                rendering: getComputedStyle(map.canvas).imageRendering,
                domain, pixel, wrongSize,
                zero: colors.diverging(0, 5),
                ends: [colors.diverging(-5, 5), colors.diverging(5, 5)],
                pasted: format.parseMatrix("1, 2\\n3 -4"),
                ragged: format.parseMatrix("1 2\\n3"),
                cell: format.formatCell(-1 / 3),
            };
        }"""
    )
    assert result["canvas"] == [3, 2]  # one canvas pixel per value
    assert result["rendering"] == "pixelated"
    assert result["domain"] == [-2, 2]  # diverging: symmetric around zero
    assert result["pixel"] == [5, 48, 97, 255]  # −2 at −max: the darkest blue of RdBu
    assert result["wrongSize"] == 'Heatmap "t" expects 2×3 values, got 2×2'
    assert result["zero"] == [247, 247, 247]
    assert result["ends"] == [[5, 48, 97], [103, 0, 31]]
    assert result["pasted"] == {"matrix": [[1, 2], [3, -4]]}
    assert result["ragged"] == {"error": "row 2 has 1 value, row 1 has 2"}
    assert result["cell"] == "\u22120.33"


def test_huge_numbers_are_written_in_scientific_form_with_a_minus(page):
    page.goto("/")
    result = page.evaluate(
        """async () => {
            const f = await import("/static/js/format.js");
            return [f.formatCell(1e308), f.formatCell(-2.5e12), f.formatCell(1.5e6),
                    f.formatNumber(1e308), f.formatNumber(-1.234567e20), f.formatNumber(-3),
                    f.formatNumber(Infinity), f.formatNumber(NaN)];
        }"""
    )
    assert result == ["1e308", "−2.5e12", "1.5M", "1×10³⁰⁸", "−1.235×10²⁰", "−3", "∞", "NaN"]
