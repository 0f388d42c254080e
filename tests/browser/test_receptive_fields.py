"""The receptive-fields page (Q4) in a real Chromium: presets, the per-layer table, unit regions,
the effective receptive field, and state restored on reload."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.browser import shot


def _open(page) -> None:
    """Load the page and wait until its first answers are drawn (none left in flight)."""
    page.goto("/receptive-fields")
    expect(page.locator("#rf-table tbody tr")).to_have_count(4)  # input + 3 layers
    expect(page.locator("#erf-figures")).to_contain_text("8, 3")
    expect(page.locator("#erf-plot svg .series-measured circle")).to_have_count(10)


def test_default_stack_shows_the_tutorial_formula_worked_out(page):
    _open(page)
    # three 3×3 layers, stride 1: R_3 = 1 + 3·(3 − 1) = 7, from the API's formula
    expect(page.locator("#rf-formula")).to_contain_text("1 + 3·(3 − 1) = 7")
    last = page.locator("#rf-table tbody tr.last")
    expect(last.locator("td.rf-size")).to_have_text("7")
    # the centre unit of the last layer (5×5 on an 11×11 input) sees rows 3…9, counted from 1
    expect(page.locator("#rf-region")).to_have_text(
        "Unit (3, 3) of conv3 sees input rows 3…9, columns 3…9."
    )
    shot(page, "receptive-fields-default")


def test_vgg16_preset_shows_212(page):
    _open(page)
    page.select_option("#rf-preset", "vgg16")
    last = page.locator("#rf-table tbody tr.last")
    expect(last.locator("th")).to_have_text("pool5")
    expect(last.locator("td.rf-size")).to_have_text("212")
    expect(page.locator("#rf-formula .rf-summary")).to_have_text(
        "Receptive field of pool5: 212 × 212 pixels, jump 32"
    )
    expect(page.locator("#rf-table tbody tr")).to_have_count(19)
    # VGG's stack is not "L layers of k×k": the general rule is named instead of R_L
    expect(page.locator("#rf-formula")).to_contain_text("needs stride 1, dilation 1")
    shot(page, "receptive-fields-vgg16")


def test_clicking_a_unit_shows_its_region_on_the_input(page):
    _open(page)
    page.select_option("#rf-preset", "vgg16")
    expect(page.locator("#rf-table tbody tr.last td.rf-size")).to_have_text("212")
    # pool5 is 7×7 on 224×224: unit (1, 1) sees rows −89…122, of which 1…122 are pixels
    grid = page.locator("#rf-units-grid canvas")
    box = grid.bounding_box()
    grid.click(position={"x": box["width"] / 14, "y": box["height"] / 14})
    expect(page.locator("#rf-region")).to_have_text(
        "Unit (1, 1) of pool5 sees input rows −89…122, columns −89…122; "
        "inside the image: rows 1…122, columns 1…122 (the rest is padding)."
    )
    # arrow keys move the unit by one jump (32 pixels)
    grid.press("ArrowRight")
    expect(page.locator("#rf-region")).to_contain_text("Unit (1, 2) of pool5")
    expect(page.locator("#rf-region")).to_contain_text("columns −57…154")
    shot(page, "receptive-fields-unit")


def test_choosing_a_layer_picks_its_units(page):
    _open(page)
    page.get_by_role("button", name="Pick units of conv1").click()
    expect(page.locator("#rf-layer-caption")).to_contain_text("Units of conv1 (9×9)")
    expect(page.locator("#rf-region")).to_have_text(
        "Unit (5, 5) of conv1 sees input rows 5…7, columns 5…7."
    )


def test_editing_the_stack_recomputes_and_names_a_bad_layer(page):
    _open(page)
    page.get_by_role("button", name="+ pool layer").click()
    expect(page.locator("#rf-table tbody tr")).to_have_count(5)
    # a 2×2 pool of stride 2 after three 3×3 convs: 7 + (2 − 1)·1 = 8, jump 2
    expect(page.locator("#rf-table tbody tr.last td.rf-size")).to_have_text("8")
    page.get_by_label("Layer 1 kernel").fill("9")
    error = page.locator("#rf-error")
    expect(error).to_contain_text("is larger than its padded input")
    expect(page.locator(".layer-row.invalid")).to_have_count(1)
    shot(page, "receptive-fields-error")
    page.get_by_label("Input size").fill("40")
    expect(error).to_have_text("")
    expect(page.locator(".layer-row.invalid")).to_have_count(0)
    # the browser logs the 422 it was meant to get; anything else still fails the test
    page.problems[:] = [p for p in page.problems if "status of 422" not in p]


def test_generator_rebuilds_l_layers_of_k(page):
    _open(page)
    page.get_by_label("Input size").fill("40")
    page.locator("#rf-gen-layers").fill("5")
    page.locator("#rf-gen-kernel").fill("5")
    expect(page.locator("#rf-formula")).to_contain_text("1 + 5·(5 − 1) = 21")


def test_effective_field_grows_slower_than_the_theoretical_one(page):
    _open(page)
    figures = page.locator("#erf-figures")
    expect(figures).to_contain_text("17")  # default L = 8, k = 3: R = 1 + 8·2 = 17
    expect(page.locator("#erf-plot svg .series-measured circle")).to_have_count(10)
    exponents = page.locator("#erf-exponents")
    expect(exponents).to_contain_text("measured radius ∝ L")
    # the exponent is a superscript, L<sup>0.63</sup>, not a raw "L^0.63"
    assert "^" not in exponents.inner_text()
    exponent = float(exponents.locator("sup").first.inner_text())
    assert 0.3 < exponent < 0.75, exponents.inner_text()
    page.locator("#erf-depth").fill("16")
    expect(figures).to_contain_text("33")
    shot(page, "receptive-fields-erf")


def test_reload_restores_the_stack_and_the_unit(page):
    _open(page)
    page.select_option("#rf-preset", "alexnet_v2")
    expect(page.locator("#rf-table tbody tr.last td.rf-size")).to_have_text("195")
    page.locator("#rf-units-grid canvas").press("ArrowDown")
    expect(page.locator("#rf-region")).to_contain_text("Unit (4, 3) of pool5")
    page.locator("#erf-depth").fill("4")
    expect(page.locator("#erf-figures")).to_contain_text("4, 3")  # settled: no request in flight
    page.reload()
    expect(page.locator("#rf-preset")).to_have_value("alexnet_v2")
    expect(page.locator("#rf-table tbody tr.last td.rf-size")).to_have_text("195")
    expect(page.locator("#rf-region")).to_contain_text("Unit (4, 3) of pool5")
    expect(page.locator("#erf-depth")).to_have_value("4")
    expect(page.locator("#erf-figures")).to_contain_text("4, 3")
    expect(page.locator("#erf-plot svg .series-measured circle")).to_have_count(10)


def test_page_works_on_a_touch_tablet(tablet_page):
    pg = tablet_page
    _open(pg)
    pg.select_option("#rf-preset", "vgg16")
    expect(pg.locator("#rf-table tbody tr.last td.rf-size")).to_have_text("212")
    pg.locator("#rf-units-grid canvas").tap(position={"x": 5, "y": 5})
    expect(pg.locator("#rf-region")).to_contain_text("Unit (1, 1) of pool5")
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024, f"the page scrolls sideways at 1024 px ({width} px wide)"
    shot(pg, "receptive-fields-1024-touch")


def test_the_start_column_counts_from_1_and_is_explained(page):
    _open(page)
    # three 3×3 convs without padding: unit (1, 1) of conv3 is centred on input pixel 4
    last = page.locator("#rf-table tbody tr.last td")
    expect(last.nth(7)).to_have_text("4")
    expect(page.locator("#rf-counting")).to_contain_text("counted from 1, as in the exercises")
    expect(page.locator("#rf-counting")).to_contain_text(
        "unit (i, j) is centred on start + (i − 1)·jump"
    )
