"""Take the README's screenshots from a running server, in headless Chromium.

    convlab serve --port 8000 &
    python docs/screenshots.py --url http://127.0.0.1:8000

Writes, at 1400×1000 unless said otherwise:
  docs/screenshot-convolution.png  the Convolution page, Y₁₁ explained (first screen)
  docs/screenshot-matrix.png       the same X and K as the matrix M, on the same weight colours
  docs/screenshot-backward.png     the Backward lesson, ∂L/∂X₂₂ term by term and the full
                                   convolution view (from the lesson's heading down)
  docs/screenshot-mnist.png        the MNIST page with the sample 3 drawn (first screen)
  docs/screenshot-experiments.png  the Experiments page: the shipped sweep and a small run
                                   (N = 300, 4 epochs, about 10 s of CPU) trained from the page
  docs/screenshot-phone.png        the MNIST page on a 390×844 phone, its first two screens
  docs/screenshot-teach.png        the projector page of a class session: 24 students, round 1
                                   beside round 2 of an output-size question, nothing revealed
  docs/screenshot-join.png         a student's phone in that session, answer sent (390×844)

`--only sessions` takes just the last two (students other than the phone join through the API).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

DOCS = Path(__file__).resolve().parent


def settle(page: Page, ms: int = 400) -> None:
    """Wait until the page's requests are answered, then a little for the last repaint."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(ms)


def from_heading(page: Page, height: int) -> dict:
    """A clip of the whole page (page coordinates) from just above its h1 down `height` px."""
    top = (
        page.evaluate(
            "document.querySelector('main h1').getBoundingClientRect().top + window.scrollY"
        )
        - 12
    )
    return {"x": 0, "y": top, "width": 1400, "height": height}


def convolution(page: Page) -> None:
    page.goto("/convolution")
    settle(page)
    page.locator("#output-grid .cell").first.hover()
    page.locator("#explain-text").filter(has_text="Y₁₁").wait_for()
    page.screenshot(path=DOCS / "screenshot-convolution.png")


def matrix(page: Page) -> None:
    page.goto("/matrix")
    page.locator("#matrix-check").filter(has_text="Check").wait_for()
    settle(page)
    page.screenshot(
        path=DOCS / "screenshot-matrix.png", full_page=True, clip=from_heading(page, 1000)
    )


def backward(page: Page) -> None:
    page.goto("/backward")
    page.locator("#bw-dx .cell[title]").first.wait_for()
    page.locator("#bw-full").check()
    settle(page)
    page.locator('#bw-dx .cell[data-row="1"][data-col="1"]').hover()
    page.locator("#bw-explain").filter(has_text="X₂₂").wait_for()
    page.wait_for_timeout(300)
    page.screenshot(
        path=DOCS / "screenshot-backward.png", full_page=True, clip=from_heading(page, 1430)
    )


def mnist(page: Page) -> None:
    page.goto("/mnist")
    settle(page)
    page.get_by_role("button", name="Draw the sample").click()
    page.locator("#prediction[data-label]").wait_for()
    settle(page, 600)
    page.screenshot(path=DOCS / "screenshot-mnist.png")


def experiments(page: Page) -> None:
    page.goto("/experiments")
    settle(page)
    page.locator("#cfg-train-size").fill("300")
    page.locator("#cfg-epochs").fill("4")
    page.get_by_label("CNN", exact=True).first.check()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Done", exact=False).first.wait_for(timeout=120_000)
    settle(page, 600)
    page.screenshot(
        path=DOCS / "screenshot-experiments.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1400, "height": 1420},
    )


def phone(browser, url: str) -> None:
    context = browser.new_context(
        base_url=url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto("/mnist")
    settle(page)
    page.get_by_role("button", name="Draw the sample").click()
    page.locator("#prediction[data-label]").wait_for()
    settle(page, 600)
    page.screenshot(
        path=DOCS / "screenshot-phone.png",
        clip={"x": 0, "y": 0, "width": 390, "height": 1500},
        full_page=True,
    )
    context.close()


def sessions(browser, url: str) -> None:
    """A class of 24: the teacher's projector and one student's phone in browsers, the other 23
    through the API, with the answers a room gives (equivalent spellings grouped by the server)."""
    teacher = browser.new_context(base_url=url, viewport={"width": 1400, "height": 1000}).new_page()
    teacher.goto("/teach")
    teacher.locator("#session-start").click()
    code = teacher.locator("#join-code")
    code.wait_for()
    expect(code).not_to_be_empty()
    code = code.inner_text()
    phone_context = browser.new_context(
        base_url=url, viewport={"width": 390, "height": 844}, device_scale_factor=2,
        is_mobile=True, has_touch=True,
    )  # fmt: skip
    student = phone_context.new_page()
    student.goto(f"/join/{code}")
    student.locator("#join-nickname").fill("Ada")
    student.locator("#join-button").click()
    names = ["Ben", "Chloé", "Dev", "", "Emil", "Fatima", "", "Gus", "Hana", "Ines", "", "Jon",
             "Kofi", "Lena", "", "Mo", "Nia", "Omar", "", "Pia", "Quinn", "Rosa", ""]  # fmt: skip
    tokens = [
        httpx.post(f"{url}/api/sessions/{code}/join", json={"nickname": n or None}).json()[
            "participant_token"
        ]
        for n in names
    ]
    teacher.locator("#ask-exercise").select_option("output-size")
    teacher.locator("#ask-seed").fill("7")
    teacher.locator("#ask-button").click()
    question = teacher.locator("#question-round")
    expect(question).to_have_text("Round 1 · open: students are answering")
    expected = int(
        httpx.post(
            f"{url}/api/exercises/output-size/check", json={"seed": 7, "answer": "1"}
        ).json()["expected"]
    )
    e = expected
    first = [
        f"{e}",
        f"{e}x{e}",
        f"{e + 1}",
        f"{e} × {e}",
        f"{e - 1}",
        f"{e + 1}",
        f"{e}",
        f"{e + 2}",
        f"{e + 1}",
        f"{e}",
        f"{e - 1}",
        f"{e + 1}",
        f"{e}",
        f"{e + 2}",
        f"{e}",
        f"{e + 1}",
        f"{e - 1}",
        f"{e}",
        f"{e + 1}",
        f"{e}",
        f"{e + 1}",
        f"{e}",
        f"{e + 2}",
    ]
    second = [f"{e}", f"{e}x{e}", f"{e}", f"{e} × {e}", f"{e - 1}", f"{e + 1}", f"{e}", f"{e}",
              f"{e}", f"{e}", f"{e}", f"{e + 1}", f"{e}", f"{e}", f"{e}", f"{e}", f"{e - 1}",
              f"{e}", f"{e}", f"{e}", f"{e + 1}", f"{e}", f"{e}"]  # fmt: skip
    state = httpx.get(f"{url}/api/sessions/{code}", headers=_bearer(tokens[0])).json()
    qid = state["current"]["id"]
    for token, text in zip(tokens, first, strict=True):
        httpx.post(f"{url}/api/sessions/{code}/questions/{qid}/answers", json={"answer": text},
                   headers=_bearer(token))  # fmt: skip
    student.locator("#session-answer").fill(f"{e + 1}")
    student.locator("#student-question button[type=submit]").click()
    expect(student.locator("#sent-answer")).not_to_be_empty()
    student.wait_for_timeout(500)  # the event stream never lets the network idle
    student.screenshot(path=DOCS / "screenshot-join.png")
    expect(teacher.locator("#answered")).to_have_text("Round 1: 24 of 24 answered")
    teacher.locator("#step-close").click()
    teacher.locator("#step-revote").click()
    expect(question).to_have_text("Round 2 · open: students are answering")
    for token, text in zip(tokens, second, strict=True):
        httpx.post(f"{url}/api/sessions/{code}/questions/{qid}/answers", json={"answer": text},
                   headers=_bearer(token))  # fmt: skip
    student.locator("#session-answer").fill(f"{e}")
    student.locator("#student-question button[type=submit]").click()
    expect(teacher.locator("#answered")).to_have_text("Round 2: 24 of 24 answered")
    teacher.locator("#step-close").click()
    expect(teacher.locator("#results thead th")).to_have_count(3)
    teacher.evaluate("() => window.scrollTo(0, 0)")
    teacher.wait_for_timeout(800)
    teacher.screenshot(path=DOCS / "screenshot-teach.png")
    teacher.once("dialog", lambda d: d.accept())
    teacher.locator("#session-end").click()
    teacher.locator("#end-confirm").click()
    phone_context.close()
    teacher.context.close()


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--only", choices=["sessions"], help="take only these screenshots")
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        if args.only != "sessions":
            desktop = browser.new_context(
                base_url=args.url, viewport={"width": 1400, "height": 1000}
            )
            page = desktop.new_page()
            for take in (convolution, matrix, backward, mnist, experiments):
                take(page)
            desktop.close()
            phone(browser, args.url)
        sessions(browser, args.url)
        browser.close()


if __name__ == "__main__":
    main()
