"""axe-core on every page of the site (tests/helpers/browser.py site_pages(): /, each lesson,
/tutorial and /docs when served), as it first loads and once it shows a result: no serious or
critical violation. Keyboard routes: one tab stop per grid with arrow keys inside, a focus
ring that is distinct from the window outline, the drawing pad reachable without a pointer, and the
Play animation honouring prefers-reduced-motion."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import settle, site_pages

PAGES = site_pages()


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_serious_accessibility_violations(page, axe, path):
    page.goto(path)
    settle(page)
    assert axe(page) == []


@pytest.mark.parametrize("path", PAGES)
def test_page_on_a_phone_has_no_serious_accessibility_violations(phone_page, axe, path):
    phone_page.goto(path)
    settle(phone_page)
    assert axe(phone_page) == []


def test_an_editable_grid_is_one_tab_stop_with_arrow_keys_inside(page):
    page.goto("/convolution")
    settle(page)
    grid = page.locator("#input-editor .num-grid")
    tab_stops = grid.locator("input.cell").evaluate_all(
        "cells => cells.filter((c) => c.tabIndex === 0).map((c) => c.getAttribute('aria-label'))"
    )
    assert tab_stops == ["X₁₁"]
    first = grid.locator('input[aria-label="X₁₁"]')
    first.focus()
    page.keyboard.press("ArrowRight")
    focused = "() => document.activeElement.getAttribute('aria-label')"
    assert page.evaluate(focused) == "X₁₂"
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == "X₂₂"
    page.keyboard.press("Tab")  # leaves the grid at once
    assert page.evaluate("() => document.activeElement.closest('.num-grid') === null")


def test_grid_focus_ring_differs_from_the_window_outline(page):
    page.goto("/convolution")
    settle(page)
    cell = page.locator('#input-editor input[aria-label="X₁₁"]')
    cell.focus()
    page.keyboard.press("ArrowRight")  # keyboard focus: :focus-visible
    ring = page.evaluate(
        """() => {
          const s = getComputedStyle(document.activeElement);
          return [s.outlineColor, s.outlineStyle, s.boxShadow];
        }"""
    )
    assert ring[0] == "rgb(255, 255, 255)" and ring[1] == "solid"
    assert "rgb(29, 78, 216)" in ring[2]  # the blue ring around the white one
    window = page.evaluate(
        """() => {
          const probe = document.createElement('div');
          probe.className = 'cell is-window';
          document.querySelector('#output-grid .num-grid').appendChild(probe);
          const s = getComputedStyle(probe);
          const style = [s.outlineColor, s.boxShadow];
          probe.remove();
          return style;
        }"""
    )
    assert window[0] != ring[0] and "rgb(29, 78, 216)" not in window[1]


def test_the_drawing_pad_has_a_keyboard_route(page):
    page.goto("/mnist")
    page.locator("#sample-digit").focus()
    page.keyboard.press("End")  # the last option: 9
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "sample-draw"
    page.keyboard.press("Enter")
    expect(page.locator("#prediction")).to_have_attribute("data-label", "9")
    # and the arrow keys shift the digit, as on the equivariance page
    page.locator("#saliency-run").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#shift-value")).to_have_text("dx 2, dy 0")


def test_play_moves_one_window_at_a_time_under_reduced_motion(browser, base_url):
    context = browser.new_context(base_url=base_url, reduced_motion="reduce")
    pg = context.new_page()
    try:
        pg.goto("/convolution")
        pg.wait_for_load_state("networkidle")
        play = pg.locator("#play")
        width = play.bounding_box()["width"]
        play.click()
        expect(pg.locator("#output-status")).to_contain_text("window at Y₁₁ (1 of 9)")
        expect(pg.locator("#output-status")).to_contain_text("reduced motion")
        pg.wait_for_timeout(1500)  # at the default speed it would have moved 3 windows on
        expect(pg.locator("#output-status")).to_contain_text("window at Y₁₁ (1 of 9)")
        expect(play).to_have_attribute("aria-pressed", "false")
        play.click()
        expect(pg.locator("#output-status")).to_contain_text("window at Y₁₂ (2 of 9)")
        assert play.bounding_box()["width"] == width
    finally:
        context.close()


def test_play_and_pause_keep_the_same_button_width(page):
    page.goto("/convolution")
    settle(page)
    play = page.locator("#play")
    before = play.bounding_box()["width"]
    play.click()
    expect(play).to_have_text("❚❚ Pause")
    assert play.bounding_box()["width"] == before
    play.click()
