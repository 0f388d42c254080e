"""The /tutorial page (issue 9) in a real Chromium: tutorial 3A's questions in order, the
exercises that answer each one (from GET /api/exercises), and the student's progress kept in
the browser."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from app.api.pages import TUTORIAL
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def _numbers(kind: dict) -> set[int]:
    return {int(re.match(r"Q(\d+)", q).group(1)) for q in kind["questions"]}


def test_tutorial_lists_every_exercise_under_each_question_it_answers(page, base_url):
    kinds = httpx.get(f"{base_url}/api/exercises").json()
    page.goto("/tutorial")
    expect(page.locator("#tutorial-summary")).to_contain_text(
        f"Your progress: 0 of {len(kinds)} kinds"
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
    expect(item).to_contain_text("right once in 1 try")
    assert item.locator(".done").count() == 1
    expect(page.locator("#tutorial-summary")).to_contain_text("Your progress: 1 of ")
    shot(page, "tutorial-progress")
    page.locator("#progress-reset").click()
    expect(item).to_contain_text("not tried yet")
    expect(page.locator("#tutorial-summary")).to_contain_text("Your progress: 0 of ")


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
