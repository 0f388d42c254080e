"""The shift-invariance & aliasing lesson in a real Chromium at desktop (1400×1000) and phone
(390×844) sizes: the test digits, the pooled maps of CNN and CNN-AA for x and shift(x), P(true
digit) of the three models over one-pixel steps, and the test-set figures shown only after a
prediction; and the Grad-CAM panel of the MNIST page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import PHONE, checked_page, shot

SHIPPED = json.loads(
    (
        Path(__file__).resolve().parents[2] / "app" / "mnist" / "weights" / "shift_consistency.json"
    ).read_text()
)
DESKTOP = {"width": 1400, "height": 1000}


@pytest.fixture()
def desktop(browser, base_url: str) -> Iterator[object]:
    yield from checked_page(browser, viewport=DESKTOP, base_url=base_url)


@pytest.fixture()
def phone(browser, base_url: str) -> Iterator[object]:
    yield from checked_page(
        browser, viewport=PHONE, has_touch=True, is_mobile=True, base_url=base_url
    )


def _ready(pg) -> None:
    pg.wait_for_load_state("networkidle")
    expect(pg.locator("#alias-maps canvas")).to_have_count(12)  # 2 models × 3 pools × (x, shift)


def test_desktop_shows_pooled_maps_for_x_and_its_one_pixel_shift(desktop) -> None:
    desktop.goto("/aliasing")
    _ready(desktop)
    options = desktop.locator("#test-digit option")
    expect(options).to_have_count(len(SHIPPED["examples"]))
    expect(options.first).to_have_text(f"#0: a {SHIPPED['examples'][0]['label']}")
    expect(desktop.locator("#alias-shift")).to_contain_text("dx 1, dy 0")
    expect(desktop.locator(".alias-row h3")).to_have_count(2)
    expect(desktop.locator("#alias-maps figcaption").first).to_contain_text("pool1 (14×14)")
    expect(desktop.locator("#alias-maps-note")).to_contain_text(
        "Relative change of the pooled maps"
    )
    expect(desktop.locator("#alias-plot svg .series polyline")).to_have_count(3)
    expect(desktop.locator("#alias-plot-note")).to_contain_text("is the test label")
    shot(desktop, "aliasing-desktop")


def test_the_measurement_appears_only_after_a_prediction(desktop) -> None:
    desktop.goto("/aliasing")
    _ready(desktop)
    results = desktop.locator("#alias-results")
    expect(results).to_be_hidden()
    desktop.get_by_role("button", name="Show the measurement").click()
    expect(desktop.locator("#alias-measured-error")).to_have_text(
        "choose a network first: predict, then look"
    )
    expect(results).to_be_hidden()
    desktop.get_by_label("CNN-AA (max-blur pooling)").check()
    desktop.get_by_role("button", name="Show the measurement").click()
    expect(results).to_be_visible()
    rows = desktop.locator("#alias-table tbody tr")
    expect(rows).to_have_count(3)
    models = SHIPPED["models"]
    best = max(
        models, key=lambda m: (models[m]["same_prediction"], -models[m]["mean_abs_delta_p_true"])
    )
    names = {"fc": "FC", "cnn": "CNN", "cnn-aa": "CNN-AA"}
    expect(rows.first.locator("th")).to_have_text(names[best])
    share = f"{100 * models[best]['same_prediction']:.2f} %"
    expect(rows.first.locator("td").first).to_have_text(share)
    verdict = desktop.locator("#alias-verdict")
    expect(verdict).to_contain_text(f"Measured, {names[best]} keeps its prediction in {share}")
    expect(verdict).to_have_attribute("data-outcome", "right" if best == "cnn-aa" else "wrong")
    shot(desktop, "aliasing-measured")


def test_shifting_back_to_zero_says_both_columns_are_the_same_digit(desktop) -> None:
    desktop.goto("/aliasing")
    _ready(desktop)
    desktop.get_by_role("button", name="Reset: back to no shift").click()
    expect(desktop.locator("#alias-maps-note")).to_contain_text("No shift: both columns")
    expect(desktop.locator("#alias-shift")).to_contain_text("dx 0, dy 0")


def test_phone_draws_a_digit_and_shifts_it(phone) -> None:
    phone.goto("/aliasing")
    _ready(phone)
    phone.get_by_role("button", name="Draw one").click()
    expect(phone.locator("#alias-pad")).to_be_visible()
    phone.get_by_role("button", name="Draw a sample 3").click()
    phone.wait_for_load_state("networkidle")
    phone.get_by_role("button", name="Shift down one pixel").click()
    phone.wait_for_load_state("networkidle")
    expect(phone.locator("#alias-shift")).to_contain_text("dx 1, dy 1")
    expect(phone.locator("#alias-plot-note")).to_contain_text("is what the CNN reads unshifted")
    expect(phone.locator("#alias-maps canvas")).to_have_count(12)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"
    shot(phone, "aliasing-phone")


def test_mnist_grad_cam_panel_shows_the_map_of_the_drawn_class(page) -> None:
    page.goto("/mnist")
    page.wait_for_load_state("networkidle")
    page.locator("#sample-digit").select_option("1")
    page.get_by_role("button", name="Draw the sample").click()
    page.wait_for_load_state("networkidle")
    page.locator("#gradcam-target").select_option("1")
    page.get_by_role("button", name="Compute Grad-CAM").click()
    expect(page.locator("#gradcam canvas")).to_have_count(3)
    expect(page.locator("#gradcam-note")).to_contain_text("Grad-CAM of the score of 1")
    expect(page.locator("#gradcam-note")).to_contain_text("relu3 (7×7")
    page.locator("#gradcam").scroll_into_view_if_needed()
    shot(page, "mnist-gradcam")
