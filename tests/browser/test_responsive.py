"""Every page on a phone (390×844) and an upright tablet (768×1024): the page never scrolls
sideways, panels stand in one column on the phone, and wide content (matrices, maps, tables)
scrolls inside its own box instead of sticking out of its panel. Pages come from
site_pages() (tests/helpers/browser.py), so lessons added later are held to the same bar."""

from __future__ import annotations

import pytest

from tests.helpers.browser import settle, shot, site_pages

PAGES = site_pages()

# Panels whose content sticks out of them, ignoring what sits in a box that scrolls itself.
OVERFLOWING = """() => {
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    [...el.classList].map((c) => '.' + c).join('');
  const out = [];
  const boxes = 'main .panel, main section, main pre, main table';
  for (const panel of document.querySelectorAll(boxes)) {
    const box = panel.getBoundingClientRect();
    if (box.width === 0) continue;
    for (const el of panel.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= box.right + 1) continue;
      let inside = false;
      for (let a = el.parentElement; a && a !== panel.parentElement; a = a.parentElement) {
        if (scrolls(a) && a.getBoundingClientRect().right <= box.right + 1) {
          inside = true;
          break;
        }
      }
      const end = `ends at ${Math.round(r.right)} > ${Math.round(box.right)}`;
      if (!inside) out.push(`${name(panel)} > ${name(el)} ${end}`);
    }
  }
  return [...new Set(out)].slice(0, 8);
}"""

WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "index"


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone_without_sideways_scrolling(phone_page, path):
    phone_page.goto(path)
    settle(phone_page)
    shot(phone_page, f"phone-{_slug(path)}")
    scroll_width, viewport = phone_page.evaluate(WIDTH)
    assert scroll_width <= viewport, f"{path} is {scroll_width} px wide on a {viewport} px phone"
    assert phone_page.evaluate(OVERFLOWING) == []


@pytest.mark.parametrize("path", [p for p in PAGES if p != "/docs"])
def test_panels_stand_in_one_column_on_a_phone(phone_page, path):
    phone_page.goto(path)
    settle(phone_page)
    lefts = phone_page.evaluate(
        """() => [...document.querySelectorAll('main .panel')]
          .filter((p) => p.getBoundingClientRect().width > 0 && !p.parentElement.closest('.panel'))
          .map((p) => Math.round(p.getBoundingClientRect().left))"""
    )
    assert len(set(lefts)) <= 1, f"{path}: panels start at x = {sorted(set(lefts))}"


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_an_upright_tablet_without_sideways_scrolling(tablet_portrait_page, path):
    pg = tablet_portrait_page
    pg.goto(path)
    settle(pg)
    shot(pg, f"tablet-{_slug(path)}")
    scroll_width, viewport = pg.evaluate(WIDTH)
    assert scroll_width <= viewport, f"{path} is {scroll_width} px wide on a {viewport} px tablet"
    assert pg.evaluate(OVERFLOWING) == []


def test_the_equivariance_maps_keep_readable_cells_on_a_phone(phone_page):
    # one map per line on a phone, so each gets the phone's width, not a quarter of it
    phone_page.goto("/equivariance")
    phone_page.locator("#conv-grid .cell[title]").first.wait_for()
    settle(phone_page)
    sides = phone_page.evaluate(
        """() => ['conv-grid', 'difference-grid', 'pool-after-grid', 'q5a-x', 'q5a-conv-xt']
          .map((id) => document.querySelector(`#${id} .cell`).getBoundingClientRect().width)"""
    )
    assert min(sides) >= 18, f"cells of {sides} px on a 390 px phone"


def test_the_shipped_model_ledgers_fit_a_phone_without_a_clipped_number(phone_page):
    phone_page.goto("/parameters")
    phone_page.locator("table.ledger tbody tr").first.wait_for()
    settle(phone_page)
    widths = phone_page.eval_on_selector_all(
        "table.ledger", "ts => ts.map((t) => [t.scrollWidth, t.clientWidth])"
    )
    shipped = phone_page.request.get("/api/mnist/models").json()["models"]
    assert len(widths) == len(shipped)  # one ledger per shipped model
    assert all(scroll <= client for scroll, client in widths), widths
