"""The experiments page (Q1, Q6c–d) in a real Chromium against the real API: the shipped
reference, a small run trained from the page with live progress, its table and summary equal
to the API's answer, predict-first, a reload that comes back with the same state, Cancel, and
the page on a 390-px phone."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from tests.deploy.server import serving
from tests.helpers.browser import checked_page, shot

# a small run: quick on this machine, still three models and two epochs of live progress
SMALL = {"train_size": 100, "epochs": 2}


@pytest.fixture(scope="module")
def experiments(base_url: str) -> dict[str, dict]:
    answer = httpx.get(f"{base_url}/api/experiments", timeout=30)
    assert answer.status_code == 200
    return {e["id"]: e for e in answer.json()}


@pytest.fixture()
def phone_page(browser, base_url: str) -> Iterator[object]:
    """A fresh 390×844 touch page (a phone), checked like `page`."""
    yield from checked_page(
        browser, viewport={"width": 390, "height": 844}, has_touch=True, base_url=base_url
    )


def _api_result(base_url: str, experiment: str, config: dict) -> dict:
    """The same run through the JSON API (the cache answers once the page has trained it)."""
    answer = httpx.post(
        f"{base_url}/api/experiments/{experiment}/runs",
        json=config,
        headers={"Accept": "application/json"},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _percent(fraction: float) -> str:
    text = f"{100 * fraction:.1f}"
    return f"{'0.0' if text == '-0.0' else text.replace('-', '−')} %"


def _with_interval(model: dict) -> str:
    low, high = model["test_accuracy_interval"]
    return f"{_percent(model['test_accuracy'])} ({100 * low:.1f}–{100 * high:.1f})"


def _outcome(result: dict, chosen: str) -> str:
    """The reveal's verdict: a tie (no verdict) when the choice and the best are inside each
    other's 95 % intervals, as the page and the API's summaries decide."""
    best = max(result["models"], key=lambda m: m["test_accuracy"])
    pick = next(m for m in result["models"] if m["name"] == chosen)

    def inside(x: float, interval: list[float]) -> bool:
        return interval[0] <= x <= interval[1]

    if pick is best:
        others = [m for m in result["models"] if m is not best]
        tied = any(
            inside(m["test_accuracy"], best["test_accuracy_interval"])
            or inside(best["test_accuracy"], m["test_accuracy_interval"])
            for m in others
        )
        return "none" if tied else "right"
    tie = inside(pick["test_accuracy"], best["test_accuracy_interval"]) or inside(
        best["test_accuracy"], pick["test_accuracy_interval"]
    )
    return "none" if tie else "wrong"


def _set_config(page, values: dict) -> None:
    for name, value in values.items():
        page.locator(f"#cfg-{name.replace('_', '-')}").fill(str(value))


def _record_statuses(page) -> None:
    """Keep every text the run status shows (progress comes and goes quickly)."""
    page.evaluate(
        """() => {
          window.statuses = [];
          const status = document.getElementById("run-status");
          new MutationObserver(() => window.statuses.push(status.textContent))
            .observe(status, { childList: true, characterData: true, subtree: true });
        }"""
    )


def test_reference_plots_show_the_shipped_sweep(page, experiments):
    reference = experiments["generalization"]["reference"]
    page.goto("/experiments")
    page.get_by_role("button", name="Show the reference now").click()
    plot = page.locator("#ref-accuracy svg")
    expect(plot.locator(".series polyline")).to_have_count(len(reference["models"]))
    # the curves carry their names at their ends, not only a colour
    labels = plot.locator(".direct-label").all_text_contents()  # SVG text: no innerText
    fc = "FC + L2" if reference["configs"][0]["weight_decay"] > 0 else "FC"
    assert sorted(labels) == sorted(
        {"cnn": "CNN", "lc": "LC", "fc": fc}[m] for m in reference["models"]
    )
    dashes = [
        plot.locator(f".model-{m} polyline").get_attribute("stroke-dasharray")
        for m in reference["models"]
    ]
    assert len(set(dashes)) == len(dashes), dashes
    # one point per N, with its error bar, on a log axis labelled with the sweep's N
    ticks = plot.locator(".tick").all_text_contents()
    for n in reference["train_sizes"]:
        assert f"{n:,}" in ticks
    expect(page.locator("#reference-summary")).to_have_text(reference["summary"])
    expect(page.locator("#ref-shift svg .series polyline")).to_have_count(len(reference["models"]))
    page.get_by_role("tab", name="Where convolution fails").click()
    page.get_by_role("button", name="Show the reference now").click()
    limits = experiments["limits"]["reference"]
    expect(page.locator("#ref-limits-table tbody tr")).to_have_count(len(limits["tasks"]))
    expect(page.locator("#reference-summary")).to_have_text(limits["summary"])
    page.get_by_role("tab", name="Weight decay").press("ArrowRight")  # arrow keys move on
    expect(page.get_by_role("tab", name="CNN, LC or dense")).to_have_attribute(
        "aria-selected", "true"
    )
    page.get_by_role("tab", name="Weight decay").click()
    page.get_by_role("button", name="Show the reference now").click()
    decay = experiments["weight-decay"]["reference"]
    expect(page.locator("#ref-shrink-table tbody tr")).to_have_count(len(decay["lambdas"]))
    expect(page.locator("#reference-summary")).to_have_text(decay["summary"])
    shot(page, "experiments-reference-weight-decay")


def test_a_run_from_the_page_shows_progress_then_the_apis_result(page, base_url, experiments):
    config = {**experiments["generalization"]["defaults"], **SMALL, "seed": 11}
    page.goto("/experiments")
    expect(page.locator("#cfg-train-size")).to_be_visible()
    _set_config(page, {"train_size": config["train_size"], "epochs": config["epochs"], "seed": 11})
    page.locator(".prediction-options").get_by_label("CNN", exact=True).check()
    _record_statuses(page)
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_role("button", name="Cancel")).to_be_enabled()
    rows = page.locator("#result-table tbody tr")
    expect(rows).to_have_count(len(config["models"]), timeout=120_000)
    statuses = page.evaluate("window.statuses")
    assert any(f"epoch 2 of {config['epochs']}" in s for s in statuses), statuses
    # the live curves and the filters after every epoch (init + each epoch)
    expect(page.locator("#live-accuracy svg .series polyline")).to_have_count(len(config["models"]))
    cnn_filters = page.locator('#filters .filters-model[data-model="cnn"] .filter-grid-row')
    expect(cnn_filters).to_have_count(config["epochs"] + 1)

    result = _api_result(base_url, "generalization", config)
    assert result["cached"] is True  # the page's run filled the cache: the same run, bit for bit
    for row, model in zip(rows.all(), result["models"], strict=True):
        cells = row.locator("th, td").all_inner_texts()
        assert cells[0] == model["label"]
        assert cells[1] == f"{model['parameters']:,}"
        assert cells[2] == _percent(model["train_accuracy"])
        assert cells[3] == _with_interval(model)
        assert cells[4] == _percent(model["gap"])
    expect(page.locator("#result-summary")).to_have_text(result["summary"])
    reveal = page.locator(".prediction-reveal")
    expect(reveal).to_contain_text("You predicted CNN")
    expect(reveal).to_have_attribute("data-outcome", _outcome(result, "cnn"))
    expect(page.get_by_role("button", name="Train")).to_be_enabled()
    shot(page, "experiments-run")

    # a reload comes back with the settings, the prediction and the result (from the cache,
    # replayed epoch by epoch first)
    page.reload()
    expect(page.locator("#cfg-seed")).to_have_value("11")
    expect(page.locator("#cfg-epochs")).to_have_value(str(config["epochs"]))
    expect(page.locator(".prediction-options").get_by_label("CNN", exact=True)).to_be_checked()
    expect(rows).to_have_count(len(config["models"]), timeout=30_000)
    expect(page.locator("#result-summary")).to_have_text(result["summary"])
    expect(page.locator("#result-meta")).to_contain_text("from the server's cache")
    expect(reveal).to_contain_text("You predicted CNN")
    # editing a setting leaves the result in place but says it is for the old settings
    page.locator("#cfg-seed").fill("12")
    expect(page.locator("#result-meta .settings-changed")).to_contain_text(
        "the settings above have changed since: press Train to run them"
    )


def test_train_asks_for_a_prediction_first(page):
    page.goto("/experiments")
    expect(page.locator("#cfg-train-size")).to_be_visible()
    page.get_by_role("button", name="Train").click()
    expect(page.locator("#prediction-error")).to_have_text(
        "Make your prediction first: pick one answer above, then press Train."
    )
    expect(page.locator(".prediction-options input").first).to_be_focused()
    expect(page.locator("#run-status")).to_have_text("Not started.")


def test_the_empty_plots_follow_the_epochs_typed_and_read_in_percent(page):
    page.goto("/experiments")
    expect(page.locator("#cfg-epochs")).to_be_visible()
    page.locator("#cfg-epochs").fill("3")
    ticks = "el => [...el.querySelectorAll('text.tick')].map((t) => t.textContent)"
    loss_ticks = page.locator("#live-loss svg")
    expect(loss_ticks.locator("text.tick").filter(has_text="3")).to_have_count(1)
    assert "4" not in loss_ticks.evaluate(ticks)  # the axis ends at the 3 epochs asked for
    accuracy_ticks = page.locator("#live-accuracy svg").evaluate(ticks)
    assert "100" in accuracy_ticks and "0.5" not in accuracy_ticks  # a percent axis


def test_a_setting_out_of_bounds_is_explained_next_to_it(page, experiments):
    minimum = experiments["generalization"]["config_schema"]["properties"]["train_size"]["minimum"]
    page.goto("/experiments")
    page.locator("#cfg-train-size").fill(str(minimum - 1))
    expect(page.locator("#cfg-train-size-error")).to_have_text(
        f"N (training examples) must be at least {minimum}"
    )
    expect(page.locator("#cfg-train-size")).to_have_attribute("aria-invalid", "true")
    page.locator(".prediction-options input").first.check()
    page.get_by_role("button", name="Train").click()
    expect(page.locator("#run-error")).to_have_text(
        f"Fix the settings first: N (training examples) must be at least {minimum}."
    )
    expect(page.locator("#cfg-train-size")).to_be_focused()


def test_cancel_stops_the_run_and_forgets_it(page, experiments):
    page.goto("/experiments")
    expect(page.locator("#cfg-train-size")).to_be_visible()
    _set_config(page, {"seed": 12})
    page.locator(".prediction-options input").first.check()
    page.get_by_role("button", name="Train").click()
    cancel = page.get_by_role("button", name="Cancel")
    expect(cancel).to_be_enabled()
    cancel.click()
    expect(page.locator("#run-status")).to_have_text("Cancelled.")
    expect(page.get_by_role("button", name="Train")).to_be_enabled()
    expect(page.locator("#result-block")).to_be_hidden()
    state = json.loads(page.evaluate("decodeURIComponent(location.hash.slice(1))"))
    assert "generalization" not in state["run"]


def test_a_busy_server_queues_the_run_and_starts_it_by_itself(page, base_url, experiments):
    """While another config trains in the one slot, the page's run is queued, then runs."""
    # a few CPU seconds: still training when the page, loaded after it started, asks
    other = {"train_size": 3000, "epochs": 5, "seed": 21}
    busy = threading.Thread(
        target=_api_result, args=(base_url, "generalization", other), daemon=True
    )
    busy.start()
    page.goto("/experiments")
    expect(page.locator("#cfg-train-size")).to_be_visible()
    _set_config(page, {**SMALL, "seed": 22})
    page.locator(".prediction-options input").first.check()
    _record_statuses(page)
    page.get_by_role("button", name="Train").click()
    expect(page.locator("#result-table tbody tr")).to_have_count(3, timeout=180_000)
    busy.join(timeout=120)
    statuses = page.evaluate("window.statuses")
    queued = [s for s in statuses if s.startswith("Queued: number 1 in the line (you are next;")]
    assert queued and queued[0].endswith(" s."), statuses


def test_the_page_fits_a_phone_with_a_result_shown(phone_page, base_url, experiments):
    config = {**experiments["generalization"]["defaults"], **SMALL, "seed": 11}
    _api_result(base_url, "generalization", config)  # trained (or cached) before the page asks
    state = {
        "exp": "generalization",
        "cfg": {"generalization": config},
        "guess": {"generalization": "lc"},
        "run": {"generalization": config},
        "runGuess": {"generalization": "lc"},
    }
    phone_page.goto(f"/experiments#{quote(json.dumps(state))}")
    # a cached result replays first, labelled so, with a skip
    expect(phone_page.locator("#replay-label")).to_be_visible()
    phone_page.get_by_role("button", name="Skip the replay").click()
    expect(phone_page.locator("#result-table tbody tr")).to_have_count(len(config["models"]))
    expect(phone_page.locator(".prediction-reveal")).to_contain_text("You predicted LC")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px wide)"
    # the table stacks: every row's test accuracy and gap are on screen, nothing scrolls sideways
    scroll = phone_page.locator(".result-scroll")
    assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth")
    for label in ("test accuracy", "gap"):
        for cell in phone_page.locator(f'#result-table td[data-label="{label}"]').all():
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (label, box)
            expect(cell).to_be_visible()
    plot_box = phone_page.locator("#live-accuracy svg").bounding_box()
    assert plot_box["width"] <= 390
    shot(phone_page, "experiments-390")


def test_after_train_on_a_phone_the_progress_shows_beside_the_button(phone_page, experiments):
    phone_page.goto("/experiments")
    _set_config(phone_page, {"train_size": 100, "epochs": 2, "seed": 21})
    phone_page.locator(".prediction-options").get_by_label("CNN", exact=True).check()
    phone_page.get_by_role("button", name="Train").click()
    inline = phone_page.locator("#run-inline")
    expect(inline).to_be_visible()
    expect(inline).to_contain_text(re.compile(r"Asking the server|Queued|epoch|Replaying"))
    button = phone_page.get_by_role("button", name="Train").bounding_box()
    box = inline.bounding_box()
    assert 0 <= box["y"] - (button["y"] + button["height"]) < 200  # right under the buttons
    phone_page.get_by_role("button", name="Cancel").click()


def test_the_sweep_conclusion_is_hidden_until_the_student_predicted(page, experiments):
    reference = experiments["generalization"]["reference"]
    page.goto("/experiments")
    expect(page.locator("#reference-gate")).to_be_visible()
    for hidden in ("#reference-summary", "#ref-accuracy", "#ref-gap"):
        expect(page.locator(hidden)).to_be_hidden()
    assert reference["summary"] not in page.locator("body").inner_text()
    # picking an answer is not yet a prediction: only Train (or an explicit show) opens it
    page.locator(".prediction-options").get_by_label("CNN", exact=True).check()
    expect(page.locator("#reference-summary")).to_be_hidden()
    state = {"exp": "generalization", "runGuess": {"generalization": "cnn"}}
    page.goto(f"/experiments#{quote(json.dumps(state))}")
    expect(page.locator("#reference-summary")).to_have_text(reference["summary"])
    expect(page.locator("#reference-gate")).to_be_hidden()


def test_a_list_field_with_a_word_says_which_value_is_not_a_number(page):
    page.goto("/experiments")
    page.get_by_role("tab", name="Weight decay").click()
    page.locator("#cfg-lambdas").fill("0, abc, 0.5")
    expect(page.locator("#cfg-lambdas-error")).to_have_text(
        'λ values (comma separated): "abc" is not a number'
    )
    expect(page.locator("#cfg-lambdas-error")).to_be_visible()


def test_live_curves_from_the_real_stream_end_where_the_result_says(page, base_url):
    with httpx.stream(
        "POST",
        f"{base_url}/api/experiments/generalization/runs",
        json={**SMALL, "seed": 31},
        headers={"Accept": "text/event-stream"},
        timeout=300,
    ) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        stream = "".join(answer.iter_text())
    page.goto("/")
    out = page.evaluate(
        """async (text) => {
          const { SseParser } = await import("/static/js/sse.js");
          const views = await import("/static/js/experiment_views.js");
          const events = new SseParser().push(text);
          const progress = new views.RunProgress("generalization");
          const fractions = [];
          let result = null;
          for (const e of events) {
            if (e.event === "progress") {
              progress.add(JSON.parse(e.data));
              fractions.push(progress.fraction);
            }
            if (e.event === "result") result = JSON.parse(e.data);
          }
          return {
            names: events.map((e) => e.event),
            fractions,
            live: progress.series("test").map((s) => [s.label, s.points]),
            final: views.resultSeries(result, "test").map((s) => [s.label, s.points]),
          };
        }""",
        stream,
    )
    assert out["names"][0] == "started" and out["names"][-1] == "result"
    assert out["names"].count("progress") >= 3 * SMALL["epochs"]  # every epoch end, per model
    assert out["fractions"] == sorted(out["fractions"])  # the progress bar never goes back
    assert out["fractions"][-1] == pytest.approx(1)
    assert out["live"] == out["final"]  # the epoch-end accuracies are the result's curves


def test_the_page_has_no_serious_accessibility_violations(page, base_url, experiments, axe):
    config = {**experiments["generalization"]["defaults"], **SMALL, "seed": 11}
    _api_result(base_url, "generalization", config)
    state = {
        "exp": "generalization",
        "cfg": {"generalization": config},
        "guess": {"generalization": "cnn"},
        "run": {"generalization": config},
        "runGuess": {"generalization": "cnn"},
    }
    page.goto(f"/experiments#{quote(json.dumps(state))}")
    expect(page.locator("#result-table tbody tr")).to_have_count(len(config["models"]))
    # the conftest's axe checks the page once its Your-turn blocks have loaded (a loading block
    # is faded, which axe reads as low contrast); its serious and critical violations, as here
    assert axe(page) == []


def test_a_server_limit_is_shown_next_to_its_setting(page, base_url, experiments):
    # the serving app's limit (CONVLAB_EXPERIMENT_MAX_TRAIN_SIZE), as the API states it
    limit = experiments["generalization"]["config_schema"]["properties"]["train_size"]["maximum"]
    answer = httpx.post(
        f"{base_url}/api/experiments/generalization/runs",
        json={"train_size": limit + 1},
        timeout=30,
    )
    assert answer.status_code == 422
    assert f"over this server's limit of {limit} " in answer.json()["detail"][0]["msg"]
    page.goto("/experiments")
    box = page.locator("#cfg-train-size")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("max", str(limit))
    expect(page.locator("#cfg-train-size-hint")).to_have_text(f"10 – {limit:,}")
    box.fill(str(limit + 1))
    page.locator(".prediction-options input").first.check()
    page.get_by_role("button", name="Train").click()
    expect(page.locator("#cfg-train-size-error")).to_contain_text(f"at most {limit}")
    expect(page.locator("#run-error")).to_contain_text(f"at most {limit}")
    expect(box).to_have_attribute("aria-invalid", "true")
    box.fill(str(limit))
    expect(page.locator("#cfg-train-size-error")).to_have_text("")


# small limits and weight-decay runs: one epoch on 100 examples, 100 test examples
SMALL_OTHERS = {"train_size": 100, "test_size": 100, "epochs": 1}


def _close_to(cell: str, value: float, digits: int) -> bool:
    """A table cell written with at most ``digits`` decimals shows ``value``."""
    return abs(float(cell.replace("−", "-")) - value) <= 0.5 * 10**-digits + 1e-12


def _exponential(value: float) -> str:
    """``value`` as JavaScript's toExponential(1) writes it, with a typographic minus."""
    mantissa, exponent = f"{value:.1e}".split("e")
    e = int(exponent)
    return f"{mantissa}e{'+' if e >= 0 else '−'}{abs(e)}".replace("-", "−")


def _train_from_the_page(page, tab: str, values: dict, rows: int) -> None:
    page.goto("/experiments")
    page.get_by_role("tab", name=tab).click()
    expect(page.locator("#cfg-train-size")).to_be_visible()
    _set_config(page, values)
    page.locator(".prediction-options input").first.check()
    page.get_by_role("button", name="Train").click()
    expect(page.locator("#result-table tbody tr")).to_have_count(rows, timeout=180_000)
    expect(page.get_by_role("button", name="Train")).to_be_enabled()


def test_limits_trained_from_the_page_shows_the_apis_result(page, base_url, experiments):
    config = {**experiments["limits"]["defaults"], **SMALL_OTHERS, "seed": 41}
    _train_from_the_page(page, "Where convolution fails", {**SMALL_OTHERS, "seed": 41}, 4)
    result = _api_result(base_url, "limits", config)
    assert result["cached"] is True  # the page trained exactly this config
    chance = {task["id"]: task["chance"] for task in result["tasks"]}
    rows = page.locator("#result-table tbody tr").all()
    for row, model in zip(rows, result["models"], strict=True):
        assert row.locator("th, td").all_inner_texts() == [
            model["task"],
            model["label"],
            f"{model['parameters']:,}",
            _percent(model["train_accuracy"]),
            _with_interval(model),
            _percent(chance[model["task"]]),
            _percent(model["gap"]),
        ]
    expect(page.locator("#result-summary")).to_have_text(result["summary"])
    expect(page.locator("#result-summary")).to_have_attribute(
        "data-claim", json.dumps(result["claim_holds"])
    )
    shot(page, "experiments-limits-run")


def test_weight_decay_trained_from_the_page_shows_the_apis_result(page, base_url, experiments):
    values = {**SMALL_OTHERS, "seed": 42, "lambdas": "0, 0.1"}
    config = {**experiments["weight-decay"]["defaults"], **values, "lambdas": [0.0, 0.1]}
    _train_from_the_page(page, "Weight decay", values, 2)
    result = _api_result(base_url, "weight-decay", config)
    assert result["cached"] is True
    rows = page.locator("#result-table tbody tr").all()
    for row, model in zip(rows, result["models"], strict=True):
        cells = row.locator("th, td").all_inner_texts()
        shrink = model["shrink"]
        assert cells[0] == f"{model['weight_decay']:g}"
        assert cells[1] == f"{model['parameters']:,}"
        assert _close_to(cells[2], shrink["expected"], 6)
        assert _close_to(cells[3], shrink["measured_mean"], 6)
        assert cells[4] == _exponential(shrink["max_abs_error"])
        assert _close_to(cells[5], model["norm"]["norm"][-1], 3)
        assert cells[6:] == [
            _percent(model["train_accuracy"]),
            _with_interval(model),
            _percent(model["gap"]),
        ]
    expect(page.locator("#result-summary")).to_have_text(result["summary"])
    shot(page, "experiments-weight-decay-run")


@pytest.fixture(scope="module")
def timed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose time limit for one run is 1 s (CONVLAB_EXPERIMENT_MAX_SECONDS)."""
    tmp = tmp_path_factory.mktemp("timed")
    env = {
        "CONVLAB_EXPERIMENT_MAX_SECONDS": "1",
        "CONVLAB_EXPERIMENT_CACHE_DIR": str(tmp / "cache"),
    }
    with serving(env, log=tmp / "server.log") as url:
        yield url


def test_a_run_stopped_at_the_time_limit_says_so(browser, timed_url):
    for pg in checked_page(browser, base_url=timed_url):
        pg.goto("/experiments")
        expect(pg.locator("#cfg-train-size")).to_be_visible()
        # seconds of training, within the predicted-time limit, far over the 1 s time limit
        _set_config(pg, {"train_size": 2000, "epochs": 5, "seed": 43})
        pg.locator(".prediction-options input").first.check()
        pg.get_by_role("button", name="Train").click()
        expect(pg.locator("#run-status")).to_have_text(
            "Stopped: the run reached the server's time limit for one run.", timeout=120_000
        )
        expect(pg.locator("#run-error")).to_have_text(
            "the run was stopped after 1 s, this server's time limit for one run "
            "(CONVLAB_EXPERIMENT_MAX_SECONDS): lower train_size, epochs or the number of "
            "models, or try again when the server is less busy"
        )
        expect(pg.get_by_role("button", name="Train")).to_be_enabled()
