"""The lab base (static/js/lab.js) and the DOM helpers (static/js/dom.js), run in a real
Chromium: a paced lab sends at most one computation per interval with one in flight and the
newest waiting one wins, now() replaces the waiting one, whenIdle() waits for the one in
flight; el() sets properties (style as CSS text), and attributes for role, aria-* and data-*."""

from __future__ import annotations

import pytest


@pytest.fixture()
def lab(page):
    page.goto("/")
    return page


def run(pg, body: str):
    """Evaluate `body` with lab.js imported as `L`; `log(name, ms)` makes a task that records
    when it starts (ms after the call) and takes `ms` to finish; `wait(ms)` sleeps."""
    return pg.evaluate(
        f"""async () => {{
          const L = await import("/static/js/lab.js");
          const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
          const t0 = performance.now();
          const started = [];
          const log = (name, ms = 0) => async () => {{
            started.push([name, Math.round(performance.now() - t0)]);
            await wait(ms);
          }};
          {body}
        }}"""
    )


def test_paced_lab_runs_the_first_at_once_and_only_the_newest_waiting_one_after_the_interval(lab):
    started = run(
        lab,
        """const lab = new L.Lab({ intervalMs: 200 });
        lab.paced(log("a")); lab.paced(log("b")); lab.paced(log("c"));
        await wait(450);
        return started;""",
    )
    assert [name for name, _ in started] == ["a", "c"]
    assert started[0][1] < 100
    assert started[1][1] >= 195


def test_paced_lab_starts_nothing_while_a_computation_is_in_flight(lab):
    started = run(
        lab,
        """const lab = new L.Lab();
        lab.paced(log("slow", 250));
        await wait(20);
        lab.paced(log("next"));
        await wait(400);
        return started;""",
    )
    assert [name for name, _ in started] == ["slow", "next"]
    assert started[1][1] >= 245


def test_now_replaces_the_waiting_paced_computation_and_starts_at_once(lab):
    started = run(
        lab,
        """const lab = new L.Lab({ intervalMs: 300 });
        lab.paced(log("live", 200));
        lab.paced(log("waiting"));
        lab.now(log("full"));
        await wait(700);
        return started;""",
    )
    assert [name for name, _ in started] == ["live", "full"]
    assert started[1][1] < 100


def test_when_idle_waits_for_the_computation_in_flight(lab):
    started = run(
        lab,
        """const lab = new L.Lab();
        lab.now(log("full", 200));
        lab.whenIdle(log("scan"));
        await wait(400);
        lab.whenIdle(log("scan again"));
        return started;""",
    )
    assert [name for name, _ in started] == ["full", "scan", "scan again"]
    assert started[1][1] >= 195
    assert started[2][1] >= 395


def test_el_sets_role_aria_and_data_as_attributes_and_the_rest_as_properties(lab):
    html = lab.evaluate(
        """async () => {
          const { el } = await import("/static/js/dom.js");
          const node = el("button", { type: "button", className: "b", role: "tab",
            "aria-pressed": false, "data-index": 3, textContent: "go", disabled: true });
          const bar = el("span", { style: "width: 12.5%" });
          return [node.outerHTML, node.dataset.index, node.disabled, bar.style.width];
        }"""
    )
    assert html == [
        '<button type="button" class="b" role="tab" aria-pressed="false" data-index="3" '
        'disabled="">go</button>',
        "3",
        True,
        "12.5%",
    ]


def test_table_row_makes_the_first_cell_a_row_header(lab):
    html = lab.evaluate(
        """async () => {
          const { tableRow } = await import("/static/js/dom.js");
          return [tableRow(["CNN", "97.4 %"]).outerHTML,
                  tableRow(["model", "accuracy"], "th").outerHTML];
        }"""
    )
    assert html == [
        '<tr><th scope="row">CNN</th><td>97.4 %</td></tr>',
        '<tr><th scope="col">model</th><th scope="col">accuracy</th></tr>',
    ]
