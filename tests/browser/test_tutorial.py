"""The /tutorial page in a real Chromium: tutorial 3A's questions in order, the
exercises that answer each one (from GET /api/exercises), and the student's progress kept in
the browser."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from app.api.pages import TUTORIAL
from tests.helpers.browser import shot

pytestmark = pytest.mark.browser


def _numbers(kind: dict) -> set[int]:
    return {int(re.match(r"Q(\d+)", q).group(1)) for q in kind["questions"]}


def test_tutorial_lists_every_exercise_under_each_question_it_answers(page, base_url):
    kinds = httpx.get(f"{base_url}/api/exercises").json()
    page.goto("/tutorial")
    expect(page.locator("#tutorial-summary")).to_have_text(
        f"Your progress over {len(kinds)} kinds of exercise: 0 right at the first try, "
        f"0 right after a hint, 0 only with the answer shown, {len(kinds)} not done yet."
    )
    questions = page.locator(".tutorial-question")
    assert [questions.nth(i).get_attribute("data-question") for i in range(6)] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]
    for q in TUTORIAL:
        item = page.locator(f'.tutorial-question[data-question="{q.number}"]')
        assert " ".join(item.locator("h2").inner_text().split()) == f"Q{q.number} {q.title}"
        shown = item.locator(".tutorial-exercises li[data-exercise]")
        want = [k for k in kinds if q.number in _numbers(k)]
        assert [shown.nth(i).get_attribute("data-exercise") for i in range(shown.count())] == [
            k["id"] for k in want
        ]
        for i, kind in enumerate(want):
            link = shown.nth(i).locator("a")
            assert link.inner_text() == kind["title"]
            assert link.get_attribute("href") == f"{kind['page']}#yt-{kind['id']}"
            assert shown.nth(i).inner_text().endswith("— not tried yet")
    shot(page, "tutorial")


def test_progress_shows_on_the_tutorial_and_can_be_forgotten(page):
    page.goto("/receptive-fields")
    block = page.locator('section.your-turn[data-exercise="receptive-field"]')
    expect(block).to_have_attribute("data-seed", re.compile(r"\d"))
    ex = page.evaluate(
        "s => fetch(`/api/exercises/receptive-field?seed=${s}`).then(r => r.json())",
        block.get_attribute("data-seed"),
    )["inputs"]
    r_l = 1 + ex["layers"] * (ex["kernel"] - 1)  # R_L = 1 + L(k − 1)
    block.locator(".answer-fields input").fill(str(r_l))
    block.locator("button.check-button").click()
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    page.locator(".site-header nav a", has_text="Tutorial").click()
    expect(page).to_have_url(re.compile(r"/tutorial$"))
    item = page.locator('li[data-exercise="receptive-field"]')
    expect(item).to_contain_text("— 1 exercise right at the first try")
    assert item.locator(".done").count() == 1
    expect(page.locator("#tutorial-summary")).to_contain_text(": 1 right at the first try, 0 right")
    shot(page, "tutorial-progress")
    page.locator("#progress-reset").click()
    expect(item).to_contain_text("not tried yet")
    expect(page.locator("#tutorial-summary")).to_contain_text(": 0 right at the first try, 0 right")


def test_the_tutorial_counts_an_answer_seen_after_two_wrong_checks_as_shown(page):
    page.goto("/receptive-fields?ex-receptive-field=3")
    block = page.locator('section.your-turn[data-exercise="receptive-field"]')
    expect(block).to_have_attribute("data-seed", "3")
    for _ in range(2):
        block.locator(".answer-fields input").fill("999")
        block.locator("button.check-button").click()
        page.wait_for_load_state("networkidle")
    expect(block.locator(".reveal .verdict")).to_have_text("✗ Not quite.")
    page.goto("/tutorial")
    item = page.locator('li[data-exercise="receptive-field"]')
    expect(item).to_contain_text("— 1 answer shown")
    assert item.locator(".done").count() == 0
    assert item.locator('[data-outcome="shown"]').count() == 1
    expect(page.locator("#tutorial-summary")).to_contain_text(
        "0 right at the first try, 0 right after a hint, 1 only with the answer shown"
    )


def test_an_exercise_link_opens_its_block_on_the_lesson_page(page):
    page.goto("/tutorial")
    link = page.locator('li[data-exercise="output-size"] a')
    link.click()
    expect(page).to_have_url(re.compile(r"/convolution.*#yt-output-size"))
    block = page.locator("#yt-output-size")
    expect(block).to_have_attribute("data-seed", re.compile(r"\d"))
    expect(page.locator("#output-grid .cell").first).to_be_visible()  # the page still works


def test_index_and_nav_link_the_tutorial(page):
    page.goto("/")
    page.locator(".tutorial-link a").click()
    expect(page).to_have_url(re.compile(r"/tutorial$"))
    assert page.locator('.site-header nav a[aria-current="page"]').inner_text() == "Tutorial"


def test_tutorial_fits_a_390_px_phone(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=base_url)
    pg = context.new_page()
    try:
        pg.goto("/tutorial")
        expect(pg.locator(".tutorial-exercises li").first).to_be_visible()
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        pg.screenshot(path="test-artifacts/tutorial-390.png", full_page=True)
    finally:
        context.close()


def _kinds(base_url: str) -> list[dict]:
    return httpx.get(f"{base_url}/api/exercises").json()


LINKS = ".tutorial-exercises li[data-exercise] a"


def _landing(pg, n: int) -> None:
    """Follow the n-th exercise link of /tutorial and see its block in view and focused."""
    pg.goto("/tutorial")
    link = pg.locator(LINKS).nth(n)
    kind = link.evaluate("a => a.closest('li').dataset.exercise")
    link.click()
    block = pg.locator(f"#yt-{kind}")
    expect(block).to_have_attribute("data-seed", re.compile(r"\d"))
    pg.wait_for_load_state("networkidle")
    expect(block).to_be_focused()
    expect(block).to_be_in_viewport()
    # its heading is on screen, in the upper half unless the page cannot scroll further
    top, at_bottom = block.evaluate(
        """b => [b.getBoundingClientRect().top,
                 scrollY + innerHeight >= document.documentElement.scrollHeight - 2]"""
    )
    assert 0 <= top < pg.viewport_size["height"] / 2 or (0 <= top and at_bottom), (kind, top)


@pytest.mark.parametrize("size", [(1400, 1000), (390, 844)], ids=["desktop", "phone"])
def test_every_exercise_link_lands_on_its_exercise(browser, base_url, size):
    width, height = size
    phone = width < 500
    context = browser.new_context(
        viewport={"width": width, "height": height},
        base_url=base_url,
        has_touch=phone,
        is_mobile=phone,
    )
    pg = context.new_page()
    try:
        pg.goto("/tutorial")
        links = pg.locator(LINKS)
        expect(links.first).to_be_visible()
        count = links.count()
        assert count >= len(_kinds(base_url))
        for n in range(count):
            _landing(pg, n)
        pg.screenshot(path=f"test-artifacts/tutorial-landing-{width}.png")
    finally:
        context.close()
