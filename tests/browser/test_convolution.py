"""The Convolution page in a real Chromium: the tutorial's X ∗ K, edits, hover, errors, reload."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from app.exercises import check_answer
from tests.browser.grids import (
    TUTORIAL_K,
    TUTORIAL_X,
    correlate_valid,
    ignore_http_errors,
    marked_cells,
    read_editor,
    read_grid,
    wait_for_grid,
)
from tests.helpers.browser import shot

pytestmark = pytest.mark.browser

OUTPUT = "#output-grid"
INPUT = "#input-editor"


def kernel_cell(page, row: int, col: int):
    return page.locator(f'#kernel-grid input[data-row="{row}"][data-col="{col}"]')


def output_cell(page, row: int, col: int):
    return page.locator(f'{OUTPUT} .cell[data-row="{row}"][data-col="{col}"]')


def open_page(page) -> None:
    page.goto("/convolution")
    wait_for_grid(page, OUTPUT, correlate_valid(TUTORIAL_X, TUTORIAL_K))


def test_convolution_page_shows_the_tutorial_output_by_default(page):
    open_page(page)
    shown = read_grid(page, OUTPUT)
    np.testing.assert_allclose(shown, [[0, 5, 0], [1, -1, 2], [0, 3, 3]])
    np.testing.assert_allclose(shown, correlate_valid(TUTORIAL_X, TUTORIAL_K))
    np.testing.assert_allclose(read_editor(page, INPUT), TUTORIAL_X)
    assert (
        page.locator("#size-formula")
        .inner_text()
        .startswith("H_out × W_out = (4 − 2 + 1) × (4 − 2 + 1) = 3 × 3")
    )
    assert page.locator("#count-inputs").inner_text() == "4"
    assert page.locator("#count-params").inner_text() == "4"
    assert page.locator("#count-outputs").inner_text() == "9"
    shot(page, "convolution-default")


def test_typing_a_kernel_value_changes_exactly_the_expected_output_cells(page):
    open_page(page)
    before = read_grid(page, OUTPUT)
    kernel = TUTORIAL_K.copy()
    kernel[1, 0] = 2  # K₂₁: 0 → 2
    expected = correlate_valid(TUTORIAL_X, kernel)
    kernel_cell(page, 1, 0).click()
    page.keyboard.type("2")
    after = wait_for_grid(page, OUTPUT, expected)
    np.testing.assert_allclose(after, expected)
    changed = {tuple(map(int, rc)) for rc in np.argwhere(~np.isclose(after, before))}
    assert changed == {tuple(map(int, rc)) for rc in np.argwhere(TUTORIAL_X[1:, :3] != 0)}
    shot(page, "convolution-kernel-edited")


def test_hovering_y11_shows_its_four_terms_and_window(page):
    open_page(page)
    output_cell(page, 0, 0).hover()
    explain = page.locator("#explain-text")
    explain.filter(has_text="Y₁₁").wait_for()
    assert explain.inner_text() == "Y₁₁ = 1·1 + 2·(−1) + 0·0 + 1·1 = 0"
    assert marked_cells(page, INPUT, "is-window") == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert marked_cells(page, OUTPUT, "is-current") == {(0, 0)}
    shot(page, "convolution-hover-y11")


def test_focusing_an_output_cell_by_keyboard_explains_it(page):
    open_page(page)
    output_cell(page, 0, 0).focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    explain = page.locator("#explain-text")
    explain.filter(has_text="Y₂₂").wait_for()
    assert explain.inner_text() == "Y₂₂ = 1·1 + 3·(−1) + 2·0 + 1·1 = −1"
    assert marked_cells(page, INPUT, "is-window") == {(1, 1), (1, 2), (2, 1), (2, 2)}


def test_hovering_an_input_cell_highlights_every_output_it_influences(page):
    open_page(page)
    page.locator(f'{INPUT} input.cell[data-row="1"][data-col="2"]').hover()
    page.locator("#explain-text").filter(has_text="X₂₃").wait_for()
    # X₂₃ lies in the 2×2 windows of Y₁₂, Y₁₃, Y₂₂, Y₂₃
    assert marked_cells(page, OUTPUT, "is-influenced") == {(0, 1), (0, 2), (1, 1), (1, 2)}
    shot(page, "convolution-hover-input")


def test_padding_shows_the_ring_and_the_output_size_formula(page):
    open_page(page)
    page.fill("#padding", "1")
    expected = correlate_valid(np.pad(TUTORIAL_X, 1), TUTORIAL_K)
    np.testing.assert_allclose(wait_for_grid(page, OUTPUT, expected), expected)
    assert (
        "(4 + 2·1 − 2 + 1) × (4 + 2·1 − 2 + 1) = 5 × 5"
        in page.locator("#size-formula").inner_text()
    )
    assert page.locator(f"{INPUT} .cell.is-pad").count() == 6 * 6 - 4 * 4
    output_cell(page, 0, 0).hover()
    page.locator("#explain-text").filter(has_text="padding").wait_for()
    assert marked_cells(page, INPUT, "is-window") == {(-1, -1), (-1, 0), (0, -1), (0, 0)}
    shot(page, "convolution-padding")


def test_pasting_a_matrix_replaces_the_input(page):
    open_page(page)
    pasted = np.arange(25, dtype=float).reshape(5, 5) - 12
    text = "\n".join(" ".join(str(int(v)) for v in row) for row in pasted)
    page.locator(f'{INPUT} input.cell[data-row="0"][data-col="0"]').focus()
    page.evaluate(
        """text => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            const paste = new ClipboardEvent(
                "paste", {clipboardData: data, bubbles: true, cancelable: true});
            document.activeElement.dispatchEvent(paste);
        }""",
        text,
    )
    expected = correlate_valid(pasted, TUTORIAL_K)
    np.testing.assert_allclose(wait_for_grid(page, OUTPUT, expected), expected)
    np.testing.assert_allclose(read_editor(page, INPUT), pasted)
    assert page.locator("#input-rows").input_value() == "5"


def test_preset_kernel_and_step_slide_the_window(page):
    open_page(page)
    page.get_by_role("button", name="Sobel x").click()
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    expected = correlate_valid(TUTORIAL_X, sobel)
    np.testing.assert_allclose(wait_for_grid(page, OUTPUT, expected), expected)
    page.click("#step")
    page.click("#step")
    page.locator("#explain-text").filter(has_text="Y₁₂").wait_for()
    assert marked_cells(page, INPUT, "is-window") == {(r, c) for r in range(3) for c in (1, 2, 3)}
    assert "2 of 4" in page.locator("#output-status").inner_text()


def test_reload_restores_the_state(page):
    open_page(page)
    kernel_cell(page, 0, 1).fill("3")
    page.fill("#stride", "2")
    kernel = TUTORIAL_K.copy()
    kernel[0, 1] = 3
    expected = correlate_valid(TUTORIAL_X, kernel, stride=2)
    np.testing.assert_allclose(wait_for_grid(page, OUTPUT, expected), expected)
    page.reload()
    np.testing.assert_allclose(wait_for_grid(page, OUTPUT, expected), expected)
    assert page.locator("#stride").input_value() == "2"
    np.testing.assert_allclose(read_editor(page, "#kernel-editor"), kernel)
    shot(page, "convolution-reloaded")


def test_a_bad_setting_shows_its_message_next_to_the_control(page):
    open_page(page)
    page.fill("#stride", "0")
    error = page.locator("#settings-error")
    error.filter(has_text="stride").wait_for()
    assert error.inner_text() == "stride: must be at least 1, got 0"
    assert page.locator("#stride").get_attribute("aria-invalid") == "true"
    # the last valid output stays on screen, faded, never a blank page
    np.testing.assert_allclose(read_grid(page, OUTPUT), correlate_valid(TUTORIAL_X, TUTORIAL_K))
    shot(page, "convolution-bad-stride")
    page.fill("#stride", "1")
    page.locator("#settings-error:empty").wait_for()
    assert page.locator("#stride").get_attribute("aria-invalid") is None
    ignore_http_errors(page)


def test_a_kernel_larger_than_the_input_is_explained_under_the_kernel(page):
    open_page(page)
    page.fill("#kernel-rows", "5")
    page.fill("#kernel-cols", "5")
    page.locator("#kernel-cols").dispatch_event("change")
    # the rows field alone already makes a 5×2 kernel too large: wait for the 5×5 answer
    expect(page.locator("#kernel-error")).to_have_text(
        "kernel 5×5 is larger than the padded input 4×4"
    )
    shot(page, "convolution-kernel-too-large")
    ignore_http_errors(page)


def test_a_cell_that_is_not_a_number_is_named(page):
    open_page(page)
    kernel_cell(page, 0, 0).fill("abc")
    assert page.locator("#kernel-error").inner_text() == 'K₁₁: "abc" is not a number'
    assert kernel_cell(page, 0, 0).get_attribute("aria-invalid") == "true"


def test_the_page_works_on_a_1024x768_touch_screen(browser, base_url):
    context = browser.new_context(
        viewport={"width": 1024, "height": 768}, has_touch=True, base_url=base_url
    )
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto("/convolution")
    wait_for_grid(pg, OUTPUT, correlate_valid(TUTORIAL_X, TUTORIAL_K))
    output_cell(pg, 2, 1).tap()
    pg.locator("#explain-text").filter(has_text="Y₃₂").wait_for()
    assert pg.locator("#explain-text").inner_text() == "Y₃₂ = 2·1 + 1·(−1) + 0·0 + 2·1 = 3"
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024, f"the page scrolls sideways at 1024 px ({width} px wide)"
    shot(pg, "convolution-1024-touch")
    context.close()
    assert not errors, errors


def test_flip_computes_the_true_convolution(page):
    open_page(page)
    page.check("#flip")
    expected = correlate_valid(TUTORIAL_X, TUTORIAL_K[::-1, ::-1])
    np.testing.assert_allclose(wait_for_grid(page, OUTPUT, expected), expected)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_match_numpy_pad(page, mode):
    open_page(page)
    page.fill("#padding", "1")
    page.select_option("#padding-mode", mode)
    numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    expected = correlate_valid(np.pad(TUTORIAL_X, 1, mode=numpy_mode), TUTORIAL_K)
    np.testing.assert_allclose(wait_for_grid(page, OUTPUT, expected), expected)
    output_cell(page, 0, 0).hover()
    page.locator("#explain-text").filter(has_text="padding").wait_for()
    # the padding cells of the window show the values the mode put there
    ring = page.locator(f'{INPUT} .cell.is-pad[data-row="-1"][data-col="-1"]').inner_text()
    assert float(ring.replace("\u2212", "-")) == np.pad(TUTORIAL_X, 1, mode=numpy_mode)[0, 0]


def test_dilation_spreads_the_window(page):
    open_page(page)
    page.fill("#dilation", "2")
    dilated = np.zeros((3, 3))
    dilated[::2, ::2] = TUTORIAL_K
    expected = correlate_valid(TUTORIAL_X, dilated)
    np.testing.assert_allclose(wait_for_grid(page, OUTPUT, expected), expected)
    output_cell(page, 0, 0).hover()
    page.locator("#explain-text").filter(has_text="Y₁₁").wait_for()
    assert marked_cells(page, INPUT, "is-window") == {(0, 0), (0, 2), (2, 0), (2, 2)}


def test_resizing_the_input_keeps_values_and_refuses_more_than_16(page):
    open_page(page)
    page.fill("#input-rows", "16")
    page.locator("#input-rows").dispatch_event("change")
    page.fill("#input-cols", "16")
    page.locator("#input-cols").dispatch_event("change")
    x = np.zeros((16, 16))
    x[:4, :4] = TUTORIAL_X
    expected = correlate_valid(x, TUTORIAL_K)
    np.testing.assert_allclose(wait_for_grid(page, OUTPUT, expected), expected)
    shot(page, "convolution-16x16")
    page.fill("#input-rows", "17")
    page.locator("#input-rows").dispatch_event("change")
    assert page.locator("#input-error").inner_text() == (
        "X can be 1 to 16 rows and 1 to 16 columns"
    )
    assert page.locator("#input-rows").get_attribute("aria-invalid") == "true"


def test_a_late_answer_never_overwrites_a_newer_one(page):
    # Delay the answer to the first edit's request so that it arrives after the second's.
    page.add_init_script(
        """
        const realFetch = window.fetch.bind(window);
        window.__slowNext = false;
        window.fetch = async (url, options) => {
            const slow = window.__slowNext && String(url).endsWith("/api/conv2d");
            if (slow) window.__slowNext = false;
            const response = await realFetch(url, options);
            if (slow) await new Promise(resolve => setTimeout(resolve, 900));
            return response;
        };
        """
    )
    open_page(page)
    page.evaluate("window.__slowNext = true")
    kernel_cell(page, 0, 0).fill("5")  # answer delayed by 0.9 s
    page.wait_for_timeout(300)  # past the debounce: a second request goes out
    kernel_cell(page, 0, 0).fill("7")
    newest = TUTORIAL_K.copy()
    newest[0, 0] = 7
    expected = correlate_valid(TUTORIAL_X, newest)
    np.testing.assert_allclose(wait_for_grid(page, OUTPUT, expected), expected)
    page.wait_for_timeout(1200)  # the stale answer (K₁₁ = 5) has arrived by now
    np.testing.assert_allclose(read_grid(page, OUTPUT), expected)


# -- the channels view: C_in planes, a filter bank, each map the sum of its parts -------------

CH_X = np.array(
    [
        TUTORIAL_X,
        [[0, 1, 1, 0], [1, 2, 2, 1], [1, 2, 2, 1], [0, 1, 1, 0]],
        [[2, 1, 0, 0], [1, 2, 1, 0], [0, 1, 2, 1], [0, 0, 1, 2]],
    ],
    dtype=float,
)
CH_K = np.zeros((2, 3, 2, 2))
CH_K[0, 0] = TUTORIAL_K
CH_K[1] = 1.0
CH_B = np.array([0.0, -4.0])


def torch_layer(
    x: np.ndarray, k: np.ndarray, b: np.ndarray | None, stride: int = 1, padding: int = 0
) -> np.ndarray:
    """The layer's output from torch (C_out × H_out × W_out)."""
    torch = pytest.importorskip("torch")
    out = torch.nn.functional.conv2d(
        torch.tensor(x)[None],
        torch.tensor(k),
        None if b is None else torch.tensor(b),
        stride=stride,
        padding=padding,
    )
    return out[0].numpy()


def open_channels(page) -> None:
    open_page(page)
    page.check("#view-channels")
    wait_for_grid(page, '[data-output="1"]', torch_layer(CH_X, CH_K, CH_B)[1])


def test_the_channels_view_shows_each_map_as_torch_computes_it_and_its_parts(page):
    open_channels(page)
    expected = torch_layer(CH_X, CH_K, CH_B)
    for o in range(2):
        np.testing.assert_allclose(read_grid(page, f'[data-output="{o}"]'), expected[o])
        for c in range(3):
            part = torch_layer(CH_X[c : c + 1], CH_K[o : o + 1, c : c + 1], None)[0]
            np.testing.assert_allclose(read_grid(page, f'[data-part="{o},{c}"]'), part)
        bias = page.locator(f"#ch-bias-shown-{o}").inner_text()
        assert bias == ("0" if o == 0 else "−4")
    # filter 1 reads only the red plane with the tutorial's K: Y[1] is the tutorial's X ∗ K
    np.testing.assert_allclose(expected[0], [[0, 5, 0], [1, -1, 2], [0, 3, 3]])
    shot(page, "convolution-channels")


def test_the_channels_view_counts_the_parameters_with_the_current_numbers(page):
    open_channels(page)
    params = page.locator("#ch-params")
    params.filter(has_text="26").wait_for()
    assert params.inner_text() == "C_out·(C_in·k·k + 1) = 2·(3·2·2 + 1) = 26"
    assert page.locator("#ch-params-q6a").inner_text() == (
        "100·(C·5·5 + 1) with C = 3: 100·(3·5·5 + 1) = 7,600"
    )
    assert page.locator("#ch-inputs-per-output").inner_text() == "12 = C_in·k·k = 3·2·2"
    page.fill("#ch-cin", "1")
    page.locator("#ch-cin").dispatch_event("change")
    page.locator("#ch-params-q6a").filter(has_text="2,600").wait_for()
    assert page.locator("#ch-params").inner_text() == "C_out·(C_in·k·k + 1) = 2·(1·2·2 + 1) = 10"
    expected = torch_layer(CH_X[:1], CH_K[:, :1], CH_B)
    np.testing.assert_allclose(wait_for_grid(page, '[data-output="1"]', expected[1]), expected[1])


def test_hovering_an_output_map_cell_lists_every_term_plane_by_plane(page):
    open_channels(page)
    page.locator('[data-output="1"] .cell[data-row="1"][data-col="2"]').hover()
    total = page.locator("#ch-explain-total")
    total.filter(has_text="Y[2]₂₃").wait_for()
    windows = CH_X[:, 1:3, 2:4]  # (3, 2, 2): the window of Y[·]₂₃ in every plane
    for c, name in enumerate("RGB"):
        terms = " + ".join(f"{v:g}·1" for v in windows[c].ravel())
        assert page.locator(f"#ch-explain-plane-{c}").inner_text() == (
            f"plane {name}: {terms} = {windows[c].sum():g}"
        )
        assert marked_cells(page, f"#ch-x-{c}-grid", "is-window") == {
            (1, 2),
            (1, 3),
            (2, 2),
            (2, 3),
        }
    value = windows.sum() - 4
    parts = " + ".join(f"{windows[c].sum():g}" for c in range(3))
    assert total.inner_text() == (
        f"Y[2]₂₃ = {parts} + (−4) = {value:g}   (12 = 3·2·2 products, plus the bias)"
    )
    assert value == torch_layer(CH_X, CH_K, CH_B)[1, 1, 2]


def test_editing_a_bias_shifts_its_map_and_reload_keeps_the_channels_view(page):
    open_channels(page)
    page.fill("#ch-b-0", "2.5")
    bias = np.array([2.5, -4.0])
    expected = torch_layer(CH_X, CH_K, bias)
    np.testing.assert_allclose(wait_for_grid(page, '[data-output="0"]', expected[0]), expected[0])
    page.fill("#ch-stride", "2")
    expected = torch_layer(CH_X, CH_K, bias, stride=2)
    np.testing.assert_allclose(wait_for_grid(page, '[data-output="0"]', expected[0]), expected[0])
    page.reload()
    assert page.locator("#view-channels").is_checked()
    assert page.locator("#single-lab").is_hidden()
    np.testing.assert_allclose(wait_for_grid(page, '[data-output="0"]', expected[0]), expected[0])
    assert page.locator("#ch-b-0").input_value() == "2.5"
    page.check("#view-single")
    wait_for_grid(page, OUTPUT, correlate_valid(TUTORIAL_X, TUTORIAL_K))
    assert page.locator("#channels-lab").is_hidden()


def test_the_channels_view_fits_a_390_px_phone(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=base_url)
    pg = context.new_page()
    pg.goto("/convolution")
    pg.check("#view-channels")
    wait_for_grid(pg, '[data-output="1"]', torch_layer(CH_X, CH_K, CH_B)[1])
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px wide)"
    shot(pg, "convolution-channels-390")
    context.close()


def test_a_kernel_larger_than_the_planes_is_explained_next_to_the_filters(page):
    open_channels(page)
    page.fill("#ch-h", "2")
    page.locator("#ch-h").dispatch_event("change")
    expected = torch_layer(CH_X[:, :2], CH_K, CH_B)
    np.testing.assert_allclose(wait_for_grid(page, '[data-output="1"]', expected[1]), expected[1])
    page.fill("#ch-k", "3")
    page.locator("#ch-k").dispatch_event("change")
    error = page.locator("#ch-error")
    error.filter(has_text="larger").wait_for()
    assert error.inner_text().startswith("kernel 3×3 is larger than the padded input 2×4")
    assert page.locator("#ch-outputs").get_attribute("class") == "stale"
    ignore_http_errors(page)


def test_the_channels_view_has_no_serious_accessibility_violations(page, axe):
    open_channels(page)
    page.locator('[data-output="0"] .cell').first.hover()
    page.locator("#ch-explain-total").wait_for()
    assert axe(page) == []


def test_on_a_phone_tapping_y_keeps_x_and_the_window_on_screen(phone_page):
    page = phone_page
    page.goto("/convolution")
    cell = page.locator("#output-grid .cell").nth(4)
    expect(cell).to_be_visible()
    # Y at the top of the screen, X scrolled away above it
    cell.evaluate("c => c.scrollIntoView({block: 'start'})")
    assert page.locator("#input-editor .cell").first.evaluate(
        "c => c.getBoundingClientRect().bottom < 0"
    )
    cell.tap()
    expect(page.locator("#input-editor .cell.is-window").first).to_be_visible()
    for locator in (page.locator("#input-editor .cell.is-window"), cell):
        for n in range(locator.count()):
            expect(locator.nth(n)).to_be_in_viewport()
    shot(page, "convolution-phone-tap-y")


def test_the_term_by_term_box_drops_a_cell_that_no_longer_exists(page):
    page.goto("/convolution")
    page.locator("#output-grid .cell").nth(8).hover()  # Y₃₃ of the tutorial's 3 × 3 Y
    expect(page.locator("#explain-text")).to_contain_text("Y₃₃ =")
    page.mouse.move(0, 0)  # the pointer leaves Y; the box keeps following Y₃₃
    page.locator("#input-rows").fill("3")  # X 3 × 4: Y 2 × 3, row 3 of Y is gone
    page.locator("#input-rows").dispatch_event("change")
    expect(page.locator("#output-shape")).to_have_text("2 × 3")
    expect(page.locator("#explain-text")).to_have_text(
        "Hover or focus a cell of Y to see its window in X and its sum; hover a cell of X to "
        "see every output it influences."
    )


def test_after_an_output_size_reveal_the_term_by_term_box_drops_the_old_cell(page):
    page.goto("/convolution?ex-output-size=7")
    page.locator("#output-grid .cell").nth(8).hover()
    expect(page.locator("#explain-text")).to_contain_text("Y₃₃ =")
    page.mouse.move(0, 0)
    block = page.locator('section.your-turn[data-exercise="output-size"]')
    expect(block).to_have_attribute("data-seed", "7")
    block.locator(".answer-fields input").fill(check_answer("output-size", 7, "1").expected)
    block.locator("button.check-button").click()
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    expect(page.locator("#explain-text")).to_have_text(
        "Hover or focus a cell of Y to see its window in X and its sum; hover a cell of X to "
        "see every output it influences."
    )
