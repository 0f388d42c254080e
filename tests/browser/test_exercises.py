"""Your-turn exercises in a real Chromium: on every lesson page an exercise is done
with the keyboard only, a wrong answer shows the hint, a right one is marked right, New exercise
draws another, the seed survives a reload, and the page shows the answer with its own widgets.
Also the Q5a pooling-vs-convolution view and the Q2a morph, checked against numpy."""

from __future__ import annotations

import re

import httpx
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from playwright.sync_api import expect

from app.api.pages import LESSONS
from app.exercises import KINDS, check_answer, exercise
from tests.browser.grids import correlate_valid, marked_cells, read_editor, read_grid, wait_for_grid
from tests.exercises.oracles import ORACLES
from tests.helpers.browser import shot

pytestmark = pytest.mark.browser

BLOCK = "section.your-turn"
# a well-formed answer of each type that no exercise of the lab can have as its answer
WRONG = {
    "integer": "-987654",
    "number": "-987654",
    "size": "999",
    "cell": "99, 99",
    "cells": "99,99",
}


def _wrong_answer(fmt: dict) -> str:
    if fmt["type"] == "vector":
        return ", ".join(["999"] * fmt["length"])
    return WRONG[fmt["type"]]


def _open(page, path: str, exercise: str | None = None):
    """Open a lesson page and return its first (or the named) loaded Your-turn block."""
    page.goto(path)
    selector = f'{BLOCK}[data-exercise="{exercise}"]' if exercise else f"{BLOCK}[data-seed]"
    block = page.locator(selector).first
    expect(block).to_have_attribute("data-seed", re.compile(r"^\d+$"))
    block.locator(".answer-fields input").first.wait_for()
    return block


def _settled_blocks(page) -> dict[str, list[str]]:
    """Once every block has loaded or stood aside: the ids shown and the ids hidden."""
    page.wait_for_function(
        "sel => [...document.querySelectorAll(sel)]"
        ".every((b) => b.dataset.seed || b.dataset.unavailable)",
        arg=BLOCK,
    )
    return page.eval_on_selector_all(
        BLOCK,
        """els => ({
            shown: els.filter((e) => !e.hidden).map((e) => e.dataset.exercise),
            hidden: els.filter((e) => e.hidden).map((e) => e.dataset.exercise),
        })""",
    )


def _exercise(page, block) -> dict:
    """The exercise the block shows, as the API serves it (same id and seed)."""
    ex_id = block.get_attribute("data-exercise")
    seed = block.get_attribute("data-seed")
    return page.evaluate(
        "([id, seed]) => fetch(`/api/exercises/${id}?seed=${seed}`).then(r => r.json())",
        [ex_id, seed],
    )


def _tab_into_answer(page, block) -> None:
    """Put the keyboard focus just before the answer field, then Tab into it."""
    block.locator(".prompt").evaluate("p => { p.tabIndex = -1; p.focus(); }")
    page.keyboard.press("Tab")


def _answer_with_keyboard(
    page, block, fmt: dict, answer: str, options: list[dict], press: str = "Enter"
) -> None:
    """Type (or pick) `answer` and press Check (Enter or Space), with the keyboard only."""
    _tab_into_answer(page, block)
    if fmt["type"] == "choice":
        assert page.evaluate("document.activeElement.type") == "radio"
        keys = [o["key"] for o in options]
        focused = page.evaluate("document.activeElement.value")
        for _ in range((keys.index(answer) - keys.index(focused)) % len(keys)):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Space")
        page.keyboard.press("Tab")  # out of the radio group: the Check button
    else:
        assert page.evaluate("document.activeElement.id") == block.locator(
            ".answer-fields input"
        ).get_attribute("id")
        page.keyboard.press("Control+A")
        page.keyboard.type(answer)
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Check"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press(press)


def _reveals(page) -> list[dict]:
    return page.evaluate("window.__reveals")


def _listen(page) -> None:
    page.evaluate(
        """() => { window.__reveals = []; window.__outcomes = [];
        document.addEventListener('exercise:reveal', (e) => window.__reveals.push(e.detail));
        document.addEventListener('convlab:exercise-outcome',
            (e) => window.__outcomes.push(e.detail)); }"""
    )


def test_every_lesson_page_places_at_least_one_exercise():
    pages = {k.page for k in KINDS}
    assert {f"/{lesson.slug}" for lesson in LESSONS} <= pages


# every kind on its page (not only the first block that loads: the equivariance page has five)
@pytest.mark.parametrize("kind", KINDS, ids=[k.id for k in KINDS])
def test_every_exercise_is_done_with_the_keyboard_on_its_page(page, kind):
    block = _open(page, kind.page, kind.id)
    _listen(page)
    exercise = _exercise(page, block)
    fmt = exercise["answer_format"]
    options = exercise["inputs"].get("options", [])
    seed = int(block.get_attribute("data-seed"))
    right = check_answer(kind.id, seed, fmt["example"]).expected
    # nothing is revealed before the student answers
    reveal = block.locator(".reveal")
    assert reveal.inner_text() == ""
    assert reveal.get_attribute("aria-live") == "polite"

    wrong = (
        next(o["key"] for o in options if o["key"] != right)
        if fmt["type"] == "choice"
        else _wrong_answer(fmt)
    )
    _answer_with_keyboard(page, block, fmt, wrong, options)
    # a first wrong check: wrong, the hint, another try; the answer is nowhere on the page
    expect(reveal.locator(".verdict")).to_have_text("✗ Not quite. Try again.")
    assert len(reveal.locator(".hint").inner_text()) > 20
    _assert_answer_hidden(page, block, kind.id, seed, wrong)
    assert _reveals(page) == []

    _answer_with_keyboard(page, block, fmt, wrong, options)
    # a second wrong check shows the worked answer
    expect(reveal.locator(".verdict")).to_have_text("✗ Not quite.")
    shown = reveal.locator("strong.expected").inner_text()
    assert shown == right.replace("-", "−")
    assert len(reveal.locator(".explanation").inner_text()) > 20
    assert _outcomes(page) == [{"exercise": kind.id, "seed": seed, "outcome": "shown"}]

    _answer_with_keyboard(page, block, fmt, shown, options, press="Space")
    expect(reveal.locator(".verdict")).to_have_text("✓ Right.")
    assert reveal.locator(".hint").count() == 0
    reveals = _reveals(page)
    assert [r["correct"] for r in reveals] == [False, True]
    assert reveals[-1]["id"] == block.get_attribute("data-exercise")
    assert reveals[-1]["inputs"] == exercise["inputs"]
    # the copied answer is right but does not count as solved
    assert len(_outcomes(page)) == 1
    expect(block.locator(".exercise-progress")).to_have_text(
        "Your progress on this kind: 1 answer shown."
    )
    shot(page, f"exercise-{kind.id}")


def _assert_answer_hidden(page, block, exercise_id: str, seed: int, wrong: str) -> None:
    """After a wrong check, neither the expected value nor the worked answer is in the DOM."""
    verdict = check_answer(exercise_id, seed, wrong)
    assert not verdict.correct
    assert block.locator(".expected, .explanation, .options, .answer-line").count() == 0
    html = page.content()
    assert verdict.explanation not in html
    text = block.locator(".reveal").inner_text()
    tokens = re.findall(r"[\w.−-]+", text.replace("−", "-"))
    # a choice's key ("A") is also a word; its options' verdicts are checked above
    choice = verdict.options is not None
    if not choice and verdict.expected not in (verdict.hint or ""):  # a number named by chance
        assert verdict.expected not in tokens, (verdict.expected, text)
    assert "The answer" not in text


def _outcomes(page) -> list[dict]:
    return page.evaluate("window.__outcomes")


@pytest.mark.parametrize("slug", [lesson.slug for lesson in LESSONS])
def test_each_exercise_the_api_places_on_a_page_has_its_block_there(page, base_url, slug):
    kinds = httpx.get(f"{base_url}/api/exercises").json()
    listed = {k["id"] for k in kinds if k["page"] == f"/{slug}"}
    page.goto(f"/{slug}")
    blocks = _settled_blocks(page)
    assert set(blocks["shown"]) == listed
    assert len(blocks["shown"]) == len(listed)  # one block per kind
    assert not set(blocks["hidden"]) & listed  # only kinds the server lacks stand aside


def test_answer_field_is_labelled_and_described(page):
    block = _open(page, "/convolution", "output-size")
    field = block.locator(".answer-fields input")
    label = block.locator(f'label[for="{field.get_attribute("id")}"]')
    assert label.inner_text() == "Your answer (a size, e.g. 5 or 5 × 5)"
    described = field.get_attribute("aria-describedby").split()
    assert block.locator(".prompt").get_attribute("id") in described
    assert "the side of a square" in page.locator(f"#{described[1]}").inner_text()


def test_an_empty_answer_is_not_sent_and_says_so(page):
    block = _open(page, "/convolution", "output-size")
    block.locator("button.check-button").click()
    expect(block.locator(".error-message")).to_have_text("Type your answer first.")
    assert block.locator(".reveal").inner_text() == ""
    assert block.locator(".answer-fields input").get_attribute("aria-invalid") == "true"


def test_an_unreadable_answer_shows_the_servers_message(page):
    block = _open(page, "/convolution", "conv-output-value")
    block.locator(".answer-fields input").fill("seven")
    block.locator("button.check-button").click()
    expect(block.locator(".error-message")).to_have_text(
        "answer: expected a whole number such as 12 or -3, got 'seven'"
    )
    assert block.locator(".reveal").inner_text() == ""
    page.problems[:] = [p for p in page.problems if "422" not in p]


def test_new_exercise_draws_another_seed_kept_in_the_url_across_a_reload(page):
    block = _open(page, "/receptive-fields", "receptive-field")
    first_seed = block.get_attribute("data-seed")
    first_prompt = block.locator(".prompt").inner_text()
    block.locator(".answer-fields input").fill("3")
    block.locator("button.check-button").click()
    expect(block.locator(".reveal .verdict")).to_be_visible()
    block.locator("button.new-button").focus()
    page.keyboard.press("Enter")
    expect(block).not_to_have_attribute("data-seed", first_seed)
    second_seed = block.get_attribute("data-seed")
    assert block.locator(".reveal").inner_text() == ""  # a new exercise: nothing revealed
    assert page.evaluate("document.activeElement.id") == "yt-receptive-field-answer"
    assert f"ex-receptive-field={second_seed}" in page.url
    second_prompt = block.locator(".prompt").inner_text()
    page.reload()
    block = page.locator(f'{BLOCK}[data-exercise="receptive-field"]')
    expect(block).to_have_attribute("data-seed", second_seed)
    expect(block.locator(".prompt")).to_have_text(second_prompt)
    exercise = _exercise(page, block)
    assert exercise["prompt"] == second_prompt
    if first_prompt == second_prompt:  # two seeds may draw the same L and k, not the same seed
        assert first_seed != second_seed


def test_conv_exercise_reveal_loads_x_and_k_and_explains_the_asked_output(page):
    block = _open(page, "/convolution", "conv-output-value")
    ex = _exercise(page, block)["inputs"]
    x = np.pad(np.array(ex["input"], dtype=float), ex["padding"])
    y = correlate_valid(x, np.array(ex["kernel"], dtype=float), stride=ex["stride"])
    i, j = ex["cell"]
    block.locator(".answer-fields input").fill(str(int(y[i, j])))
    block.locator("button.check-button").click()
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    # the page now shows the exercise: its Y, and the asked cell's window and sum
    value = str(int(y[i, j])).replace("-", "\u2212")  # the page writes −1 with a true minus
    expect(page.locator("#explain-text")).to_have_text(re.compile(rf"^Y\S+ = .* = {value}(  |$)"))
    np.testing.assert_allclose(read_grid(page, "#output-grid"), y)
    assert page.locator("#stride").input_value() == str(ex["stride"])
    assert page.locator("#padding").input_value() == str(ex["padding"])
    current = page.locator("#output-grid .cell.is-current")
    assert (current.get_attribute("data-row"), current.get_attribute("data-col")) == (
        str(i),
        str(j),
    )
    windows = page.locator("#input-editor .cell.is-window").count()
    assert windows == np.array(ex["kernel"]).size
    shot(page, "exercise-convolution-reveal")


def test_receptive_field_reveal_builds_the_stack_and_shows_r_l(page):
    block = _open(page, "/receptive-fields", "receptive-field")
    ex = _exercise(page, block)["inputs"]
    r_l = 1 + ex["layers"] * (ex["kernel"] - 1)  # the tutorial's formula
    block.locator(".answer-fields input").fill(f"{r_l}x{r_l}")
    block.locator("button.check-button").click()
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    expect(page.locator("#rf-region")).to_contain_text(f"conv{ex['layers']}")
    # the first "rows a…b" is the whole region, which starts in the padding (a < 0, written
    # with a minus sign) when the unit sits near the border. The page may still show the
    # previous stack's region (its default is conv3 too) until the revealed stack's answer
    # arrives: wait for the drawing of R_L rows
    spans_r_l = """r_l => {
        const text = document.getElementById("rf-region").innerText.replace(/−/g, "-");
        const found = /rows (-?\\d+)…(-?\\d+)/.exec(text);
        return found !== null && Number(found[2]) - Number(found[1]) + 1 === r_l;
    }"""
    page.wait_for_function(spans_r_l, arg=r_l, timeout=15_000)


def test_parameter_count_reveal_puts_the_sizes_into_the_counter(page):
    block = _open(page, "/parameters", "parameter-count")
    ex = _exercise(page, block)["inputs"]
    if ex["kind"] == "fc":  # weights + one bias per output
        count, shown = ex["in_features"] * ex["out_features"] + ex["out_features"], "#fc-count"
    else:  # each filter: C·k·k weights + one bias
        count = ex["filters"] * (ex["in_channels"] * ex["kernel"] ** 2 + 1)
        shown = "#conv-count"
    block.locator(".answer-fields input").fill(str(count))
    block.locator("button.check-button").click()
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    expect(page.locator(shown)).to_have_text(f"{count:,}")


def test_pager_links_follow_the_lesson_order(page):
    page.goto("/convolution")
    page.locator(".pager-next").click()
    expect(page).to_have_url(re.compile(r"/matrix([?#]|$)"))
    page.locator(".pager-prev").click()
    expect(page).to_have_url(re.compile(r"/convolution([?#]|$)"))
    page.goto(f"/{LESSONS[-1].slug}")
    expect(page.locator(".pager-next")).to_have_attribute("href", "/tutorial")


@pytest.mark.parametrize("path", [f"/{lesson.slug}" for lesson in LESSONS])
def test_exercise_blocks_fit_a_390_px_phone(browser, base_url, path):
    if not any(k["page"] == path for k in httpx.get(f"{base_url}/api/exercises").json()):
        pytest.skip(f"the API places no exercise on {path} yet")
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=base_url)
    pg = context.new_page()
    try:
        pg.goto(path)
        expect(pg.locator(f"{BLOCK}[data-seed]").first).to_be_visible()
        widest = pg.eval_on_selector_all(
            f"{BLOCK}, .lesson-pager",
            "els => Math.max(...els.map(e => e.getBoundingClientRect().right))",
        )
        assert widest <= 390
        pg.screenshot(
            path=f"test-artifacts/exercise-390{path.replace('/', '-')}.png", full_page=True
        )
    finally:
        context.close()


def test_q5a_max_pooling_cannot_tell_the_two_images_apart_but_conv_can(page):
    page.goto("/equivariance")
    page.locator("#q5a .spoiler-gate button").click()  # predict first, or ask to see it
    findings = page.locator("#q5a-findings li")
    expect(findings).to_have_count(3)
    x = read_grid(page, "#q5a-x")
    xt = read_grid(page, "#q5a-xt")
    kernel = np.array(
        page.eval_on_selector_all(
            "#eq-kernel-editor input.cell",
            "els => els.map(e => [Number(e.dataset.row), Number(e.dataset.col), Number(e.value)])",
        )
    )
    k = np.zeros((int(kernel[:, 0].max()) + 1, int(kernel[:, 1].max()) + 1))
    for r, c, v in kernel:
        k[int(r), int(c)] = v

    def maxpool(m):
        h, w = m.shape[0] // 2 * 2, m.shape[1] // 2 * 2
        return m[:h, :w].reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))

    changed = int((x != xt).sum())
    assert changed > 0
    np.testing.assert_array_equal(maxpool(x), maxpool(xt))  # identical after pooling
    np.testing.assert_array_equal(read_grid(page, "#q5a-pool-xt"), maxpool(xt))
    conv_x, conv_xt = correlate_valid(x, k), correlate_valid(xt, k)
    np.testing.assert_allclose(read_grid(page, "#q5a-conv-x"), conv_x)
    np.testing.assert_allclose(read_grid(page, "#q5a-conv-xt"), conv_xt)
    differ = int((~np.isclose(conv_x, conv_xt)).sum())
    assert differ > 0
    info = findings.nth(0).inner_text()
    assert f"differ in {changed} pixels" in info
    assert "are identical (max |difference| = 0)" in info
    assert f"differ in {differ} of {conv_x.size} cells" in info
    mixed = int((maxpool(-x) != -maxpool(x)).sum())
    assert f"differs from −maxpool(x) in {mixed} windows" in findings.nth(1).inner_text()
    assert f"{k.size} weights" in findings.nth(2).inner_text()
    shot(page, "equivariance-q5a")


def test_q5a_follows_a_new_image(page):
    page.goto("/equivariance")
    page.locator("#q5a .spoiler-gate button").click()
    findings = page.locator("#q5a-findings li").first
    expect(findings).to_contain_text("Information kept")
    before = findings.inner_text()
    page.locator('#image-presets button[data-preset="seven"]').click()
    expect(findings).not_to_have_text(before, timeout=20_000)
    np.testing.assert_allclose(read_grid(page, "#q5a-x"), read_grid(page, "#image-grid"))


def _sample(page, digit: int) -> None:
    page.locator("#sample-digit").select_option(str(digit))
    page.locator("#sample-draw").click()
    expect(page.locator("#prediction")).to_have_attribute("data-label", re.compile(r"\d"))


def test_morph_compares_a_kept_3_with_a_5_layer_by_layer(page):
    page.goto("/mnist")
    _sample(page, 3)
    page.locator("#morph-keep").click()
    status = page.locator("#morph-status")
    # B is still the same drawing: nothing differs anywhere
    expect(status).to_contain_text(re.compile(r"reads A as \d"))
    for name in ["input", "relu1", "relu2", "relu3", "pool3"]:
        expect(page.locator(f'#morph-findings li[data-layer="{name}"]')).to_contain_text(
            "and 0 (0 %) differ"
        )
    # turn the 3 into a 5-like digit as the page asks: a local edit, a stroke added at the top left
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.15 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.5 * box["height"], steps=12)
    page.mouse.up()
    expect(page.locator('#morph-findings li[data-layer="input"]')).not_to_contain_text(
        "and 0 (0 %)"
    )
    counts = {}
    for name in ["input", "relu1", "relu2", "relu3", "pool3"]:
        text = page.locator(f'#morph-findings li[data-layer="{name}"]').inner_text()
        found = re.search(r"of the (\d+) \w+ on a stroke of A or B, (\d+) .* and (\d+) ", text)
        active, same, changed = map(int, found.groups())
        assert same + changed == active
        counts[name] = (active, same, changed)
    assert counts["input"][2] > 0 and counts["input"][1] > 0  # some strokes shared, some not
    assert counts["relu1"][2] > 0 and counts["relu1"][1] > 0
    maps = page.locator("#morph-maps canvas")
    assert maps.count() == 5
    assert [maps.nth(i).evaluate("c => [c.width, c.height]") for i in range(5)] == [
        [28, 28],
        [28, 28],
        [14, 14],
        [7, 7],
        [3, 3],
    ]
    page.locator("#morph").scroll_into_view_if_needed()
    shot(page, "mnist-morph")
    page.reload()  # A is kept in this browser
    expect(page.locator("#morph-status")).to_contain_text(re.compile(r"reads A as \d"))


def test_exercise_data_modules_behave_as_documented(page):
    """The DOM-free modules behind the blocks and the two views, run in the browser."""
    page.goto("/")
    result = page.evaluate(
        """async () => {
            const a = await import("/static/js/exercise_answers.js");
            const p = await import("/static/js/exercise_progress.js");
            const m = await import("/static/js/lessons/mnist/morph.js");
            const q = await import("/static/js/lessons/equivariance/pool_compare.js");
            const store = new Map();
            const storage = {
                getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v),
            };
            const first = p.recordCheck(storage, "output-size", 7, false);
            const second = p.recordCheck(storage, "output-size", 7, true);
            const again = p.recordCheck(storage, "output-size", 7, true);
            p.recordCheck(storage, "output-size", 8, false);
            const shown = p.recordCheck(storage, "output-size", 8, false);
            p.recordCheck(storage, "x", 1, true);
            const record = p.readProgress(storage)["output-size"];
            const values = (arr) => Float32Array.from(arr);
            const layer = (v) => ({ name: "relu1", shape: [1, 2, 2], values: values(v) });
            const diff = m.diffLayer(layer([0, 1, 1, 0]), layer([0, 1, 0, 1]));
            const onStroke = m.diffLayer(
                layer([0, 1, 1, 0]), layer([0, 1, 0, 1]), 0.1, Uint8Array.from([0, 1, 1, 0]));
            const input = (v) => ({ name: "input", shape: [1, 2, 2], values: values(v) });
            const ink = m.inkMask(input([-0.4, 2, -0.4, -0.4]), input([-0.4, -0.4, -0.4, 2]));
            const coarse = m.strokeMask(ink, 1, 1);
            let bad = "";
            const flat = { name: "x", shape: [1, 1, 4], values: values([0, 0, 0, 0]) };
            try { m.diffLayer(layer([0, 0, 0, 0]), flat); } catch (e) { bad = e.message; }
            const white = new Uint8ClampedArray(56 * 56 * 4).fill(255);
            white.fill(0, 0, 3); // one black pixel in the top-left corner
            const corner = values([1, 0, 0, 0, 0, 0, 0, 0, 0]);
            return {
                seedUrl: a.chooseSeed("17", "5"), seedStored: a.chooseSeed("x", "5"),
                seedNew: a.chooseSeed(null, null, () => 0.5), tooBig: a.parseSeed("4294967296"),
                empty: a.collectAnswer({ type: "size" }, "  "),
                choice: a.collectAnswer({ type: "choice" }, null),
                kept: a.collectAnswer({ type: "size" }, " 5 x 5 "),
                given: a.givenMatrices({ input: [[1, 2], [3, 4]], kernel: [[1]], cell: [0, 1] }),
                outcomes: [first.outcome, second.outcome, again.outcome, shown.outcome],
                record, line: p.describeRecord(record),
                stateOf8: p.seedState(storage, "output-size", 8),
                stateOf9: p.seedState(storage, "output-size", 9),
                solved: p.countSolved(p.readProgress(storage), ["output-size", "x"]),
                junk: p.readProgress({ getItem: () => "[1, 2]" }),
                diff: { map: [...diff.map], active: diff.active, changed: diff.changed,
                        same: diff.same },
                onStroke: { map: [...onStroke.map], active: onStroke.active,
                            changed: onStroke.changed, same: onStroke.same },
                ink: [...ink.mask], coarse: [...coarse],
                bad,
                where: m.whereChanged({ rows: 3, cols: 3, map: corner }),
                pad: m.padImage(white, 56, 56, 28)[0].slice(0, 2),
                winners: q.keepWinners([[1, 1], [0, 1]], [[[0, 1]]]),
                block: q.perChannelKernel([[2]], 2),
            };
        }"""
    )
    assert result["seedUrl"] == {"seed": 17, "source": "url"}
    assert result["seedStored"] == {"seed": 5, "source": "storage"}
    assert result["seedNew"] == {"seed": 500000, "source": "new"}
    assert result["tooBig"] is None
    assert result["empty"] == {"error": "Type your answer first."}
    assert result["choice"] == {"error": "Pick an answer first."}
    assert result["kept"] == {"answer": "5 x 5"}
    assert result["given"] == [
        {"key": "input", "name": "X", "matrix": [[1, 2], [3, 4]]},
        {"key": "kernel", "name": "K", "matrix": [[1]]},
    ]
    assert result["outcomes"] == [None, "after-hint", None, "shown"]
    assert result["record"] == {
        "tried": 5,
        "right": 2,
        "last": False,
        "outcomes": {"first-try": 0, "after-hint": 1, "shown": 1},
        "seed": 8,
        "wrong": 2,
        "settled": True,
    }
    assert result["line"] == "1 exercise right after a hint, 1 answer shown"
    assert result["stateOf8"] == {"wrong": 2, "settled": True}
    assert result["stateOf9"] == {"wrong": 0, "settled": False}
    assert result["solved"] == {
        "first-try": 1,
        "after-hint": 1,
        "shown": 0,
        "open": 0,
        "total": 2,
    }
    assert result["junk"] == {}
    # position 0 quiet in both, 1 the same (−1: active and equal), 2 and 3 differ by the max
    assert result["diff"] == {"map": [0, -1, 1, 1], "active": 3, "changed": 2, "same": 1}
    # with a stroke mask, position 3 (off the strokes) is neither counted nor drawn
    assert result["onStroke"] == {"map": [0, -1, 1, 0], "active": 2, "changed": 1, "same": 1}
    assert result["ink"] == [0, 1, 0, 1]  # ink of A or B above its background
    assert result["coarse"] == [1]
    assert result["bad"] == "cannot compare relu1 1×2×2 with x 1×1×4"
    assert result["where"] == "in the top, left"
    assert result["pad"] == [0.25, 0]  # one black pixel of the first 2×2 block: a quarter ink
    assert result["winners"] == [[0, 1], [0, 0]]
    assert result["block"] == [[[[2]], [[0]]], [[[0]], [[2]]]]


# -- every numeric kind's reveal drives its page's own widgets ---------------------------------
# Each test opens the kind's block at a chosen seed (?ex-<id>=<seed>), answers it with the value
# torch or the formula gives (tests/exercises/oracles.py), and reads the page's widgets.


def _answer_text(value, answer_type: str) -> str:
    """The oracle's answer written as a student would type it."""
    if answer_type == "cells":
        return "; ".join(f"{r},{c}" for r, c in value) or "none"
    if answer_type in ("vector", "cell"):
        return ", ".join(str(v) for v in value)
    if answer_type == "size" and isinstance(value, list):
        return f"{value[0]} x {value[1]}"
    return str(value)


def _reveal(page, exercise_id: str, seed: int) -> dict:
    """Answer the exercise of this seed right on its page; return its inputs."""
    kind = next(k for k in KINDS if k.id == exercise_id)
    drawn = exercise(exercise_id, seed)
    page.goto(f"{kind.page}?ex-{exercise_id}={seed}")
    block = page.locator(f'{BLOCK}[data-exercise="{exercise_id}"]')
    expect(block).to_have_attribute("data-seed", str(seed))
    text = _answer_text(ORACLES[exercise_id](drawn.inputs), drawn.answer_format["type"])
    block.locator(".answer-fields input").fill(text)
    block.locator("button.check-button").click()
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    link = block.locator(".reveal .shown-in a")
    expect(link).to_have_count(1)
    assert page.locator(link.get_attribute("href")).count() == 1  # it points at the widget
    return drawn.inputs


def _seed(exercise_id: str, test) -> int:
    return next(s for s in range(5000) if test(exercise(exercise_id, s).inputs))


def _torch(matrix) -> torch.Tensor:
    return torch.tensor(matrix, dtype=torch.float64)[None, None]


def _maxpool(x) -> np.ndarray:
    return F.max_pool2d(_torch(x), 2, stride=2)[0, 0].numpy()


def test_output_size_reveal_sets_the_convolution_pages_geometry(page):
    seed = _seed("output-size", lambda i: i["padding"] > 0 and i["stride"] > 1)
    i = _reveal(page, "output-size", seed)
    y = F.conv2d(
        torch.zeros(1, 1, i["size"], i["size"]),
        torch.zeros(1, 1, i["kernel"], i["kernel"]),
        stride=i["stride"],
        padding=i["padding"],
        dilation=i["dilation"],
    )
    side = y.shape[-1]
    expect(page.locator("#output-shape")).to_have_text(f"{side} × {side}")
    assert read_grid(page, "#output-grid").shape == (side, side)
    assert read_editor(page, "#input-editor").shape == (i["size"], i["size"])
    assert read_editor(page, "#kernel-editor").shape == (i["kernel"], i["kernel"])
    for name in ("stride", "padding", "dilation"):
        assert page.locator(f"#{name}").input_value() == str(i[name])
    formula = page.locator("#size-formula").inner_text()
    assert f"= {side} × {side}" in formula.replace("x", "×"), formula
    shot(page, "exercise-reveal-output-size")


def test_weight_sharing_reveal_selects_the_asked_outputs_row_of_m(page):
    # a border output with padding: its window reads fewer inputs than k·k
    seed = _seed(
        "weight-sharing",
        lambda i: (
            i["ask"] == "inputs_per_output"
            and i["in_channels"] == 1
            and i["padding"] == 1
            and i["cell"] == [0, 0]
        ),
    )
    i = _reveal(page, "weight-sharing", seed)
    count = ORACLES["weight-sharing"](i)
    assert count < i["kernel"] ** 2
    expect(page.locator("#matrix-input-shape")).to_have_text(f"{i['size']} × {i['size']}")
    expect(page.locator("#row-text")).to_contain_text(f"{count} of {i['size'] ** 2} entries")
    assert marked_cells(page, "#matrix-output", "is-current") == {tuple(i["cell"])}
    assert len(marked_cells(page, "#matrix-input", "is-window")) == count
    shot(page, "exercise-reveal-weight-sharing")


def test_weight_sharing_reveal_outlines_one_weights_uses_and_every_output(page):
    seed = _seed("weight-sharing", lambda i: i["ask"] == "outputs_sharing")
    i = _reveal(page, "weight-sharing", seed)
    side = (i["size"] + 2 * i["padding"] - i["kernel"]) // i["stride"] + 1
    channels = i["in_channels"]
    shape = (
        f"{channels} × {i['size']} × {i['size']}" if channels > 1 else f"{i['size']} × {i['size']}"
    )
    expect(page.locator("#matrix-input-shape")).to_have_text(shape)
    # the marks come once M and Y are loaded
    expect(page.locator("#matrix-output .cell.is-influenced")).to_have_count(side * side)
    assert marked_cells(page, "#matrix-kernel", "is-current") == {(0, 0)}


def test_grad_input_entries_reveal_sends_a_one_hot_g_back_on_the_backward_page(page):
    seed = _seed("grad-input-entries", lambda i: i["stride"] > 1 or i["padding"] > 0)
    i = _reveal(page, "grad-input-entries", seed)
    reached = {(r - 1, c - 1) for r, c in ORACLES["grad-input-entries"](i)}
    side = (i["size"] + 2 * i["padding"] - i["kernel"]) // i["stride"] + 1
    g = np.zeros((side, side))
    g[tuple(i["cell"])] = 1
    np.testing.assert_array_equal(read_editor(page, "#bw-g-editor"), g)
    # the explanation of G's cell comes after the backward pass with this G
    expect(page.locator("#bw-explain")).to_contain_text(f"touches {len(reached)} entr")
    expect(page.locator("#bw-dx-shape")).to_have_text(f"{i['size']} × {i['size']}, like X")
    dx = read_grid(page, "#bw-dx")
    assert {(int(r), int(c)) for r, c in np.argwhere(dx != 0)} == reached
    assert marked_cells(page, "#bw-dx", "is-influenced") == reached
    shot(page, "exercise-reveal-grad-input-entries")


def test_transposed_output_size_reveal_sets_the_transposed_lab(page):
    seed = _seed("transposed-output-size", lambda i: i["stride"] > 1 and i["padding"] > 0)
    i = _reveal(page, "transposed-output-size", seed)
    side = ORACLES["transposed-output-size"](i)
    expect(page.locator("#tc-shape")).to_have_text(f"{i['size']} × {i['size']} → {side} × {side}")
    for name, key in (("stride", "stride"), ("padding", "padding"), ("outpad", "output_padding")):
        assert page.locator(f"#tc-{name}").input_value() == str(i[key])
    assert read_grid(page, "#tc-y").shape == (side, side)
    formula = page.locator("#tc-formula").inner_text()
    expression = (
        f"({i['size']} − 1)·{i['stride']} − 2·{i['padding']} + 1·({i['kernel']} − 1) + "
        f"{i['output_padding']} + 1"
    )
    assert expression in formula, formula
    shot(page, "exercise-reveal-transposed")


def test_max_pool_value_reveal_pools_x_and_outlines_the_asked_window(page):
    seed = _seed("max-pool-value", lambda i: i["cell"] != [0, 0])
    i = _reveal(page, "max-pool-value", seed)
    x = np.array(i["input"], dtype=float)
    wait_for_grid(page, "#pool-before-grid", _maxpool(x))
    np.testing.assert_array_equal(read_grid(page, "#pool-before-grid"), _maxpool(x))
    np.testing.assert_array_equal(read_grid(page, "#conv-grid"), x)  # K = [1]: conv(x) = x
    r, c = i["cell"]
    assert marked_cells(page, "#pool-before-grid", "is-current") == {(r, c)}
    window = {(2 * r + a, 2 * c + b) for a in range(2) for b in range(2)}
    assert marked_cells(page, "#conv-grid", "is-window") == window
    expect(page.locator("#eq-exercise-note")).to_contain_text("Showing the exercise")
    shot(page, "exercise-reveal-max-pool-value")


def test_pooled_size_reveal_pools_a_map_of_the_exercises_size(page):
    seed = _seed("pooled-size", lambda i: i["size"][0] % 2 == 1 and i["size"][0] != i["size"][1])
    i = _reveal(page, "pooled-size", seed)
    h, w = i["size"]
    rows, cols = F.max_pool2d(torch.zeros(1, 1, h, w), 2, stride=2).shape[-2:]
    expect(page.locator("#pool-formula")).to_contain_text(f"⌊{h}/2⌋ × ⌊{w}/2⌋")
    assert read_grid(page, "#image-grid").shape == (h, w)
    assert read_grid(page, "#pool-before-grid").shape == (rows, cols)
    expect(page.locator("#pool-formula")).to_contain_text(f"= {rows} × {cols}")


def test_pool_shift_reveal_shows_x_and_outlines_the_changed_pooled_values(page):
    seed = _seed("pool-shift", lambda i: True)
    i = _reveal(page, "pool-shift", seed)
    x = np.array(i["input"], dtype=float)
    wait_for_grid(page, "#pool-before-grid", _maxpool(x))
    np.testing.assert_array_equal(read_grid(page, "#image-grid"), x)
    changed = {(r - 1, c - 1) for r, c in ORACLES["pool-shift"](i)}
    assert marked_cells(page, "#pool-after-grid", "is-changed") == changed
    expect(page.locator("#shift-readout")).to_contain_text(f"dx = {i['dx']}, dy = {i['dy']}")
    shot(page, "exercise-reveal-pool-shift")


def test_feature_shift_reveal_shows_x_and_both_strongest_responses(page):
    seed = _seed("feature-shift", lambda i: i["stride"] == 2)
    i = _reveal(page, "feature-shift", seed)
    x, k = _torch(i["input"]), _torch(i["kernel"])
    before = F.conv2d(x, k, stride=2)[0, 0].numpy()
    wait_for_grid(page, "#conv-grid", before)
    np.testing.assert_array_equal(read_grid(page, "#image-grid"), np.array(i["input"]))
    row, col = ORACLES["feature-shift"](i)
    assert marked_cells(page, "#conv-grid", "is-current") == {tuple(i["cell"])}
    assert marked_cells(page, "#conv-shifted-grid", "is-current") == {(row - 1, col - 1)}
    expect(page.locator("#shift-readout")).to_contain_text("stride 2")


def test_weight_decay_step_reveal_runs_the_exercises_step_on_the_parameters_page(page):
    seed = _seed("weight-decay-step", lambda i: True)
    i = _reveal(page, "weight-decay-step", seed)
    theta = ORACLES["weight-decay-step"](i)  # torch autograd on L_data + λ‖θ‖²
    assert page.locator("#reg-lr").input_value() == str(i["lr"])
    expect(page.locator("#reg-loss-note")).to_contain_text("the exercise's data gradient")
    lines = page.locator("#reg-decomposition > div")
    lr, lam = (f"{v:g}" for v in (i["lr"], i["weight_decay"]))
    expect(lines.nth(0)).to_contain_text(f"run λ = {lam}, ε = {lr}:")  # the exercise's run
    last = lines.nth(4).inner_text().replace("−", "-")
    shown = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", last.split("=")[-1])]
    np.testing.assert_allclose(shown, theta, atol=6e-4)
    page.locator("#reg-loss-reset").click()
    expect(page.locator("#reg-loss-note")).to_have_text("")
    shot(page, "exercise-reveal-weight-decay")


def test_exercise_views_module_turns_inputs_into_page_state(page):
    page.goto("/")
    result = page.evaluate(
        """async () => {
            const v = await import("/static/js/exercise_views.js");
            return {
                resized: v.resized([[1, 2], [3, 4]], 3, 1),
                hot: v.oneHot(2, 3, [1, 2]),
                side: v.convSide(7, 3, 2, 1, 1),
                window: v.poolWindow([1, 0], 2),
                argmax: v.argmax([[0, 5], [5, 1]]),
                eq: v.equivarianceExercise("pool-shift", {input: [[1]], dx: 1, dy: 0}, {}),
                none: v.equivarianceExercise("output-size", {}, {}),
            };
        }"""
    )
    assert result["resized"] == [[1], [3], [0]]
    assert result["hot"] == [[0, 0, 0], [0, 0, 1]]
    assert result["side"] == 4  # ⌊(7 + 2 − 2 − 1)/2⌋ + 1
    assert result["window"] == [[2, 0], [2, 1], [3, 0], [3, 1]]
    assert result["argmax"] == [0, 1]
    assert result["eq"] == {
        "image": [[1]],
        "kernel": [[1]],
        "stride": 1,
        "dx": 1,
        "dy": 0,
        "pool": "max",
    }
    assert result["none"] is None


# -- predict first: how an exercise settles ----------------------------------------------------


def _output_size_block(page, seed: int = 7):
    page.goto(f"/convolution?ex-output-size={seed}")
    block = page.locator(f'{BLOCK}[data-exercise="output-size"]')
    expect(block).to_have_attribute("data-seed", str(seed))
    _listen(page)
    return block, check_answer("output-size", seed, "1").expected


def _check(block, text: str) -> None:
    block.locator(".answer-fields input").fill(text)
    block.locator("button.check-button").click()


def test_a_right_first_check_settles_first_try(page):
    block, right = _output_size_block(page)
    _check(block, right)
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    assert _outcomes(page) == [{"exercise": "output-size", "seed": 7, "outcome": "first-try"}]
    expect(block.locator(".exercise-progress")).to_have_text(
        "Your progress on this kind: 1 exercise right at the first try."
    )


def test_a_right_check_after_the_hint_settles_after_hint(page):
    block, right = _output_size_block(page)
    _check(block, "999")
    expect(block.locator(".reveal .verdict")).to_have_text("✗ Not quite. Try again.")
    assert _outcomes(page) == []
    _check(block, right)
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    assert _outcomes(page) == [{"exercise": "output-size", "seed": 7, "outcome": "after-hint"}]


def test_show_the_answer_after_a_wrong_check_shows_it_and_settles_shown(page):
    block, right = _output_size_block(page)
    _check(block, "999")
    expect(block.locator(".reveal .hint")).to_be_visible()
    assert block.locator(".expected").count() == 0
    block.locator("button.show-answer").click()
    expect(block.locator(".reveal strong.expected")).to_have_text(right)
    expect(block.locator(".reveal .verdict")).to_have_text("The answer, as you asked.")
    assert _outcomes(page) == [{"exercise": "output-size", "seed": 7, "outcome": "shown"}]
    _check(block, right)  # copying the shown answer is right, and changes nothing
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    assert len(_outcomes(page)) == 1


def test_a_reload_after_a_wrong_check_does_not_turn_the_next_right_one_into_a_first_try(page):
    block, right = _output_size_block(page)
    _check(block, "999")
    expect(block.locator(".reveal .verdict")).to_have_text("✗ Not quite. Try again.")
    page.reload()
    block = page.locator(f'{BLOCK}[data-exercise="output-size"]')
    expect(block).to_have_attribute("data-seed", "7")
    _listen(page)
    _check(block, right)
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    assert _outcomes(page) == [{"exercise": "output-size", "seed": 7, "outcome": "after-hint"}]


def test_a_new_exercise_starts_a_fresh_first_try(page):
    block, _ = _output_size_block(page)
    _check(block, "999")
    expect(block.locator(".reveal .verdict")).to_have_text("✗ Not quite. Try again.")
    block.locator("button.new-button").click()
    expect(block).not_to_have_attribute("data-seed", "7")
    seed = int(block.get_attribute("data-seed"))
    _check(block, check_answer("output-size", seed, "1").expected)
    expect(block.locator(".reveal .verdict")).to_have_text("✓ Right.")
    assert _outcomes(page) == [{"exercise": "output-size", "seed": seed, "outcome": "first-try"}]


# -- no spoilers: a part of a page that answers its question waits for a prediction ----------


@pytest.mark.parametrize(
    ("path", "target", "exercise_id"),
    [
        ("/equivariance", "#q5a-findings", "concept-pooling"),
        ("/parameters", '[data-answers="concept-regularization"]', "concept-regularization"),
    ],
)
def test_a_part_that_answers_a_question_opens_after_a_check(page, path, target, exercise_id):
    block = _open(page, path, exercise_id)
    gate = page.locator(f'.spoiler-gate:has(a[href="#yt-{exercise_id}"])')
    expect(gate).to_be_visible()
    expect(page.locator(target)).to_be_hidden()
    block.locator(".answer-fields input").first.check()  # any option: a prediction
    block.locator("button.check-button").click()
    expect(block.locator(".reveal .verdict")).to_be_visible()
    expect(page.locator(target)).to_be_visible()
    expect(gate).to_have_count(0)
    page.reload()  # the prediction was made: it stays open
    expect(page.locator(f"{BLOCK}[data-exercise='{exercise_id}']")).to_have_attribute(
        "data-seed", re.compile(r"\d")
    )
    expect(page.locator(target)).to_be_visible()
    assert page.locator(".spoiler-gate").count() == 0


def test_show_it_now_opens_the_part_without_a_prediction(page):
    page.goto("/parameters")
    target = page.locator('[data-answers="concept-regularization"]')
    expect(target).to_be_hidden()
    page.locator(".spoiler-gate button").click()
    expect(target).to_be_visible()
    expect(target.locator("td").first).to_contain_text("yes: penalizes")
