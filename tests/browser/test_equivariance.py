"""The Equivariance & pooling page in a real Chromium: shifts, the difference map, pooling."""

from __future__ import annotations

import json
from urllib.parse import quote

import numpy as np
import pytest

from tests.browser.grids import correlate_valid, marked_cells, poll, read_grid, wait_for_grid
from tests.helpers.browser import shot

pytestmark = pytest.mark.browser

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)


def bar_image() -> np.ndarray:
    """The default "Vertical bar" preset: column 4, rows 2 to 9 of a 12×12 image."""
    image = np.zeros((12, 12))
    image[2:10, 4] = 1
    return image


def shift(x: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Reference translation with zero fill: out[i, j] = x[i − dy, j − dx]."""
    out = np.zeros_like(x)
    h, w = x.shape
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[i, j] = x[i - dy, j - dx]
    return out


def pool2(x: np.ndarray, mode: str = "max") -> np.ndarray:
    """Reference 2×2 stride-2 pooling (floor)."""
    h, w = x.shape[0] // 2, x.shape[1] // 2
    blocks = x[: 2 * h, : 2 * w].reshape(h, 2, w, 2)
    return blocks.max(axis=(1, 3)) if mode == "max" else blocks.mean(axis=(1, 3))


def open_page(page, state: dict | None = None) -> None:
    page.goto("/equivariance" + ("#" + quote(json.dumps(state)) if state else ""))
    page.locator("#pool-figures").filter(has_text="pooled values").wait_for()


def state_of(image: np.ndarray, dx: int = 0, dy: int = 0, pool: str = "max") -> dict:
    return {"image": image.tolist(), "kernel": SOBEL_X.tolist(), "dx": dx, "dy": dy, "pool": pool}


def test_equivariance_page_shows_the_feature_map_of_the_default_image(page):
    open_page(page)
    expected = correlate_valid(bar_image(), SOBEL_X)
    np.testing.assert_allclose(wait_for_grid(page, "#conv-grid", expected), expected)
    np.testing.assert_allclose(read_grid(page, "#difference-grid"), np.zeros((10, 10)))
    assert page.locator("#shift-readout").inner_text() == "dx = 0, dy = 0 (not shifted)"
    shot(page, "equivariance-default")


def test_a_shift_moves_the_feature_map_by_one_column(page):
    open_page(page)
    before = read_grid(page, "#conv-shifted-grid")
    page.get_by_role("button", name="Shift right one pixel").click()
    expected = correlate_valid(shift(bar_image(), 1, 0), SOBEL_X)
    after = wait_for_grid(page, "#conv-shifted-grid", expected)
    np.testing.assert_allclose(after, expected)
    np.testing.assert_allclose(after[:, 1:], before[:, :-1])  # moved one column right
    assert np.abs(after - before).max() > 0
    np.testing.assert_allclose(read_grid(page, "#difference-grid"), np.zeros((10, 10)))
    assert page.locator("#shift-readout").inner_text() == "dx = 1, dy = 0 (1 right)"
    shot(page, "equivariance-shift-right")


def test_arrow_keys_shift_the_image_when_no_grid_has_focus(page):
    open_page(page)
    page.locator("h1").click()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowLeft")
    page.locator("#shift-readout").filter(has_text="dx = -1, dy = 1").wait_for()
    expected = shift(bar_image(), -1, 1)
    np.testing.assert_allclose(wait_for_grid(page, "#shifted-grid", expected), expected)


def test_the_difference_is_zero_away_from_the_borders_only(page):
    image = np.zeros((12, 12))
    # a bar in column 1: after a shift right, conv(shift(x)) sees it in its first column,
    # where shift(conv(x)) can only hold the zeros the shift pulled in
    image[3:9, 1] = 1
    open_page(page, state_of(image, dx=1))
    conv_shifted = correlate_valid(shift(image, 1, 0), SOBEL_X)
    shifted_conv = shift(correlate_valid(image, SOBEL_X), 1, 0)
    expected = conv_shifted - shifted_conv
    difference = wait_for_grid(page, "#difference-grid", expected)
    np.testing.assert_allclose(difference, expected)
    border = marked_cells(page, "#difference-grid", "is-outside")
    nonzero = {tuple(map(int, rc)) for rc in np.argwhere(np.abs(expected) > 0)}
    assert nonzero, "the example must show a border effect"
    assert nonzero <= border  # every difference sits in a faded border cell
    figures = page.locator("#equivariance-figures").inner_text()
    assert "max |difference| = 0." in figures
    assert "the border cells differ" in figures
    shot(page, "equivariance-border")


def test_pooling_keeps_values_inside_a_window_and_changes_across_a_border(page):
    open_page(page)
    conv = correlate_valid(bar_image(), SOBEL_X)
    for step in (1, 2):
        page.get_by_role("button", name="Shift right one pixel").click()
        moved = correlate_valid(shift(bar_image(), step, 0), SOBEL_X)
        expected_after = pool2(moved)
        wait_for_grid(page, "#pool-after-grid", expected_after)
        kept = {tuple(map(int, rc)) for rc in np.argwhere(np.isclose(expected_after, pool2(conv)))}
        assert marked_cells(page, "#pool-after-grid", "is-kept") == kept
        changed = {(i, j) for i in range(5) for j in range(5)} - kept
        assert marked_cells(page, "#pool-after-grid", "is-changed") == changed
        if step == 1:
            assert not changed  # one pixel: every maximum stays inside its 2×2 window
            shot(page, "equivariance-pool-kept")
    assert changed  # two pixels: the edge crosses a window border
    assert (
        f"{25 - len(changed)} of 25 pooled values kept"
        in page.locator("#pool-figures").inner_text()
    )
    # every non-zero maximum of pool(conv(x)) is marked where it came from
    winners = marked_cells(page, "#conv-grid", "is-marked")
    assert winners and all(conv[r, c] == pool2(conv)[r // 2, c // 2] for r, c in winners)
    shot(page, "equivariance-pool-changed")


def test_average_pooling_shows_the_window_means(page):
    open_page(page)
    page.get_by_role("button", name="2 × 2 average").click()
    expected = pool2(correlate_valid(bar_image(), SOBEL_X), "avg")
    np.testing.assert_allclose(wait_for_grid(page, "#pool-before-grid", expected), expected)
    assert page.locator("#conv-grid .cell.is-marked").count() == 0
    assert page.get_by_role("button", name="2 × 2 average").get_attribute("aria-pressed") == "true"


def test_drawing_a_pixel_updates_the_feature_map(page):
    open_page(page)
    pixel = page.locator('#image-grid .cell[data-row="6"][data-col="8"]')
    pixel.click()
    image = bar_image()
    image[6, 8] = 1
    expected = correlate_valid(image, SOBEL_X)
    np.testing.assert_allclose(wait_for_grid(page, "#conv-grid", expected), expected)
    # a drag paints every cell it crosses
    start = page.locator('#image-grid .cell[data-row="10"][data-col="1"]').bounding_box()
    end = page.locator('#image-grid .cell[data-row="10"][data-col="6"]').bounding_box()
    page.mouse.move(start["x"] + 5, start["y"] + 5)
    page.mouse.down()
    page.mouse.move(end["x"] + 5, end["y"] + 5, steps=12)
    page.mouse.up()
    image[10, 1:7] = 1
    expected = correlate_valid(image, SOBEL_X)
    np.testing.assert_allclose(wait_for_grid(page, "#conv-grid", expected), expected)
    shot(page, "equivariance-drawn")


def test_the_keyboard_toggles_a_pixel(page):
    open_page(page)
    page.locator('#image-grid .cell[data-row="0"][data-col="0"]').focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    image = bar_image()
    image[0, 1] = 1
    expected = correlate_valid(image, SOBEL_X)
    np.testing.assert_allclose(wait_for_grid(page, "#conv-grid", expected), expected)


def test_reload_restores_image_kernel_shift_and_pooling(page):
    open_page(page)
    page.get_by_role("button", name="Digit 7").click()
    page.get_by_role("button", name="Sobel y").click()
    page.get_by_role("button", name="Shift up one pixel").click()
    page.get_by_role("button", name="2 × 2 average").click()
    page.locator("#shift-readout").filter(has_text="dy = -1").wait_for()
    poll(page, "() => location.hash.includes('avg')")
    page.reload()
    page.locator("#pool-figures").filter(has_text="pooled values").wait_for()
    assert page.locator("#shift-readout").inner_text() == "dx = 0, dy = -1 (1 up)"
    assert page.get_by_role("button", name="2 × 2 average").get_attribute("aria-pressed") == "true"
    shown = read_grid(page, "#image-grid")
    assert shown[2, 3:9].tolist() == [1.0] * 6  # the 7's top bar
    sobel_y = SOBEL_X.T
    expected = pool2(correlate_valid(shift(shown, 0, -1), sobel_y), "avg")
    np.testing.assert_allclose(wait_for_grid(page, "#pool-after-grid", expected), expected)


def test_a_kernel_cell_that_is_not_a_number_is_named_under_the_kernel(page):
    open_page(page)
    page.locator('#eq-kernel-grid input[data-row="1"][data-col="1"]').fill("x")
    assert page.locator("#eq-kernel-error").inner_text() == 'K₂₂: "x" is not a number'


def test_the_page_works_on_a_1024x768_touch_screen(browser, base_url):
    context = browser.new_context(
        viewport={"width": 1024, "height": 768}, has_touch=True, base_url=base_url
    )
    pg = context.new_page()
    pg.goto("/equivariance")
    pg.locator("#pool-figures").filter(has_text="pooled values").wait_for()
    pg.get_by_role("button", name="Shift right one pixel").tap()
    expected = correlate_valid(shift(bar_image(), 1, 0), SOBEL_X)
    np.testing.assert_allclose(wait_for_grid(pg, "#conv-shifted-grid", expected), expected)
    assert pg.evaluate("document.documentElement.scrollWidth") <= 1024
    shot(pg, "equivariance-1024-touch")
    context.close()
