"""How the pages talk to a busy server (static/js/api.js and the MNIST page's pacing), in a real
Chromium: a 503 is retried after its Retry-After and the page recovers by itself, a stale
request's answer or error never overwrites a newer one, and drawing sends a bounded rate of
light updates and one full update at stroke end."""

from __future__ import annotations

import re

from playwright.sync_api import expect

BUSY_BODY = '{"detail": "server busy: 32 requests already in progress"}'


def _busy_first(page, pattern: str, times: int) -> list[str]:
    """Answer the first `times` requests matching `pattern` with the server's 503 + Retry-After
    (as app/middleware.py sends it), then let them through; returns the log of what happened."""
    log: list[str] = []

    def handle(route):
        if len(log) < times:
            log.append("503")
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=BUSY_BODY,
            )
        else:
            log.append("pass")
            route.continue_()

    page.route(re.compile(pattern), handle)
    return log


def test_busy_server_is_retried_and_the_page_recovers_on_its_own(page):
    log = _busy_first(page, r"/api/conv2d$", 2)
    page.goto("/convolution")
    notice = page.locator("#api-status")
    expect(notice).to_have_text("Server busy, retrying…")
    expect(notice).to_have_text("Back: answered after 2 retries.", timeout=10_000)
    expect(page.locator("#output-shape")).not_to_have_text("")
    assert log[:3] == ["503", "503", "pass"]
    expect(page.locator("#output-error")).to_have_text("")
    # the browser logs a 503 resource as a console error; that is the test's own doing
    page.problems[:] = [p for p in page.problems if "503" not in p]


def test_retry_waits_retry_after_then_doubles_with_jitter(page):
    page.goto("/")
    delays = page.evaluate(
        """async () => {
          const api = await import('/static/js/api.js');
          return [0, 1, 2, 3, 4].map((n) => [api.retryDelay(n, '1', () => 0),
                                             api.retryDelay(n, '2', () => 0.999)]);
        }"""
    )
    assert delays[0] == [1000, 2000 * 1.4995]
    assert [d[0] for d in delays] == [1000, 2000, 4000, 8000, 8000]  # capped at 8 s
    assert delays[4][1] == 8000 * 1.4995


def test_stale_request_error_does_not_overwrite_newer_answer(page):
    page.goto("/")
    result = page.evaluate(
        """async () => {
          const { LatestOnly } = await import('/static/js/api.js');
          const latest = new LatestOnly();
          let firstSignal = null;
          const slowFailure = latest.run((signal) => {
            firstSignal = signal;
            return new Promise((_, reject) => setTimeout(() => reject(new Error('old')), 150));
          });
          const fastSuccess = latest.run(async () => 'new');
          return [await slowFailure, await fastSuccess, firstSignal.aborted];
        }"""
    )
    assert result == [{"stale": True}, {"stale": False, "value": "new"}, True]


def test_newest_request_error_is_still_reported(page):
    page.goto("/")
    message = page.evaluate(
        """async () => {
          const { LatestOnly } = await import('/static/js/api.js');
          try {
            await new LatestOnly().run(async () => { throw new Error('bad kernel'); });
            return 'no error';
          } catch (error) { return error.message; }
        }"""
    )
    assert message == "bad kernel"


def test_mnist_page_recovers_from_busy_answers_without_the_student(page):
    log = _busy_first(page, r"/api/mnist/activations$", 2)
    page.goto("/mnist")
    page.get_by_role("button", name="Draw the sample").click()  # the sample 3
    expect(page.locator("#prediction")).to_have_attribute("data-label", "3", timeout=15_000)
    expect(page.locator("#pad-error")).to_have_text("")
    assert log[:3] == ["503", "503", "pass"]
    page.problems[:] = [p for p in page.problems if "503" not in p]


def test_drawing_sends_paced_light_updates_and_one_full_update_at_stroke_end(page):
    page.goto("/mnist")
    interval = page.evaluate(
        "async () => (await import('/static/js/lessons/mnist/page.js')).LIVE_INTERVAL_MS"
    )
    previews: list[bool] = []
    page.on(
        "request",
        lambda r: (
            previews.append(r.post_data_json["previews"])
            if r.url.endswith("/api/mnist/activations")
            else None
        ),
    )
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + 140, box["y"] + 40)
    page.mouse.down()
    started = page.evaluate("performance.now()")
    for i in range(60):  # about 1.5 s of drawing
        page.mouse.move(box["x"] + 140 + (i % 7), box["y"] + 40 + 3 * i)
        page.wait_for_timeout(25)
    page.mouse.up()
    drawing_ms = page.evaluate("performance.now()") - started
    expect(page.locator("#prediction")).to_have_attribute("data-label", re.compile(r"\d"))
    # the label may be a live answer's: wait until the stroke end's full answer is painted
    page.wait_for_function(
        "name => performance.getEntriesByName(name, 'measure').length > 0",
        arg="convlab:stroke-end→maps",
    )
    page.wait_for_timeout(300)
    # when each request started, by the browser's clock (resource timing)
    starts = page.evaluate(
        """() => performance.getEntriesByType('resource')
          .filter((e) => e.name.endsWith('/api/mnist/activations')).map((e) => e.startTime)"""
    )
    assert len(starts) == len(previews)
    assert previews[-1] is True and previews.count(True) == 1, previews  # one full, at the end
    live = starts[:-1]
    assert 2 <= len(live) <= drawing_ms / interval + 1, (len(live), drawing_ms)
    gaps = [b - a for a, b in zip(live, live[1:], strict=False)]
    # the page paces the moment it decides to send; the fetch starts a little later (the PNG is
    # encoded in between, and a busy machine delays either), so one start may sit well under the
    # interval after a late one. On average they keep the interval; unpaced, they would sit one
    # mouse move (25 ms) apart.
    assert sum(gaps) / len(gaps) >= interval - 20, gaps
    assert min(gaps) >= interval / 2, gaps
