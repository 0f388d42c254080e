"""The Convolution-as-a-matrix page in a real Chromium: M, its check, rows and shared weights."""

from __future__ import annotations

import json
from urllib.parse import quote

import numpy as np
import pytest

from tests.browser.grids import (
    TUTORIAL_K,
    TUTORIAL_X,
    correlate_valid,
    ignore_http_errors,
    marked_cells,
    wait_for_grid,
)
from tests.helpers.browser import shot

pytestmark = pytest.mark.browser


def toeplitz(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Reference matrix of a valid, stride-1 cross-correlation, built entry by entry."""
    h, w = x.shape
    kh, kw = k.shape
    h_out, w_out = h - kh + 1, w - kw + 1
    m = np.zeros((h_out * w_out, h * w))
    for i in range(h_out):
        for j in range(w_out):
            for a in range(kh):
                for b in range(kw):
                    m[i * w_out + j, (i + a) * w + (j + b)] = k[a, b]
    return m


def read_matrix(page) -> tuple[np.ndarray, np.ndarray]:
    """(values, structural-non-zero mask) of the matrix table."""
    rows = page.eval_on_selector_all(
        "#matrix-view tbody tr",
        "trs => trs.map(tr => [...tr.querySelectorAll('td:not(.eq):not(.y-value)')]"
        ".map(td => td.classList.contains('zero') ? null : td.textContent))",
    )
    values = np.array(
        [[0.0 if t is None else float(t.replace("\u2212", "-")) for t in row] for row in rows]
    )
    mask = np.array([[t is not None for t in row] for row in rows])
    return values, mask


def open_page(page, state: dict | None = None) -> None:
    page.goto("/matrix" + ("#" + quote(json.dumps(state)) if state else ""))
    page.locator("#matrix-check").filter(has_text="Check").wait_for()


def test_matrix_page_shows_the_tutorial_matrix_and_its_check_passes(page):
    open_page(page)
    check = page.locator("#matrix-check")
    assert check.inner_text().startswith("✓ Check passed: M · vec(X) equals the convolution")
    assert check.get_attribute("class") == "check-pass"
    values, mask = read_matrix(page)
    reference = toeplitz(TUTORIAL_X, TUTORIAL_K)
    np.testing.assert_allclose(values, reference)
    expected = correlate_valid(TUTORIAL_X, TUTORIAL_K).ravel()
    np.testing.assert_allclose(values @ TUTORIAL_X.ravel(), expected)
    assert mask.sum(axis=1).tolist() == [4] * 9
    assert page.locator("#fig-shape").inner_text() == "9 × 16 = 144 entries"
    assert page.locator("#fig-per-row").inner_text() == "4 in every row"
    assert (
        page.locator("#fig-sparsity").inner_text()
        == "75.0 % structural zeros (36 entries hold a weight)"
    )
    assert page.locator("#fig-distinct").inner_text() == "4"
    assert page.locator("#fig-dense").inner_text() == "144 parameters"
    shot(page, "matrix-default")


def test_clicking_a_row_highlights_its_window_and_output(page):
    open_page(page)
    page.get_by_role("button", name="row 6: Y₂₃").click()
    page.locator("#row-text").filter(has_text="Y₂₃").wait_for()
    assert marked_cells(page, "#matrix-input", "is-window") == {(1, 2), (1, 3), (2, 2), (2, 3)}
    assert marked_cells(page, "#matrix-output", "is-current") == {(1, 2)}
    row_text = page.locator("#row-text").inner_text()
    assert row_text.startswith("row Y₂₃: 1·3 + (−1)·1 + 0·1 + 1·0 = 2")
    assert page.locator("#matrix-view tr.is-selected").get_attribute("data-row") == "5"
    shot(page, "matrix-row-selected")


def test_arrow_keys_move_the_selected_row_and_reload_keeps_it(page):
    open_page(page)
    page.get_by_role("button", name="row 1: Y₁₁").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.locator("#row-text").filter(has_text="Y₁₃").wait_for()
    assert marked_cells(page, "#matrix-input", "is-window") == {(0, 2), (0, 3), (1, 2), (1, 3)}
    page.reload()
    page.locator("#row-text").filter(has_text="Y₁₃").wait_for()
    assert marked_cells(page, "#matrix-output", "is-current") == {(0, 2)}


def test_clicking_a_kernel_weight_outlines_every_entry_that_reuses_it(page):
    open_page(page)
    page.locator('#matrix-kernel .cell[data-row="0"][data-col="1"]').click()
    outlined = page.eval_on_selector_all(
        "#matrix-view td.is-weight",
        "tds => tds.map(td => [Number(td.parentElement.dataset.row), td.cellIndex - 1])",
    )
    reference = np.zeros((9, 16))
    for i in range(3):
        for j in range(3):
            reference[i * 3 + j, i * 4 + j + 1] = 1  # K₁₂ sits one column right of the window
    assert {tuple(rc) for rc in outlined} == {tuple(map(int, rc)) for rc in np.argwhere(reference)}
    shot(page, "matrix-weight-shared")


def test_following_the_nav_link_from_the_convolution_page_keeps_x_and_k(page):
    page.goto("/convolution")
    wait_for_grid(page, "#output-grid", correlate_valid(TUTORIAL_X, TUTORIAL_K))
    page.locator('#kernel-grid input[data-row="1"][data-col="1"]').fill("4")
    kernel = TUTORIAL_K.copy()
    kernel[1, 1] = 4
    wait_for_grid(page, "#output-grid", correlate_valid(TUTORIAL_X, kernel))
    nav = page.get_by_role("navigation", name="Lessons")
    nav.get_by_role("link", name="Convolution as a matrix").click()
    page.wait_for_url("**/matrix**")
    page.locator("#matrix-check").filter(has_text="Check passed").wait_for()
    expected = correlate_valid(TUTORIAL_X, kernel)
    np.testing.assert_allclose(wait_for_grid(page, "#matrix-output", expected), expected)
    np.testing.assert_allclose(read_matrix(page)[0], toeplitz(TUTORIAL_X, kernel))


def test_a_large_convolution_is_drawn_as_a_picture_and_still_checks(page):
    x = (np.arange(100).reshape(10, 10) % 7 - 3).astype(float)
    k = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
    state = {
        "x": x.tolist(),
        "k": k.tolist(),
        "stride": 1,
        "padding": 0,
        "mode": "zeros",
        "dilation": 1,
        "flip": False,
        "row": 0,
    }
    open_page(page, state)
    assert page.locator("#matrix-check").get_attribute("class") == "check-pass"
    assert page.locator("#matrix-view canvas.heatmap").count() == 1
    assert page.locator("#fig-shape").inner_text() == "64 × 100 = 6,400 entries"
    np.testing.assert_allclose(
        wait_for_grid(page, "#matrix-output", correlate_valid(x, k)), correlate_valid(x, k)
    )
    shot(page, "matrix-large")


def test_a_matrix_over_the_limit_is_refused_with_a_readable_message(page):
    state = {
        "x": np.ones((16, 16)).tolist(),
        "k": [[1.0]],
        "stride": 1,
        "padding": 64,
        "mode": "zeros",
        "dilation": 1,
        "flip": False,
        "row": 0,
    }
    page.goto("/matrix#" + quote(json.dumps(state)))
    error = page.locator("#matrix-error")
    error.filter(has_text="limit").wait_for()
    assert "over the limit of 1,000,000" in error.inner_text()
    assert "Change it on the Convolution page" in error.inner_text()
    ignore_http_errors(page)


def test_the_matrix_page_fits_1024x768(browser, base_url):
    context = browser.new_context(
        viewport={"width": 1024, "height": 768}, has_touch=True, base_url=base_url
    )
    pg = context.new_page()
    pg.goto("/matrix")
    pg.locator("#matrix-check").filter(has_text="Check passed").wait_for()
    pg.get_by_role("button", name="row 5: Y₂₂").tap()
    pg.locator("#row-text").filter(has_text="Y₂₂").wait_for()
    assert pg.evaluate("document.documentElement.scrollWidth") <= 1024
    shot(pg, "matrix-1024-touch")
    context.close()


# -- channels: M as a grid of blocks; Mᵀ, the backward pass ------------------------------------

# the Convolution page's default layer: 3 planes, 2 filters
CH_STATE = {"view": "channels", "row": 0}
CH_X = np.array(
    [
        TUTORIAL_X,
        [[0, 1, 1, 0], [1, 2, 2, 1], [1, 2, 2, 1], [0, 1, 1, 0]],
        [[2, 1, 0, 0], [1, 2, 1, 0], [0, 1, 2, 1], [0, 0, 1, 2]],
    ]
)
CH_K = np.zeros((2, 3, 2, 2))
CH_K[0, 0] = TUTORIAL_K
CH_K[1] = 1.0


def layer_matrix(k: np.ndarray, h: int, w: int) -> np.ndarray:
    """M of a valid, stride-1 layer: block (o, c) is the single-channel matrix of K[o, c]."""
    cout, cin = k.shape[:2]
    return np.block(
        [[toeplitz(np.zeros((h, w)), k[o, c]) for c in range(cin)] for o in range(cout)]
    )


def test_channels_make_m_a_labelled_grid_of_blocks(page):
    open_page(page, CH_STATE)
    assert page.locator("#matrix-check").get_attribute("class") == "check-pass"
    values, mask = read_matrix(page)
    np.testing.assert_allclose(values, layer_matrix(CH_K, 4, 4))
    assert values.shape == (18, 48)
    assert mask.sum() == 2 * 3 * 9 * 4  # every block places its 4 weights in each of its 9 rows
    blocks = page.locator("#matrix-blocks td").all_inner_texts()
    assert blocks == ["K[1,R]", "K[1,G]", "K[1,B]", "K[2,R]", "K[2,G]", "K[2,B]"]
    heads = page.locator('#matrix-view th[scope="colgroup"]').all_inner_texts()
    assert heads == ["X[R]", "X[G]", "X[B]"]
    assert page.locator("#fig-shape").inner_text() == "18 × 48 = 864 entries"
    assert page.locator("#fig-distinct").inner_text() == "24"
    page.get_by_role("button", name="row 10: Y[2]₁₁").click()
    row = page.locator("#row-text")
    row.filter(has_text="Y[2]₁₁").wait_for()
    assert row.inner_text().endswith(" + (−4) (bias) = 10  —  12 of 48 entries hold a weight")
    for c in range(3):
        assert marked_cells(page, f"#matrix-input figure:nth-child({c + 1})", "is-window") == {
            (0, 0),
            (0, 1),
            (1, 0),
            (1, 1),
        }
    shot(page, "matrix-channels")


def test_the_switch_shows_m_transposed_and_checks_it_against_the_backward_pass(page):
    open_page(page)
    page.get_by_role("button", name="Mᵀ: backward").click()
    check = page.locator("#matrix-check")
    check.filter(has_text="Mᵀ · vec(G)").wait_for()
    assert check.get_attribute("class") == "check-pass"
    assert check.inner_text().startswith(
        "✓ Check passed: Mᵀ · vec(G) equals ∂L/∂X from the backward pass"
    )
    values, _ = read_matrix(page)
    np.testing.assert_allclose(values, toeplitz(TUTORIAL_X, TUTORIAL_K).T)
    torch = pytest.importorskip("torch")
    xt = torch.tensor(TUTORIAL_X[None, None], requires_grad=True)
    torch.nn.functional.conv2d(xt, torch.tensor(TUTORIAL_K[None, None])).sum().backward()
    shown = page.eval_on_selector_all(
        "#matrix-view td.y-value", "tds => tds.map(td => Number(td.title.split(' = ')[1]))"
    )
    np.testing.assert_allclose(shown, xt.grad[0, 0].numpy().ravel())
    assert page.locator("#fig-shape").inner_text() == "16 × 9 = 144 entries"
    page.reload()
    check.filter(has_text="Mᵀ · vec(G)").wait_for()
    assert page.get_by_role("button", name="Mᵀ: backward").get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="row 6: ∂L/∂X₂₂").click()
    page.locator("#row-text").filter(has_text="∂L/∂X₂₂").wait_for()
    assert marked_cells(page, "#matrix-output", "is-influenced") == {(0, 0), (0, 1), (1, 0), (1, 1)}
    shot(page, "matrix-transpose")


def test_the_channel_blocks_and_m_transposed_have_no_serious_accessibility_violations(page, axe):
    open_page(page, {**CH_STATE, "mt": True})
    page.locator("#matrix-check").filter(has_text="Mᵀ · vec(G)").wait_for()
    assert axe(page) == []


def test_with_channels_m_transposed_is_the_block_matrix_transposed_and_gives_torchs_gradient(
    page,
):
    open_page(page, {**CH_STATE, "mt": True})
    check = page.locator("#matrix-check")
    check.filter(has_text="Mᵀ · vec(G)").wait_for()
    assert check.get_attribute("class") == "check-pass"
    values, mask = read_matrix(page)
    reference = layer_matrix(CH_K, 4, 4).T  # np.block of per-channel Toeplitz blocks, transposed
    assert values.shape == (48, 18)
    np.testing.assert_allclose(values, reference)
    assert mask.sum() == 2 * 3 * 9 * 4
    torch = pytest.importorskip("torch")
    xt = torch.tensor(CH_X[None], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.conv2d(xt, torch.tensor(CH_K)).sum().backward()  # G = ∂L/∂Y = ones
    expected = xt.grad[0].numpy().ravel()  # (3·4·4,)
    np.testing.assert_allclose(values @ np.ones(18), expected)
    shown = page.eval_on_selector_all(
        "#matrix-view td.y-value", "tds => tds.map(td => Number(td.title.split(' = ')[1]))"
    )
    np.testing.assert_allclose(shown, expected)
