"""The experiments page's DOM-free modules, run in a real Chromium: the Server-Sent Events
parser, the config form's reading of a pydantic JSON Schema, the log axis and the direct-label
placement of the line plot, and the Retry-After arithmetic of the run client."""

from __future__ import annotations

import math
from typing import Literal

import pytest
from pydantic import BaseModel, Field

# a stream with every feature of the format: comments, a named event with two data lines, an
# id, retry, CRLF and lone CR line ends, a field without a colon, an event without data (not
# dispatched) and a last event not closed by a blank line (dropped)
STREAM = (
    "\ufeff: keep-alive\n"
    "event: started\n"
    'data: {"key": "ab12", "shared": false}\n'
    "\n"
    "event: progress\r\n"
    'data: {"epoch": 1,\r\n'
    'data:  "λ": "‖θ‖"}\r\n'
    "id: 7\r\n"
    "\r\n"
    "retry: 1500\r"
    "data\r"
    "\r"
    "event: nothing\n"
    "\n"
    "data:x\n"
    "\n"
    "event: result\n"
    "data: never closed\n"
)
EXPECTED = [
    {"event": "started", "data": '{"key": "ab12", "shared": false}', "id": "", "retry": None},
    {"event": "progress", "data": '{"epoch": 1,\n "λ": "‖θ‖"}', "id": "7", "retry": None},
    {"event": "message", "data": "", "id": "7", "retry": 1500},
    {"event": "message", "data": "x", "id": "7", "retry": 1500},
]


@pytest.fixture()
def lab(page):
    page.goto("/")
    return page


def test_sse_parser_gives_the_same_events_wherever_the_chunks_split(lab):
    results = lab.evaluate(
        """async (text) => {
          const { SseParser } = await import("/static/js/sse.js");
          const whole = new SseParser().push(text);
          const splits = [];
          for (let cut = 0; cut <= text.length; cut++) {
            const parser = new SseParser();
            splits.push([...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))]);
          }
          const oneByOne = new SseParser();
          const chars = [...text].flatMap((c) => oneByOne.push(c));
          return { whole, splits, chars };
        }""",
        STREAM,
    )
    assert results["whole"] == EXPECTED
    assert results["chars"] == EXPECTED
    for cut, events in enumerate(results["splits"]):
        assert events == EXPECTED, f"split at {cut}"


def test_sse_stream_reader_decodes_utf8_split_inside_a_character(lab):
    events = lab.evaluate(
        """async () => {
          const { readEventStream } = await import("/static/js/sse.js");
          const bytes = new TextEncoder().encode('event: progress\\ndata: {"norm": "‖θ‖ λ"}\\n\\n');
          // one byte per chunk: every multi-byte character arrives in pieces
          const body = new ReadableStream({
            start(controller) {
              for (const b of bytes) controller.enqueue(new Uint8Array([b]));
              controller.close();
            },
          });
          const seen = [];
          await readEventStream(body, (e) => seen.push([e.event, JSON.parse(e.data)]));
          return seen;
        }"""
    )
    assert events == [["progress", {"norm": "‖θ‖ λ"}]]


class _Config(BaseModel):
    """A run config with every kind of field the experiments' schemas use."""

    model_config = {"extra": "forbid"}
    train_size: int = Field(1000, ge=100, le=10_000, description="N training examples")
    learning_rate: float = Field(0.01, gt=0, le=1)
    models: list[Literal["fc", "lc", "cnn"]] = Field(["fc", "lc", "cnn"], min_length=1)
    lambdas: list[float] = Field([0.0, 0.01], min_length=1, max_length=6)
    optimizer: Literal["adam", "sgd"] = "adam"
    hidden: int | None = Field(None, ge=1, le=1000)


def test_config_fields_follow_the_pydantic_schema(lab):
    fields = lab.evaluate(
        """async (schema) => {
          const { configFields } = await import("/static/js/config_schema.js");
          return configFields(schema);
        }""",
        _Config.model_json_schema(),
    )
    by_name = {f["name"]: f for f in fields}
    assert [f["name"] for f in fields] == list(_Config.model_fields)
    assert by_name["train_size"]["kind"] == "integer"
    assert (by_name["train_size"]["min"], by_name["train_size"]["max"]) == (100, 10_000)
    assert by_name["train_size"]["description"] == "N training examples"
    assert by_name["learning_rate"]["kind"] == "number"
    assert by_name["learning_rate"]["exclusiveMin"] is True
    assert by_name["models"]["kind"] == "choices"
    assert by_name["models"]["options"] == ["fc", "lc", "cnn"]
    assert by_name["models"]["minItems"] == 1
    assert by_name["lambdas"]["kind"] == "numbers"
    assert by_name["lambdas"]["maxItems"] == 6
    assert by_name["optimizer"]["kind"] == "choice"
    assert by_name["optimizer"]["options"] == ["adam", "sgd"]
    assert by_name["hidden"]["kind"] == "integer"
    assert by_name["hidden"]["nullable"] is True
    assert by_name["hidden"]["max"] == 1000


def test_config_values_are_checked_like_the_server_checks_them(lab):
    errors = lab.evaluate(
        """async (schema) => {
          const schemaModule = await import("/static/js/config_schema.js");
          const { configFields, fieldError, parseFieldText } = schemaModule;
          const f = Object.fromEntries(configFields(schema).map((x) => [x.name, x]));
          return [
            fieldError(f.train_size, 99),
            fieldError(f.train_size, 100),
            fieldError(f.train_size, 250.5),
            fieldError(f.learning_rate, 0),
            fieldError(f.models, []),
            fieldError(f.models, ["cnn", "cnn"]),
            fieldError(f.models, ["cnn", "rnn"]),
            fieldError(f.lambdas, [0, 1, 2, 3, 4, 5, 6]),
            parseFieldText(f.lambdas, "0, 1e-3; \u22120.5"),
            parseFieldText(f.lambdas, "0, abc"),
            fieldError(f.hidden, null),
          ];
        }""",
        _Config.model_json_schema(),
    )
    # without page labels the messages name the fields by their schema titles
    assert errors == [
        "Train Size must be at least 100",
        None,
        "Train Size must be a whole number",
        "Learning Rate must be more than 0",
        "pick at least 1 for Models",
        "Models lists a value twice",
        'Models: "rnn" is not one of fc, lc, cnn',
        "pick at most 6 for Lambdas",
        {"value": [0, 0.001, -0.5]},
        {"error": 'Lambdas: "abc" is not a number'},
        None,
    ]


def test_a_config_from_a_shared_link_keeps_only_valid_known_fields(lab):
    config = lab.evaluate(
        """async (schema) => {
          const { cleanConfig, configFields } = await import("/static/js/config_schema.js");
          const defaults = { train_size: 1000, learning_rate: 0.01, models: ["fc", "lc", "cnn"],
                             lambdas: [0, 0.01], optimizer: "adam", hidden: null };
          return cleanConfig(configFields(schema), defaults,
            { train_size: 300, learning_rate: -1, models: ["cnn"], optimizer: "rmsprop", evil: 1 });
        }""",
        _Config.model_json_schema(),
    )
    assert config == {
        "train_size": 300,
        "learning_rate": 0.01,
        "models": ["cnn"],
        "lambdas": [0, 0.01],
        "optimizer": "adam",
        "hidden": None,
    }


def test_log_axis_gives_every_decade_the_same_width_and_round_ticks(lab):
    out = lab.evaluate(
        """async () => {
          const { logScale, logTicks } = await import("/static/js/plot_math.js");
          const sx = logScale([100, 10000], [0, 400]);
          return { xs: [100, 1000, 10000, 300].map(sx), wide: logTicks(100, 10000),
                   narrow: logTicks(20, 300), huge: logTicks(1, 1e6), zero: sx(0) };
        }"""
    )
    assert out["xs"][:3] == [0, 200, 400]
    assert out["xs"][3] == pytest.approx(200 * 0.47712125472, rel=1e-9)  # log10(3)
    assert out["wide"] == [100, 300, 1000, 3000, 10000]
    assert out["narrow"] == [20, 50, 100, 200]
    assert out["huge"] == [1, 10, 100, 1000, 10000, 100000, 1000000]
    assert math.isnan(out["zero"])  # no place for 0 on a log axis


def test_direct_labels_are_spread_apart_in_order_and_inside_the_plot(lab):
    out = lab.evaluate(
        """async () => {
          const { spreadLabels } = await import("/static/js/plot_math.js");
          return {
            apart: spreadLabels([10, 50, 90], 13, 0, 100),
            clash: spreadLabels([50, 52, 51], 13, 0, 100),
            top: spreadLabels([1, 2], 13, 0, 100),
            bottom: spreadLabels([99, 100], 13, 0, 100),
          };
        }"""
    )
    assert out["apart"] == [10, 50, 90]  # far enough apart: untouched
    # three labels wanting ~51 are centred on their mean (51), 13 apart, in their wanted order
    assert out["clash"] == pytest.approx([38, 64, 51])
    assert out["top"] == pytest.approx([0, 13])
    assert out["bottom"] == pytest.approx([87, 100])


def test_retry_after_reads_seconds_and_http_dates(lab):
    out = lab.evaluate(
        """async () => {
          const { retryAfterSeconds } = await import("/static/js/lessons/experiments/runs.js");
          const now = Date.parse("Tue, 01 Dec 2026 16:00:00 GMT");
          return [
            retryAfterSeconds("7"),
            retryAfterSeconds("Tue, 01 Dec 2026 16:00:30 GMT", 2, now),
            retryAfterSeconds(null),
            retryAfterSeconds("soon", 5),
            retryAfterSeconds("0"),
            retryAfterSeconds("100000"),
          ];
        }"""
    )
    assert out == [7, 30, 2, 5, 1, 120]


def _reveal(lab, prediction: str, models: list[dict]) -> dict:
    return lab.evaluate(
        """async ([prediction, models]) => {
          const v = await import("/static/js/experiment_views.js");
          const result = { id: "generalization", models };
          return v.revealText(prediction, v.measuredAnswer(result));
        }""",
        [prediction, models],
    )


def _run(name: str, accuracy: float, interval: list[float]) -> dict:
    return {
        "name": name,
        "weight_decay": 0.001 if name == "fc" else 0,
        "test_accuracy": accuracy,
        "test_accuracy_interval": interval,
    }


def test_a_difference_inside_the_intervals_is_called_a_tie_not_wrong(lab):
    # 82.5 % vs 82.4 % on 1,000 digits: the test digits cannot tell them apart
    models = [_run("fc", 0.825, [0.800, 0.847]), _run("cnn", 0.824, [0.799, 0.846])]
    out = _reveal(lab, "cnn", models)
    assert out["right"] is None and out["tie"] is True
    assert out["text"] == (
        "You predicted CNN: a tie. FC + L2 and CNN are inside each other's 95 % intervals "
        "(FC + L2: 82.5 %, CNN: 82.4 %), so these test digits cannot say which is better; more "
        "test digits or another seed would tell."
    )


def test_a_difference_beyond_the_intervals_is_right_or_wrong(lab):
    models = [_run("fc", 0.85, [0.826, 0.871]), _run("cnn", 0.92, [0.902, 0.935])]
    assert _reveal(lab, "cnn", models)["right"] is True
    wrong = _reveal(lab, "fc", models)
    assert wrong["right"] is False
    assert wrong["text"] == (
        "You predicted FC + L2; the highest test accuracy was CNN: CNN: 92.0 %, FC + L2: 85.0 %."
    )


def test_queue_text_names_the_place_and_the_wait(lab):
    out = lab.evaluate(
        """async () => {
          const { queueText } = await import("/static/js/experiment_views.js");
          return [
            queueText({ position: 1, waiting: 3, running: 2, slots: 2, seconds: 3 }),
            queueText({ position: 4, waiting: 6, running: 2, slots: 2, seconds: 6 }),
          ];
        }"""
    )
    assert out == [
        "Queued: number 1 in the line (you are next; 2 training now on 2 slots). Starting in "
        "about 3 s.",
        "Queued: number 4 in the line (3 runs are ahead of you; 2 training now on 2 slots). "
        "Starting in about 6 s.",
    ]


def test_a_stored_result_replays_every_epoch_of_every_model_with_its_filters(lab):
    out = lab.evaluate(
        """async () => {
          const v = await import("/static/js/experiment_views.js");
          const model = (name) => ({
            name, weight_decay: 0, label: name,
            curves: { epoch: [1, 2], train_loss: [0.9, 0.5], train_accuracy: [0.7, 0.8],
                      test_accuracy: [0.6, 0.75] },
            filters: { epochs: [[[0]], [[1]], [[2]]] },
          });
          const result = { id: "generalization", models: [model("fc"), model("cnn")] };
          const events = v.replayEvents(result);
          const progress = new v.RunProgress("generalization");
          events.forEach((e) => progress.add(e));
          return {
            order: events.map((e) => `${e.model}:${e.epoch}`),
            fraction: progress.fraction,
            filters: progress.runs.get("cnn").filters,
            test: progress.series("test").map((s) => s.points),
          };
        }"""
    )
    assert out["order"] == ["fc:1", "fc:2", "cnn:1", "cnn:2"]
    assert out["fraction"] == 1
    assert out["filters"] == [[[0]], [[1]], [[2]]]
    assert out["test"] == [[[1, 60], [2, 75]], [[1, 60], [2, 75]]]
