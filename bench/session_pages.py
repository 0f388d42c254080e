"""How fast the class-session pages show a question: a teacher's /teach in one headless Chromium
context and N phones on /join in others; per question, the time from the teacher's click on Ask
to every phone showing the prompt (the whole path: POST, database, event poll, SSE, rendering).

    convlab serve --port 8000 &
    python bench/session_pages.py --url http://127.0.0.1:8000 --phones 3 --questions 10

Prints each latency, the median and the maximum, in seconds (wall clock: quote the load too).
The 300-student figures of the API alone are the load bench's, not this script's.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time

from playwright.sync_api import expect, sync_playwright


def _asks(response) -> bool:
    return response.url.endswith("/questions") and response.request.method == "POST"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--phones", type=int, default=3, help="students' browser contexts")
    parser.add_argument("--questions", type=int, default=10, help="questions asked in a row")
    args = parser.parse_args()
    with sync_playwright() as pw:
        chromium = shutil.which("chromium")
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        desktop = browser.new_context(base_url=args.url, viewport={"width": 1400, "height": 1000})
        teacher = desktop.new_page()
        teacher.goto("/teach")
        teacher.locator("#session-start").click()
        code = teacher.locator("#join-code")
        expect(code).not_to_be_empty()
        phones = []
        for _ in range(args.phones):
            context = browser.new_context(
                base_url=args.url, viewport={"width": 390, "height": 844}, is_mobile=True
            )
            phone = context.new_page()
            phone.goto(f"/join/{code.inner_text()}")
            phone.locator("#join-button").click()
            expect(phone.locator("#student-status")).to_have_text(
                "Waiting for your teacher's question…"
            )
            phones.append(phone)
        latencies = []
        blank = "() => { document.getElementById('question-prompt').textContent = '' }"
        for seed in range(args.questions):
            teacher.locator("#ask-exercise").select_option("parameter-count")
            teacher.locator("#ask-seed").fill(str(100 + seed))
            for phone in phones:  # blank the old prompt: two questions may read the same
                phone.evaluate(blank)
            start = time.monotonic()
            with teacher.expect_response(_asks) as response:
                teacher.locator("#ask-button").click()
            assert response.value.status == 201, response.value.text()
            for phone in phones:  # only a new question draws a prompt again
                expect(phone.locator("#question-prompt")).not_to_have_text("", timeout=10_000)
            latencies.append(time.monotonic() - start)
        print("Ask → every phone shows the prompt (s):", [round(x, 2) for x in latencies])
        print(f"median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s")
        teacher.locator("#session-end").click()
        teacher.locator("#end-confirm").click()
        browser.close()


if __name__ == "__main__":
    main()
