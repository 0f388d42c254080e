"""The parameters & regularization page (Q1, Q6a, Q6b) in a real Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.browser import shot


def test_default_counts_are_the_tutorials(page):
    page.goto("/parameters")
    expect(page.locator("#fc-count")).to_have_text("78,500")
    expect(page.locator("#conv-count")).to_have_text("2,600")
    expect(page.locator("#fc-formula")).to_have_text("784·100 + 100 = 78,500")
    expect(page.locator("#conv-formula")).to_have_text("100·(1·5·5 + 1) = 2,600")
    expect(page.locator("#count-ratio")).to_contain_text("30.2 times")
    shot(page, "parameters-default")


def test_editing_the_calculator_recounts(page):
    page.goto("/parameters")
    expect(page.locator("#conv-count")).to_have_text("2,600")
    page.get_by_label("k (kernel side)").fill("3")
    # 100·(1·3·3 + 1)
    expect(page.locator("#conv-count")).to_have_text("1,000")
    page.get_by_label("C (channels)").fill("3")
    expect(page.locator("#conv-count")).to_have_text("2,800")
    page.get_by_label("H (hidden units)").fill("10")
    expect(page.locator("#fc-count")).to_have_text("7,850")


def test_a_bad_count_names_the_field(page):
    page.goto("/parameters")
    expect(page.locator("#fc-count")).to_have_text("78,500")
    page.get_by_label("H (hidden units)").fill("0")
    expect(page.locator("#count-error")).to_have_text(
        "H must be at least 1 (the counts below are for the last valid input)"
    )
    expect(page.locator("#fc-out")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#count-cards")).to_have_class("count-results stale")
    page.problems[:] = [p for p in page.problems if "status of 422" not in p]


def test_trajectories_shrink_toward_zero_as_lambda_grows(page):
    page.goto("/parameters")
    rows = page.locator("#reg-table tbody tr")
    expect(rows).to_have_count(3)
    # shrink factor 1 − 2ελ with ε = 0.1: 1, 0.95, 0.8
    expect(rows.nth(0).locator("td").nth(0)).to_have_text("1")
    expect(rows.nth(1).locator("td").nth(0)).to_have_text("0.95")
    expect(rows.nth(2).locator("td").nth(0)).to_have_text("0.8")
    # the minimisers (A + 2λI)⁻¹Aθ*: θ* = (2, 1.5) for λ = 0, nearer the origin as λ grows
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("(2, 1.5)")
    expect(rows.nth(2).locator("td").nth(2)).to_have_text("(1.357, 0.714)")
    # after 100 steps each run is within 0.01 of its minimiser
    for i in range(3):
        assert float(rows.nth(i).locator("td").nth(3).inner_text()) < 0.01
    expect(page.locator("#reg-plot svg .series polyline")).to_have_count(3)
    expect(page.locator("#reg-plot svg path.contour")).to_have_count(9)
    # the decomposition of step 0 of λ = 0.25: the shrink is −2ελθ₀ = −0.05·(−1.5, 2.5)
    decomposition = page.locator("#reg-decomposition")
    expect(decomposition).to_contain_text("shrink factor 1 − 2ελ = 0.95")
    expect(decomposition.locator(".decay")).to_contain_text("= (0.075, −0.125)")
    shot(page, "parameters-regularization")


def test_step_slider_moves_the_decomposition(page):
    page.goto("/parameters")
    expect(page.locator("#reg-table tbody tr")).to_have_count(3)
    page.locator("#reg-step").fill("10")
    expect(page.locator("#reg-decomposition")).to_contain_text("θ10 =")
    expect(page.locator("#reg-decomposition")).to_contain_text("θ11 = θ10 + shrink + data")


def test_bad_lambda_text_is_explained_next_to_it(page):
    page.goto("/parameters")
    expect(page.locator("#reg-table tbody tr")).to_have_count(3)
    page.get_by_label("λ values (comma separated)").fill("0, abc")
    expect(page.locator("#reg-error")).to_have_text('λ "abc" is not a number')
    expect(page.locator("#reg-lambdas")).to_have_attribute("aria-invalid", "true")


def test_reload_restores_the_settings(page):
    page.goto("/parameters")
    expect(page.locator("#fc-count")).to_have_text("78,500")
    page.get_by_label("F (filters)").fill("32")
    expect(page.locator("#conv-count")).to_have_text("832")
    page.get_by_label("λ values (comma separated)").fill("0, 0.5")
    expect(page.locator("#reg-table tbody tr")).to_have_count(2)
    page.reload()
    expect(page.locator("#conv-count")).to_have_text("832")
    expect(page.locator("#reg-lambdas")).to_have_value("0, 0.5")
    expect(page.locator("#reg-table tbody tr")).to_have_count(2)


def test_page_works_on_a_touch_tablet(tablet_page):
    pg = tablet_page
    pg.goto("/parameters")
    expect(pg.locator("#fc-count")).to_have_text("78,500")
    expect(pg.locator("#reg-table tbody tr")).to_have_count(3)
    pg.get_by_label("Decompose the run with").select_option("2")
    expect(pg.locator("#reg-decomposition")).to_contain_text("run λ = 1")
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024, f"the page scrolls sideways at 1024 px ({width} px wide)"
    shot(pg, "parameters-1024-touch")


def test_contours_of_a_circle_lie_on_the_circle(page):
    page.goto("/parameters")
    radii = page.evaluate(
        """async () => {
          const { contourSegments } = await import("/static/js/lessons/parameters/contours.js");
          const xs = Array.from({ length: 41 }, (_, i) => -2 + i / 10);
          const values = xs.map((y) => xs.map((x) => x * x + y * y));
          const segments = contourSegments(xs, xs, values, 1);
          return segments.flat().map(([x, y]) => Math.hypot(x, y));
        }"""
    )
    # linear interpolation of x² + y² on a 0.1 grid: every crossing within 0.01 of radius 1
    assert len(radii) > 100
    assert all(abs(r - 1) < 0.01 for r in radii), max(abs(r - 1) for r in radii)


def test_ledger_lists_the_shipped_models_layer_by_layer(page):
    page.goto("/parameters")
    fc = page.locator('table.ledger[data-model="fc"]')
    expect(fc).to_be_visible()
    # the tutorial's FC network: fc1 is the 784 → 100 layer of Q6a, 78,500 parameters
    fc1 = fc.locator("tbody tr", has=page.locator("th", has_text="fc1"))
    expect(fc1.locator("td").last).to_have_text("78,500")
    expect(fc.locator("tfoot td.total")).to_have_text("79,510")
    # every model's rows add up to its total
    for name in ("cnn", "fc"):
        table = page.locator(f'table.ledger[data-model="{name}"]')
        cells = table.locator("tbody td:last-child").all_inner_texts()
        counts = [int(t.replace(",", "")) for t in cells]
        total = int(table.locator("tfoot td.total").inner_text().replace(",", ""))
        assert sum(counts) == total, (name, counts, total)
    expect(page.locator('table.ledger[data-model="cnn"] tfoot')).to_contain_text("test accuracy")
    shot(page, "parameters-ledger")
