"""A class session in real browsers: a teacher on the projector page (/teach, 1400 × 1000) and
three students on phones (/join, 390 × 844), each in a browser context of their own, through two
rounds and a reveal against the real sessions API. Also: the QR code decodes to the join URL, a
nickname written as HTML shows as text, no student ever sees another's name, a reloaded /teach
comes back to its session, ending a session reaches every phone, and a lesson page in a
session shows its banner and reports an exercise outcome to the progress board."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers.browser import PHONE, shot

JSQR = Path(__file__).parent / "vendor" / "jsQR.js"
PROJECTOR = {"width": 1400, "height": 1000}
XSS = "<img src=x onerror=alert(1)>"
EXERCISE, SEED = "parameter-count", 7  # 64 filters of 7×7 over 16 channels: 50,240
LIVE = 5000  # ms: a question or a state change reaches a phone well within this
OPEN_1 = "Round 1 · open: students are answering"
OPEN_2 = "Round 2 · open: students are answering"
CELLS = """rows => rows.map((r) => [...r.children].map(
  (c) => c.innerText.trim().split(/\\s+/).join(' ')))"""


class Browsers:
    """Opens pages in separate contexts, each recording errors and alert() dialogs."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts = []
        self.problems: list[str] = []

    def open(self, path: str, *, phone: bool):
        options = (
            {"viewport": PHONE, "is_mobile": True, "has_touch": True}
            if phone
            else {"viewport": PROJECTOR}
        )
        context = self.browser.new_context(base_url=self.base_url, **options)
        self.contexts.append(context)
        pg = context.new_page()
        pg.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        pg.on(
            "console",
            lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        pg.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        pg.goto(path)
        return pg

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture()
def browsers(browser, base_url: str) -> Iterator[Browsers]:
    opened = Browsers(browser, base_url)
    yield opened
    problems = list(opened.problems)
    opened.close()
    assert problems == []


@pytest.fixture(scope="module")
def expected(base_url: str) -> str:
    """The right answer of the exercise asked, from the exercise's own checker."""
    answer = httpx.post(
        f"{base_url}/api/exercises/{EXERCISE}/check", json={"seed": SEED, "answer": "1"}
    )
    return answer.json()["expected"]


def start_session(browsers: Browsers):
    teacher = browsers.open("/teach", phone=False)
    teacher.locator("#session-start").click()
    code = teacher.locator("#join-code")
    expect(code).to_have_text(re.compile(r"^[A-Z2-9]{6}$"))
    return teacher, code.inner_text()


def join(browsers: Browsers, code: str, nickname: str, path: str | None = None):
    student = browsers.open(path or f"/join/{code}", phone=True)
    expect(student.locator("#join-code-input")).to_have_value(code)
    student.locator("#join-nickname").fill(nickname)
    student.locator("#join-button").click()
    expect(student.locator("#student-status")).to_have_text("Waiting for your teacher's question…")
    return student


def ask(teacher, exercise: str = EXERCISE, seed: int = SEED) -> None:
    teacher.locator("#ask-exercise").select_option(exercise)
    teacher.locator("#ask-seed").fill(str(seed))
    teacher.locator("#ask-button").click()
    expect(teacher.locator("#question-round")).to_have_text(OPEN_1)


def answer(student, text: str) -> None:
    student.locator("#session-answer").fill(text)
    student.locator("#student-question button[type=submit]").click()
    expect(student.locator("#sent-answer")).to_have_text(
        f"Sent: {text}. You can change it until the round closes."
    )


def chart_rows(teacher) -> list[list[str]]:
    """The distribution as the projector shows it: answer, then each round's share."""
    return teacher.locator("#results tbody tr").evaluate_all(CELLS)


def test_a_class_runs_two_rounds_and_a_reveal(browsers, expected):
    teacher, code = start_session(browsers)
    ada = join(browsers, code, "Ada")
    bob = join(browsers, code, "Bob", path=f"/join?code={code.lower()}")
    cy = join(browsers, code, "")
    expect(teacher.locator("#present-count")).to_have_text("3")

    ask(teacher)
    prompt = teacher.locator("#teach-prompt").inner_text()
    for student in (ada, bob, cy):
        expect(student.locator("#question-prompt")).to_have_text(prompt, timeout=LIVE)
    answer(ada, expected)
    answer(bob, f"{int(expected):,}")  # "50,240": the checker reads it as the same number
    answer(cy, "1")
    answer(cy, "3200")  # changed: only the latest answer of the round counts
    expect(teacher.locator("#answered")).to_have_text("Round 1: 3 of 3 answered")

    teacher.locator("#step-close").click()
    expect(teacher.locator("#results tbody tr")).to_have_count(2)
    assert chart_rows(teacher) == [[expected, "2 of 3 (67%)"], ["3200", "1 of 3 (33%)"]]
    assert teacher.locator("#results .is-right, #results .right-mark").count() == 0
    assert teacher.locator("#reveal").inner_text() == ""
    for student in (ada, bob, cy):
        expect(student.locator("#student-status")).to_have_text(
            "The round is closed. Look at the projector and discuss with your neighbour.",
            timeout=LIVE,
        )
        expect(student.locator("#session-answer")).to_be_disabled()

    teacher.locator("#step-revote").click()
    expect(teacher.locator("#question-round")).to_have_text(OPEN_2)
    for student in (ada, bob, cy):
        expect(student.locator("#student-round")).to_have_text("· round 2", timeout=LIVE)
        expect(student.locator("#session-answer")).to_be_enabled()
    answer(ada, expected)
    answer(bob, f"{expected}.0")
    answer(cy, expected)
    expect(teacher.locator("#answered")).to_have_text("Round 2: 3 of 3 answered")
    teacher.locator("#step-close").click()
    expect(teacher.locator("#results thead th")).to_have_count(3)
    assert teacher.locator("#results thead th").all_inner_texts() == [
        "Answer",
        "Round 1 · 3 answered",
        "Round 2 · 3 answered",
    ]
    assert chart_rows(teacher) == [
        [expected, "2 of 3 (67%)", "3 of 3 (100%)"],
        ["3200", "1 of 3 (33%)", "0 of 3 (0%)"],
    ]
    assert teacher.locator("#results .is-right").count() == 0
    shot(teacher, "session-projector-round-2")

    teacher.locator("#step-reveal").click()
    expect(teacher.locator("#reveal .reveal-answer")).to_have_text(expected)
    right = teacher.locator("#results tr.is-right .answer-label")
    expect(right).to_have_text(f"{expected} ✓ right")
    explanation = teacher.locator("#reveal .explanation").inner_text()
    assert "64·(16·7·7 + 1) = 50,240" in explanation
    for student in (ada, bob, cy):
        shown = student.locator("#student-reveal .reveal-answer")
        expect(shown).to_have_text(expected, timeout=LIVE)
        expect(student.locator("#student-reveal .explanation")).to_have_text(explanation)
        link = student.locator("#student-reveal a.lesson-link")
        assert link.get_attribute("href") == f"/parameters?ex-{EXERCISE}={SEED}#yt-{EXERCISE}"
    shot(ada, "session-phone-reveal")
    shot(teacher, "session-projector-reveal")


def test_an_experiment_prediction_is_asked_as_a_choice_without_a_seed(browsers):
    teacher, code = start_session(browsers)
    student = join(browsers, code, "")
    teacher.locator("#ask-exercise").select_option("experiment-generalization")
    expect(teacher.locator("#ask-seed")).to_be_disabled()
    teacher.locator("#ask-button").click()
    expect(teacher.locator("#question-round")).to_have_text(OPEN_1)
    keys = teacher.locator("#question-view .choice-list li").evaluate_all(
        "items => items.map((li) => li.dataset.key)"
    )
    assert keys == ["A", "B", "C"]  # the experiments page's own three options
    radios = student.locator("#student-question input[type=radio]")
    expect(radios).to_have_count(3, timeout=LIVE)
    student.locator("#session-opt-B").check()
    student.locator("#student-question button[type=submit]").click()
    expect(student.locator("#sent-answer")).to_have_text(
        "Sent: B. You can change it until the round closes."
    )
    expect(teacher.locator("#answered")).to_have_text("Round 1: 1 of 1 answered")


def test_the_export_link_saves_the_sessions_results_as_csv(browsers, expected):
    teacher, code = start_session(browsers)
    student = join(browsers, code, "Ada")
    ask(teacher)
    answer(student, expected)
    teacher.locator("#step-close").click()
    expect(teacher.locator("#results tbody tr")).to_have_count(1)
    with teacher.expect_download() as download:
        teacher.locator("#export-csv").click()
    assert download.value.suggested_filename == f"convlab-session-{code}.csv"
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "question,exercise,seed,title,round,answered,correct,fraction_right,answer,count,"
        "answer_correct"
    )
    row = lines[1].split(",")  # the title has no comma
    assert row[1:3] == [EXERCISE, str(SEED)]
    assert row[4:] == ["1", "1", "1", "1.000", expected, "1", "true"]
    assert "Ada" not in "\n".join(lines)


def test_a_phone_whose_event_stream_ends_reconnects_and_gets_the_question(browsers):
    teacher, code = start_session(browsers)
    student = browsers.open(f"/join/{code}", phone=True)
    streams: list[str] = []

    def first_stream_ends_at_once(route):
        streams.append(route.request.url)
        if len(streams) == 1:  # a proxy that cut the connection: the body ends at once
            route.fulfill(status=200, content_type="text/event-stream", body=": bye\n\n")
        else:
            route.continue_()

    student.route("**/events", first_stream_ends_at_once)
    student.locator("#join-button").click()
    expect(student.locator("#student-status")).to_have_text(
        "Waiting for your teacher's question…", timeout=LIVE
    )
    ask(teacher)
    prompt = teacher.locator("#teach-prompt").inner_text()
    expect(student.locator("#question-prompt")).to_have_text(prompt, timeout=LIVE)
    assert len(streams) == 2


@pytest.mark.parametrize("width", [1024, 390])
def test_the_projector_with_a_question_and_its_bars_never_scrolls_sideways(browsers, width):
    teacher, code = start_session(browsers)
    teacher.set_viewport_size({"width": width, "height": 800})
    student = join(browsers, code, "A nickname of forty characters, exactly")
    ask(teacher, "conv-output-value", 3)  # a prompt with two matrices
    answer(student, "12345678901234567890")
    teacher.locator("#step-close").click()
    expect(teacher.locator("#results tbody tr")).to_have_count(1)
    scroll_width = teacher.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width


def test_the_teacher_steps_through_a_question_from_the_keyboard(browsers):
    teacher, code = start_session(browsers)
    join(browsers, code, "")
    ask(teacher)
    focused = "() => document.activeElement.id"
    teacher.locator("#step-close").focus()
    teacher.keyboard.press("Enter")
    expect(teacher.locator("#step-revote")).to_be_focused()
    teacher.keyboard.press("Enter")
    expect(teacher.locator("#step-close")).to_be_focused()
    teacher.keyboard.press("Enter")
    expect(teacher.locator("#step-reveal")).to_be_focused()
    teacher.keyboard.press("Enter")
    expect(teacher.locator("#reveal .reveal-answer")).to_be_visible()
    assert teacher.evaluate(focused) == "ask-exercise"


def test_the_qr_code_holds_the_join_url(browsers):
    teacher, code = start_session(browsers)
    url = teacher.locator("#join-url").get_attribute("href")
    assert url.endswith(f"/join?code={code}")
    teacher.evaluate(JSQR.read_text(encoding="utf-8"))  # by the driver: not under the CSP
    decoded = teacher.evaluate(
        """() => {
          const canvas = document.getElementById("join-qr");
          const big = document.createElement("canvas");
          big.width = big.height = canvas.width * 6;
          const ctx = big.getContext("2d");
          ctx.imageSmoothingEnabled = false;
          ctx.drawImage(canvas, 0, 0, big.width, big.height);
          const pixels = ctx.getImageData(0, 0, big.width, big.height).data;
          return jsQR(pixels, big.width, big.height)?.data;
        }"""
    )
    assert decoded == url


def test_a_nickname_written_as_html_shows_as_text_on_the_projector(browsers):
    teacher, code = start_session(browsers)
    join(browsers, code, XSS)
    names = teacher.locator("#participants li")
    expect(names).to_have_text([XSS])
    assert teacher.locator("#participants img").count() == 0


def test_a_student_never_sees_another_students_nickname(browsers, expected):
    teacher, code = start_session(browsers)
    ada = join(browsers, code, "Ada Lovelace")
    bob = join(browsers, code, "Bob Marley")
    bodies: list[str] = []
    # every API answer Bob's page reads (the event stream is checked through the page itself)
    bob.on(
        "response",
        lambda r: bodies.append(r.text()) if "/api/" in r.url and "/events" not in r.url else None,
    )
    ask(teacher)
    expect(bob.locator("#question-prompt")).not_to_be_empty(timeout=LIVE)
    answer(ada, expected)
    bob.reload()
    expect(bob.locator("#question-prompt")).not_to_be_empty(timeout=LIVE)
    assert "Ada Lovelace" not in bob.content()
    assert not any("Ada Lovelace" in body for body in bodies)


def test_a_reloaded_projector_comes_back_to_its_session(browsers, expected):
    teacher, code = start_session(browsers)
    student = join(browsers, code, "Ada")
    ask(teacher)
    answer(student, expected)
    teacher.reload()
    expect(teacher.locator("#join-code")).to_have_text(code)
    expect(teacher.locator("#present-count")).to_have_text("1")
    expect(teacher.locator("#question-round")).to_have_text(OPEN_1)
    expect(teacher.locator("#answered")).to_have_text("Round 1: 1 of 1 answered")


def test_a_reloaded_phone_shows_the_answer_it_sent(browsers):
    teacher, code = start_session(browsers)
    student = join(browsers, code, "")
    ask(teacher)
    answer(student, "123")
    student.reload()
    expect(student.locator("#session-answer")).to_have_value("123")
    expect(student.locator("#sent-answer")).to_have_text(
        "Sent: 123. You can change it until the round closes."
    )


def test_an_answer_refused_as_busy_is_sent_again_after_retry_after(browsers):
    teacher, code = start_session(browsers)
    student = join(browsers, code, "")
    log: list[str] = []

    def busy_once(route) -> None:  # the worker's concurrency limit, as app/middleware.py answers
        if not log:
            log.append("503")
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"detail": "server busy: 32 requests already in progress"}',
            )
        else:
            log.append("pass")
            route.continue_()

    student.route(re.compile(r"/questions/\d+/answers$"), busy_once)
    ask(teacher)
    answer(student, "123")
    assert log == ["503", "pass"]
    teacher.locator("#step-close").click()
    expect(teacher.locator("#results")).to_contain_text("123")
    # the browser logs the 503 resource as a console error: that one is the test's own doing
    browsers.problems[:] = [p for p in browsers.problems if "503" not in p]


def test_ending_the_session_reaches_every_phone_and_forgets_it(browsers):
    teacher, code = start_session(browsers)
    student = join(browsers, code, "Ada")
    teacher.locator("#session-end").click()
    teacher.locator("#end-confirm").click()
    expect(teacher.locator("#start-status")).to_have_text(
        "Session ended: its answers, nicknames and progress are deleted."
    )
    expect(student.locator("#student-status")).to_have_text(
        "This session has ended. Thank you!", timeout=LIVE
    )
    teacher.reload()
    expect(teacher.locator("#session-start")).to_be_visible()
    expect(teacher.locator("#teach-board")).to_be_hidden()
    # a request already in flight when the session was deleted (the projector's progress poll, a
    # stream's reconnect) is answered 404, which the pages read as "ended" and Chromium logs
    # as a console error: the race is the server's correct answer, not a page error
    browsers.problems[:] = [p for p in browsers.problems if "404 (Not Found)" not in p]


def test_a_lesson_page_in_a_session_reports_an_outcome_to_the_progress_board(browsers, axe):
    teacher, code = start_session(browsers)
    student = join(browsers, code, "Ada")
    student.goto("/parameters")
    banner = student.locator(".session-banner")
    expect(banner).to_have_text(f"In class session {code} · leave")
    assert axe(student) == []
    student.evaluate(
        """() => document.dispatchEvent(new CustomEvent("convlab:exercise-outcome", {
             detail: { exercise: "parameter-count", seed: 7, outcome: "after-hint" } }))"""
    )
    row = teacher.locator('#progress-board tr[data-exercise="parameter-count"] td.num')
    expect(row).to_have_text(["0", "1", "0", "0"], timeout=15_000)


def test_leaving_from_the_banner_removes_it(browsers):
    _, code = start_session(browsers)
    student = join(browsers, code, "")
    student.goto("/convolution")
    student.locator(".session-banner button").click()
    expect(student.locator(".session-banner")).to_have_count(0)
    student.reload()
    expect(student.locator(".session-banner")).to_have_count(0)


def test_the_projector_with_a_distribution_has_no_serious_accessibility_violations(
    browsers, axe, expected
):
    teacher, code = start_session(browsers)
    student = join(browsers, code, "Ada")
    ask(teacher)
    answer(student, expected)
    assert axe(student) == []
    teacher.locator("#step-close").click()
    expect(teacher.locator("#results tbody tr")).to_have_count(1)
    assert axe(teacher) == []
