"""Colours of numbers on tiles, in a real Chromium: one weight scale for K on every page that
shows it (Convolution, Convolution as a matrix, Backward), and readable numbers on any tile.

Colours are read with getComputedStyle; the contrast ratio is WCAG 2's, computed here.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.browser

# a kernel with a spread of values: both ends (±2), a zero, a fraction, a repeated value
K = [[2, -1, 0], [0.5, 1, -2]]
X = [[1, 2, 0, 1], [0, 1, 3, 1], [2, 2, 1, 0], [1, 0, 2, 2]]
STATE = {"x": X, "k": K, "stride": 1, "padding": 0, "mode": "zeros", "view": "single"}

# ColorBrewer RdBu's ends and middle: the scale's colours at −max|K|, 0 and +max|K|
RDBU_BLUE_END = (5, 48, 97)
RDBU_MIDDLE = (247, 247, 247)
RDBU_RED_END = (103, 0, 31)

_COLOURS_OF = """(els) => els.map((e) => {
  const s = getComputedStyle(e);
  return [Number(e.dataset.row), Number(e.dataset.col), s.backgroundColor, s.color,
          e.value ?? e.textContent];
})"""


def rgb(text: str) -> tuple[int, int, int]:
    """(r, g, b) of a computed colour "rgb(r, g, b)" (or an opaque "rgba(...)")."""
    match = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", text)
    assert match, f"not an rgb colour: {text!r}"
    assert match.group(4) in (None, "1"), f"translucent colour {text!r}: contrast is undefined"
    return tuple(int(match.group(i)) for i in (1, 2, 3))


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (1 to 21)."""

    def luminance(c):
        lin = [
            v / 255 / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in c
        ]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def cell_colours(page, selector: str) -> dict[tuple[int, int], tuple]:
    """{(row, col): (background, text colour, text)} of the grid cells matched by `selector`."""
    cells = page.eval_on_selector_all(selector, _COLOURS_OF)
    return {(r, c): (rgb(bg), rgb(fg), text) for r, c, bg, fg, text in cells}


def url(path: str, state: dict) -> str:
    return f"{path}#{quote(json.dumps(state))}"


def open_convolution(page, state: dict) -> None:
    page.goto(url("/convolution", state))
    page.locator("#output-grid .cell[title]").first.wait_for()


def open_matrix(page, state: dict) -> None:
    page.goto(url("/matrix", state))
    page.locator("#matrix-check").filter(has_text="Check").wait_for()


# -- one weight scale ------------------------------------------------------------------------


def test_a_weight_has_the_same_colour_on_the_convolution_and_matrix_pages(page):
    open_convolution(page, STATE)
    conv = cell_colours(page, "#kernel-grid input.cell")
    open_matrix(page, STATE)
    matrix_k = cell_colours(page, "#matrix-kernel .cell:not(.is-pad)")
    entries = page.eval_on_selector_all(
        "#matrix-view td[data-w]",
        "tds => tds.map((td) => [Number(td.dataset.w), getComputedStyle(td).backgroundColor])",
    )
    by_weight: dict[int, set] = {}
    for w, bg in entries:
        by_weight.setdefault(w, set()).add(rgb(bg))
    assert sorted(by_weight) == list(range(6))  # every weight of the 2×3 K appears in M
    for (r, c), (bg, _, _) in conv.items():
        assert matrix_k[(r, c)][0] == bg, f"K{r + 1}{c + 1} differs between the two pages"
        assert by_weight[r * 3 + c] == {bg}, f"the entries of M holding K{r + 1}{c + 1} differ"
    # the scale itself: ends at ±max|K|, zero in the middle, distinct colours for 0.5 and 1
    assert conv[(0, 0)][0] == RDBU_RED_END
    assert conv[(1, 2)][0] == RDBU_BLUE_END
    assert conv[(0, 2)][0] == RDBU_MIDDLE
    assert len({bg for bg, _, _ in conv.values()}) == 6


def test_an_edited_weight_recolours_k_on_the_shared_scale(page):
    open_convolution(page, STATE)
    cell = page.locator('#kernel-grid input.cell[data-row="0"][data-col="0"]')
    cell.fill("4")  # the new max |K|: 2 is now half-way to the red end
    # Y₁₁ = 4·1 − 1·2 + 0·0 + 0.5·0 + 1·1 − 2·3 = −3 once the edit is computed
    page.wait_for_function(
        "() => document.querySelector('#output-grid .cell').title.endsWith('= -3')"
    )
    edited = dict(STATE, k=[[4, -1, 0], [0.5, 1, -2]])
    conv = cell_colours(page, "#kernel-grid input.cell")
    open_matrix(page, edited)
    matrix_k = cell_colours(page, "#matrix-kernel .cell:not(.is-pad)")
    assert conv[(0, 0)][0] == RDBU_RED_END
    assert conv[(1, 2)][0] != RDBU_BLUE_END  # −2 is no longer an end
    assert {key: v[0] for key, v in conv.items()} == {key: v[0] for key, v in matrix_k.items()}


def test_the_slices_of_a_layer_share_one_scale_on_both_pages(page):
    k = [[[[3, -1], [0, 1]], [[0, 0], [0, 0]]], [[[1, 1], [1, 1]], [[-3, 0.5], [2, 0]]]]
    x = [[[1, 2, 0], [0, 1, 3], [2, 2, 1]], [[0, 1, 1], [1, 2, 2], [1, 2, 2]]]
    ch = {"x": x, "k": k, "b": [0, 0], "stride": 1, "padding": 0}
    state = dict(STATE, view="channels", ch=ch)
    page.goto(url("/convolution", state))
    page.locator("#ch-k-1-1-grid input.cell").first.wait_for()
    conv = {
        (o, c): cell_colours(page, f"#ch-k-{o}-{c}-grid input.cell")
        for o in range(2)
        for c in range(2)
    }
    open_matrix(page, state)
    figures = page.locator("#matrix-kernel figure")
    assert figures.count() == 4
    for i, (o, c) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        shown = cell_colours(page, f"#matrix-kernel figure:nth-child({i + 1}) .cell")
        assert {key: v[0] for key, v in shown.items()} == {
            key: v[0] for key, v in conv[o, c].items()
        }
    # one scale for the layer: the 1s of filter 2 are as pale as the 1 of filter 1, not its end
    assert conv[0, 0][(0, 0)][0] == RDBU_RED_END
    assert conv[1, 1][(0, 0)][0] == RDBU_BLUE_END
    assert conv[1, 0][(0, 0)][0] == conv[0, 0][(1, 1)][0] != RDBU_RED_END


def test_the_backward_page_colours_k_and_rotated_k_like_the_convolution_page(page):
    open_convolution(page, STATE)
    conv = cell_colours(page, "#kernel-grid input.cell")
    state = {"x": X, "k": K, "stride": 1, "padding": 0, "full": True}
    page.goto(url("/backward", state))
    page.locator("#bw-rot .cell[title]").first.wait_for()
    backward = cell_colours(page, "#bw-k-grid input.cell")
    rotated = cell_colours(page, "#bw-rot .cell:not(.is-pad)")
    assert {key: v[0] for key, v in backward.items()} == {key: v[0] for key, v in conv.items()}
    for (r, c), (bg, _, _) in conv.items():
        assert rotated[(1 - r, 2 - c)][0] == bg  # rot K[i, j] = K[1 − i, 2 − j]


# -- readable numbers ------------------------------------------------------------------------


def assert_readable(cells: dict, where: str) -> None:
    low = {
        key: round(contrast(bg, fg), 2)
        for key, (bg, fg, text) in cells.items()
        if text.strip() and contrast(bg, fg) < 4.5
    }
    assert not low, (
        f"{where}: {len(low)} numbers under 4.5:1 contrast, e.g. {list(low.items())[:5]}"
    )


def test_numbers_on_every_tile_of_the_convolution_page_have_contrast(page):
    # reflect padding: the padding ring shows copied values (faded) when an output is hovered
    state = dict(STATE, padding=1, mode="reflect", k=[[3, -3, 0], [0.25, 1.5, -0.5]])
    open_convolution(page, state)
    page.locator('#output-grid .cell[data-row="0"][data-col="0"]').hover()
    page.locator("#input-editor .cell.is-pad[style*=background]").first.wait_for()
    x = cell_colours(page, "#input-editor .cell")
    k = cell_colours(page, "#kernel-grid input.cell")
    y = cell_colours(page, "#output-grid .cell")
    assert {text for _, _, text in k.values()} == {"3", "-3", "0", "0.25", "1.5", "-0.5"}
    assert any(text == "0" for _, _, text in y.values())  # Y has zeros too
    assert sum(1 for key in x if key[0] < 0 and x[key][2].strip()) >= 3  # painted padding cells
    for cells, where in [(x, "X with its padding"), (k, "K"), (y, "Y")]:
        assert_readable(cells, where)


def test_zeros_of_the_matrix_are_readable_and_told_apart_from_structural_zeros(page):
    open_matrix(page, STATE)
    cells = page.eval_on_selector_all(
        "#matrix-view tbody td:not(.eq):not(.y-value)",
        """tds => tds.map((td) => {
          const s = getComputedStyle(td);
          const selected = td.parentElement.classList.contains("is-selected");
          return [td.dataset.w ?? null, td.textContent, s.backgroundColor, s.color,
                  s.boxShadow, selected];
        })""",
    )
    page_bg = rgb(page.evaluate("getComputedStyle(document.documentElement).backgroundColor"))
    held = [c for c in cells if c[0] is not None]
    structural = [c for c in cells if c[0] is None]
    # Y is 3 × 2: 6 rows of 16 columns, each row holding the 6 weights once
    assert len(held) == 6 * 6 and len(structural) == 6 * 16 - 36
    values = {c[1] for c in held}
    assert values == {"2", "−1", "0", "0.5", "1", "−2"}
    for w, text, bg, fg, shadow, _ in held:
        assert contrast(rgb(bg), rgb(fg)) >= 4.5, f"weight {w} ({text}) is hard to read"
        assert shadow != "none"  # every held weight is a framed tile, a 0 included
    for _, text, bg, _, _, selected in structural:
        assert text == ""
        if not selected:  # the selected row is tinted as a whole
            assert rgb(bg) == page_bg  # no tile: the page behind it
    zero_tiles = {rgb(c[2]) for c in held if c[1] == "0"}
    assert zero_tiles == {RDBU_MIDDLE}


@pytest.mark.parametrize(
    ("path", "selector"),
    [
        ("/equivariance", "#main .num-grid .cell"),
        ("/backward", "#main .num-grid .cell"),
        ("/matrix", "#main .num-grid .cell"),
    ],
)
def test_numbers_on_the_grids_of_other_pages_have_contrast(page, path, selector):
    page.goto(path)
    page.locator(f"{selector}[title]").first.wait_for()
    page.wait_for_load_state("networkidle")
    cells = page.eval_on_selector_all(
        selector,
        """els => els.filter((e) => e.offsetParent !== null).map((e, i) => {
          const s = getComputedStyle(e);
          return [i, 0, s.backgroundColor, s.color, e.value ?? e.textContent];
        })""",
    )
    shown = {(i, 0): (rgb(bg), rgb(fg), text) for i, _, bg, fg, text in cells}
    assert len(shown) > 20
    assert any(text.strip() == "0" for _, _, text in shown.values())
    assert_readable(shown, path)
