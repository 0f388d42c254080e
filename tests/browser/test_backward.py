"""The "Backward and transposed" lesson in a real Chromium: ∂L/∂X and ∂L/∂K against torch autograd,
the full-convolution view, the transposed convolution against torch, the 1-D convolution, state."""

from __future__ import annotations

import json
from urllib.parse import quote

import numpy as np
import pytest

from tests.browser.grids import (
    TUTORIAL_K,
    TUTORIAL_X,
    correlate_valid,
    marked_cells,
    read_editor,
    read_grid,
    wait_for_grid,
)
from tests.helpers.browser import shot

pytestmark = pytest.mark.browser
torch = pytest.importorskip("torch")


def torch_grads(
    x: np.ndarray, k: np.ndarray, g: np.ndarray | None = None, stride: int = 1, padding: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y, ∂L/∂X and ∂L/∂K from torch autograd with L = Σ G ⊙ Y (G = ones when not given)."""
    xt = torch.tensor(x[None, None], requires_grad=True)
    kt = torch.tensor(k[None, None], requires_grad=True)
    y = torch.nn.functional.conv2d(xt, kt, stride=stride, padding=padding)
    gt = torch.ones_like(y) if g is None else torch.tensor(g[None, None])
    y.backward(gt)
    return y[0, 0].detach().numpy(), xt.grad[0, 0].numpy(), kt.grad[0, 0].numpy()


def torch_transposed(x: np.ndarray, k: np.ndarray, stride: int, padding: int = 0) -> np.ndarray:
    out = torch.nn.functional.conv_transpose2d(
        torch.tensor(x[None, None]), torch.tensor(k[None, None]), stride=stride, padding=padding
    )
    return out[0, 0].numpy()


def open_page(page, state: dict | None = None) -> None:
    page.goto("/backward" + ("#" + quote(json.dumps(state)) if state else ""))
    # the grids hold one blank placeholder cell until the first answer: wait for a value
    page.locator("#bw-dk .cell[title]").first.wait_for()


def test_the_gradients_of_the_tutorial_convolution_match_torch_autograd(page):
    open_page(page)
    y, dx, dk = torch_grads(TUTORIAL_X, TUTORIAL_K)
    np.testing.assert_allclose(wait_for_grid(page, "#bw-dx", dx), dx)
    np.testing.assert_allclose(read_grid(page, "#bw-y"), y)
    np.testing.assert_allclose(read_grid(page, "#bw-dk"), dk)
    np.testing.assert_allclose(read_editor(page, "#bw-g-editor"), np.ones((3, 3)))
    # with G all ones, ∂L/∂K is the sum of each window position over the input: 12, 11, 12, 12
    np.testing.assert_allclose(dk, [[12, 11], [12, 12]])
    shot(page, "backward-default")


def test_hovering_a_cell_of_grad_x_lists_the_outputs_and_weights_that_reach_it(page):
    open_page(page)
    page.locator('#bw-dx .cell[data-row="1"][data-col="1"]').hover()
    explain = page.locator("#bw-explain")
    explain.filter(has_text="∂L/∂X₂₂").wait_for()
    first, second = explain.inner_text().split("\n")
    # output (i, j) reads X₂₂ through K at window position (2 − i, 2 − j)
    assert first == "∂L/∂X₂₂ = G₁₁·K₂₂ + G₁₂·K₂₁ + G₂₁·K₁₂ + G₂₂·K₁₁"
    assert second.strip() == "= 1·1 + 1·0 + 1·(−1) + 1·1 = 1   (4 outputs read X₂₂)"
    assert torch_grads(TUTORIAL_X, TUTORIAL_K)[1][1, 1] == 1
    assert marked_cells(page, "#bw-g-editor", "is-influenced") == {(0, 0), (0, 1), (1, 0), (1, 1)}
    shot(page, "backward-hover-dx")


def test_hovering_a_cell_of_grad_k_sums_g_times_x_over_every_output(page):
    open_page(page)
    page.locator('#bw-dk .cell[data-row="0"][data-col="1"]').hover()
    explain = page.locator("#bw-explain")
    explain.filter(has_text="∂L/∂K₁₂").wait_for()
    first, second = explain.inner_text().split("\n")
    names = [
        f"G{'₁₂₃'[i]}{'₁₂₃'[j]}·X{'₁₂₃₄'[i]}{'₁₂₃₄'[j + 1]}" for i in range(3) for j in range(3)
    ]
    assert first == "∂L/∂K₁₂ = " + " + ".join(names)
    window = TUTORIAL_X[0:3, 1:4].ravel()
    products = " + ".join(f"1·{v:g}" for v in window)
    assert second.strip() == f"= {products} = 11   (K₁₂ is used by all 9 outputs)"
    assert torch_grads(TUTORIAL_X, TUTORIAL_K)[2][0, 1] == 11
    assert marked_cells(page, "#bw-x-editor", "is-window") == {
        (i, j) for i in range(3) for j in range(1, 4)
    }


def test_a_one_hot_gradient_sends_back_exactly_the_kernel(page):
    open_page(page)
    page.get_by_role("button", name="only G₁₁ = 1").click()
    g = np.zeros((3, 3))
    g[0, 0] = 1
    _, dx, dk = torch_grads(TUTORIAL_X, TUTORIAL_K, g)
    np.testing.assert_allclose(wait_for_grid(page, "#bw-dx", dx), dx)
    np.testing.assert_allclose(dx[:2, :2], TUTORIAL_K)  # G₁₁ touches X₁₁…X₂₂ with K's weights
    np.testing.assert_allclose(read_grid(page, "#bw-dk"), dk)
    np.testing.assert_allclose(dk, TUTORIAL_X[:2, :2])
    page.locator('#bw-g-editor input.cell[data-row="0"][data-col="0"]').focus()
    explain = page.locator("#bw-explain")
    explain.filter(has_text="touches").wait_for()
    assert explain.inner_text().startswith("G₁₁ = 1 touches 4 entries of ∂L/∂X")
    assert marked_cells(page, "#bw-dx", "is-influenced") == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_the_full_convolution_view_draws_the_padding_and_gives_grad_x(page):
    open_page(page)
    page.check("#bw-full")
    page.locator("#bw-padded .cell").first.wait_for()
    padded = read_grid(page, "#bw-padded")
    np.testing.assert_allclose(padded, np.pad(np.ones((3, 3)), 1))
    rotated = read_grid(page, "#bw-rot")
    np.testing.assert_allclose(rotated, TUTORIAL_K[::-1, ::-1])
    dx = torch_grads(TUTORIAL_X, TUTORIAL_K)[1]
    np.testing.assert_allclose(correlate_valid(padded, rotated), dx)
    np.testing.assert_allclose(read_grid(page, "#bw-full-dx"), dx)
    added = marked_cells(page, "#bw-padded", "is-added-zero")
    assert added == {(r, c) for r in range(5) for c in range(5)} - {
        (r, c) for r in range(1, 4) for c in range(1, 4)
    }
    page.locator('#bw-full-dx .cell[data-row="0"][data-col="0"]').hover()
    page.locator("#bw-explain").filter(has_text="∂L/∂X₁₁").wait_for()
    assert marked_cells(page, "#bw-padded", "is-window") == {(0, 0), (0, 1), (1, 0), (1, 1)}
    shot(page, "backward-full-convolution")


def test_stride_two_inserts_zeros_between_the_gradient_entries(page):
    open_page(page)
    page.check("#bw-full")
    page.fill("#bw-stride", "2")
    _, dx, dk = torch_grads(TUTORIAL_X, TUTORIAL_K, stride=2)
    np.testing.assert_allclose(wait_for_grid(page, "#bw-dx", dx), dx)
    np.testing.assert_allclose(read_grid(page, "#bw-dk"), dk)
    padded = read_grid(page, "#bw-padded")
    assert padded.shape == (5, 5)  # G 2×2 → 3×3 with one zero between entries, + k − 1 around
    np.testing.assert_allclose(correlate_valid(padded, TUTORIAL_K[::-1, ::-1]), dx)
    assert {(r, c) for r, c in np.argwhere(padded == 1)} == {(1, 1), (1, 3), (3, 1), (3, 3)}


def test_the_transposed_convolution_matches_torch_and_shows_the_checkerboard(page):
    open_page(page)
    expected = torch_transposed(np.ones((3, 3)), np.ones((3, 3)), stride=2)
    np.testing.assert_allclose(wait_for_grid(page, "#tc-y", expected), expected)
    overlaps = read_grid(page, "#tc-overlaps")
    np.testing.assert_allclose(overlaps, expected)  # every input and weight is 1
    assert set(np.unique(overlaps)) == {1, 2, 4}
    formula = page.locator("#tc-formula").inner_text()
    assert "(H − 1)·s − 2p + d·(k − 1) + output_padding + 1" in formula
    assert "= 7 × 7" in formula
    page.locator('#tc-y .cell[data-row="2"][data-col="2"]').hover()
    explain = page.locator("#tc-explain")
    explain.filter(has_text="Y₃₃").wait_for()
    assert explain.inner_text().endswith("(4 stamps overlap here)")
    assert marked_cells(page, "#tc-x-editor", "is-window") == {(0, 0), (0, 1), (1, 0), (1, 1)}
    page.locator('#tc-x-editor input.cell[data-row="1"][data-col="0"]').hover()
    explain.filter(has_text="X₂₁ stamps").wait_for()
    assert explain.inner_text().startswith("X₂₁ stamps X₂₁·K onto 9 output cells: Y₃₁ gets X₂₁·K₁₁")
    # input (1, 0) lands s = 2 rows down: its 3×3 stamp covers rows 2–4, columns 0–2
    assert marked_cells(page, "#tc-y", "is-influenced") == {
        (r, c) for r in range(2, 5) for c in range(3)
    }
    shot(page, "backward-transposed")


def test_transposed_convolution_settings_follow_torch(page):
    open_page(page)
    page.get_by_role("button", name="input 1…9, K of ones").click()
    x = np.arange(1, 10, dtype=float).reshape(3, 3)
    page.fill("#tc-padding", "1")
    expected = torch_transposed(x, np.ones((3, 3)), stride=2, padding=1)
    np.testing.assert_allclose(wait_for_grid(page, "#tc-y", expected), expected)
    assert "= 5 × 5" in page.locator("#tc-formula").inner_text()


def test_the_one_dimensional_convolution_matches_numpy(page):
    open_page(page)
    x = np.array([0, 0, 1, 1, 1, 1, 0, 0, 2, 0], dtype=float)
    k = np.array([1, 0, -1], dtype=float)
    expected = np.correlate(x, k, "valid")[None]
    np.testing.assert_allclose(wait_for_grid(page, "#sig-y-grid", expected), expected)
    page.check("#sig-flip")
    expected = np.convolve(x, k, "valid")[None]
    np.testing.assert_allclose(wait_for_grid(page, "#sig-y-grid", expected), expected)
    page.fill("#sig-k", "1 1")
    expected = np.convolve(x, [1, 1], "valid")[None]
    np.testing.assert_allclose(wait_for_grid(page, "#sig-y-grid", expected), expected)
    page.fill("#sig-k", "1 x")
    assert page.locator("#sig-error").inner_text() == 'kernel k: "x" is not a number'


def test_reload_restores_the_gradient_the_toggle_and_the_transposed_settings(page):
    open_page(page)
    page.locator('#bw-g-editor input.cell[data-row="1"][data-col="2"]').fill("3")
    g = np.ones((3, 3))
    g[1, 2] = 3
    dx = torch_grads(TUTORIAL_X, TUTORIAL_K, g)[1]
    np.testing.assert_allclose(wait_for_grid(page, "#bw-dx", dx), dx)
    page.check("#bw-full")
    page.fill("#tc-stride", "3")
    expected = torch_transposed(np.ones((3, 3)), np.ones((3, 3)), stride=3)
    np.testing.assert_allclose(wait_for_grid(page, "#tc-y", expected), expected)
    page.reload()
    np.testing.assert_allclose(wait_for_grid(page, "#bw-dx", dx), dx)
    np.testing.assert_allclose(read_editor(page, "#bw-g-editor"), g)
    assert page.locator("#bw-full").is_checked()
    assert page.locator("#bw-padded").is_visible()
    np.testing.assert_allclose(wait_for_grid(page, "#tc-y", expected), expected)
    assert page.locator("#tc-stride").input_value() == "3"


def test_the_lesson_fits_a_390_px_phone_and_has_its_exercises(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=base_url)
    pg = context.new_page()
    pg.goto("/backward")
    dx = torch_grads(TUTORIAL_X, TUTORIAL_K)[1]
    wait_for_grid(pg, "#bw-dx", dx)
    pg.check("#bw-full")
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px wide)"
    for exercise in ("grad-input-entries", "transposed-output-size"):
        assert pg.locator(f'section[data-exercise="{exercise}"]').count() == 1
    shot(pg, "backward-390")
    context.close()


def test_arrow_keys_walk_the_gradient_and_explain_each_entry(page):
    open_page(page)
    page.locator('#bw-dx .cell[data-row="0"][data-col="0"]').focus()
    explain = page.locator("#bw-explain")
    explain.filter(has_text="∂L/∂X₁₁").wait_for()
    assert explain.inner_text().startswith("∂L/∂X₁₁ = G₁₁·K₁₁\n")
    page.keyboard.press("ArrowRight")
    explain.filter(has_text="∂L/∂X₁₂").wait_for()
    assert explain.inner_text().startswith("∂L/∂X₁₂ = G₁₁·K₁₂ + G₁₂·K₁₁\n")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    explain.filter(has_text="∂L/∂X₁₄").wait_for()
    # X₁₄ is read only by Y₁₃, through K₁₂ = −1
    assert explain.inner_text().split("\n")[1].strip().startswith("= 1·(−1) = −1")


def test_the_full_convolution_view_has_no_serious_accessibility_violations(page, axe):
    open_page(page)
    page.check("#bw-full")
    page.locator("#bw-padded .cell").first.wait_for()
    assert axe(page) == []
