"""/api/experiments: the list, runs as JSON and as Server-Sent Events, cache, sharing, 503, 422.

Runs train in a real worker process; the configs here are tiny (60 digits, 1–2 epochs).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.experiments.manager import ExperimentManager, Subscription
from app.experiments.registry import EXPERIMENTS
from app.experiments.service import event_stream as _stream
from app.main import create_app
from tests.helpers.threads import record_event_loop

TINY = {"train_size": 60, "test_size": 100, "epochs": 1, "models": ["fc", "cnn"]}
# about ten seconds (3,000 steps of batch 2), under the predicted-time limit: only ever cancelled
LONG = {"train_size": 2000, "epochs": 3, "models": ["lc"], "batch_size": 2}
ROOT = Path(__file__).resolve().parents[2]
NICE = 2


def lab_settings(tmp: Path, **changes: Any) -> Settings:
    """Settings of a test app that the environment cannot change: the shipped subset (an empty
    data directory, whatever CONVLAB_DATA_DIR says) and a result cache of its own."""
    (tmp / "no-mnist").mkdir(exist_ok=True)
    return Settings(
        **{
            "experiment_runs_at_once": 1,
            "experiment_nice": NICE,
            "data_dir": tmp / "no-mnist",
            "experiment_cache_dir": tmp / "cache",
            **changes,
        }
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app of its own (one training slot), so its worker and cache are this module's.

    Its training process is niced by 2 only: on a busy shared machine a nice of 10 starves it.
    """
    with TestClient(create_app(lab_settings(tmp_path_factory.mktemp("lab")))) as client:
        yield client


def parse_events(text: str) -> list[tuple[str, Any]]:
    """``event: NAME`` / ``data: JSON`` blocks of an event stream, comments skipped."""
    events = []
    for block in text.strip().split("\n\n"):
        lines = [line for line in block.split("\n") if not line.startswith(":")]
        if not lines:
            continue
        assert lines[0].startswith("event: "), block
        assert lines[1].startswith("data: "), block
        assert len(lines) == 2, block
        events.append((lines[0][len("event: ") :], json.loads(lines[1][len("data: ") :])))
    return events


# -- the list ---------------------------------------------------------------------------------


def test_list_names_the_three_experiments_with_their_questions(client: TestClient) -> None:
    data = client.get("/api/experiments").json()
    assert [(e["id"], e["question"]) for e in data] == [
        ("generalization", "Q6c, Q2b, Q3d"),
        ("limits", "Q6d"),
        ("weight-decay", "Q1"),
    ]


def test_list_defaults_are_the_engines_defaults(client: TestClient) -> None:
    for entry in client.get("/api/experiments").json():
        assert entry["defaults"] == EXPERIMENTS[entry["id"]].defaults


def test_list_config_schema_states_the_bounds(client: TestClient) -> None:
    schema = client.get("/api/experiments").json()[0]["config_schema"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["train_size"]["minimum"] == 10
    assert schema["properties"]["models"]["items"]["enum"] == ["fc", "lc", "cnn"]


def test_list_carries_the_shipped_reference(client: TestClient) -> None:
    data = {e["id"]: e for e in client.get("/api/experiments").json()}
    reference = data["generalization"]["reference"]
    assert reference["train_sizes"] == [100, 300, 1000, 3000, 10000]
    assert set(reference["models"]) == {"fc", "lc", "cnn"}
    assert set(data["limits"]["reference"]["tasks"]) == {"corner", "symmetry"}
    assert (
        data["weight-decay"]["reference"]["lambdas"]
        == EXPERIMENTS["weight-decay"].defaults["lambdas"]
    )


# -- bad configs ------------------------------------------------------------------------------


def test_unknown_experiment_is_a_404_naming_the_ids(client: TestClient) -> None:
    response = client.post("/api/experiments/dropout/runs", json={})
    assert response.status_code == 404
    assert response.json() == {
        "detail": "no experiment called 'dropout'; expected one of generalization, limits, "
        "weight-decay"
    }


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        ({"epochs": "5"}, ["body", "epochs"], "Input should be a valid integer"),
        ({"trainsize": 100}, ["body", "trainsize"], "Extra inputs are not permitted"),
        ({"train_size": 5}, ["body", "train_size"], "Input should be greater than or equal to 10"),
        ({"models": ["fc", "rnn"]}, ["body", "models", 1], "Input should be 'fc', 'lc' or 'cnn'"),
        (
            {"models": []},
            ["body", "models"],
            "List should have at least 1 item after validation, not 0",
        ),
        ({"models": ["fc", "fc"]}, ["body"], "must not repeat a value, got ['fc', 'fc']"),
        (
            {"weight_decay": -1},
            ["body", "weight_decay"],
            "Input should be greater than or equal to 0",
        ),
        (
            {"train_size": 10000, "epochs": 30},
            ["body"],
            "this run would take about 6.8e+11 multiply-adds, over the budget of 1.5e+11 per "
            "run (CONVLAB_EXPERIMENT_MAX_MACS); lower train_size, epochs or the number of models",
        ),
    ],
)
def test_bad_generalization_config_is_a_422_saying_what_is_wrong(
    client: TestClient, body: dict, loc: list, msg: str
) -> None:
    response = client.post("/api/experiments/generalization/runs", json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [(e["loc"], e["msg"]) for e in errors] == [(loc, msg)]


def test_weight_decay_whose_factor_would_not_shrink_is_a_422(client: TestClient) -> None:
    response = client.post(
        "/api/experiments/weight-decay/runs", json={"learning_rate": 0.5, "lambdas": [0, 2]}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "2·ε·λ = 2 for λ = 2: 1 − 2ελ must stay positive; lower learning_rate or λ"
    )


def test_weight_decay_label_noise_over_nine_tenths_is_a_422(client: TestClient) -> None:
    response = client.post("/api/experiments/weight-decay/runs", json={"label_noise": 0.95})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [(e["loc"], e["msg"]) for e in errors] == [
        (["body", "label_noise"], "Input should be less than or equal to 0.9")
    ]


def test_limits_of_the_apps_settings_hold() -> None:
    settings = Settings(experiment_max_train_size=500, experiment_max_epochs=3)
    with TestClient(create_app(settings)) as small:
        response = small.post("/api/experiments/limits/runs", json={"train_size": 600})
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"] == (
            "train_size 600 is over this server's limit of 500 (CONVLAB_EXPERIMENT_MAX_TRAIN_SIZE)"
        )
        response = small.post("/api/experiments/limits/runs", json={"train_size": 100, "epochs": 4})
        assert response.json()["detail"][0]["msg"] == (
            "epochs 4 is over this server's limit of 3 (CONVLAB_EXPERIMENT_MAX_EPOCHS)"
        )


def test_parameters_limit_of_the_settings_holds() -> None:
    with TestClient(create_app(Settings(experiment_max_parameters=100_000))) as small:
        response = small.post("/api/experiments/generalization/runs", json={})
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"] == (
            "a network of this run would have 328,202 parameters, over this server's limit of "
            "100,000 (CONVLAB_EXPERIMENT_MAX_PARAMETERS); lower hidden"
        )


def test_a_run_predicted_to_hold_a_slot_too_long_is_a_422_naming_the_limit() -> None:
    with TestClient(create_app(Settings(experiment_max_run_seconds=5))) as small:
        body = {"batch_size": 2, "models": ["lc"]}
        response = small.post("/api/experiments/generalization/runs", json=body)
        assert response.status_code == 422
        message = response.json()["detail"][0]["msg"]
        assert message.startswith("this run would hold a training slot for about ")
        assert "(2,500 optimizer steps and 7.4e+09 multiply-adds)" in message
        assert message.endswith(
            "over this server's limit of 5 s per run (CONVLAB_EXPERIMENT_MAX_RUN_SECONDS); lower "
            "train_size, epochs or the number of models, or raise batch_size"
        )


# -- runs -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_result(lab: TestClient) -> dict:
    response = lab.post("/api/experiments/generalization/runs", json=TINY)
    assert response.status_code == 200, response.text
    return response.json()


def test_json_run_returns_the_full_config_and_every_model(tiny_result: dict) -> None:
    assert tiny_result["cached"] is False
    assert tiny_result["config"] == {**EXPERIMENTS["generalization"].defaults, **TINY}
    assert [m["name"] for m in tiny_result["models"]] == ["fc", "cnn"]
    assert tiny_result["data"]["source"] == "subset"
    assert tiny_result["summary"].startswith("On 60 training digits, test accuracy: ")
    for model in tiny_result["models"]:
        low, high = model["test_accuracy_interval"]
        assert low <= model["test_accuracy"] <= high


def test_same_config_again_comes_from_the_cache_bit_for_bit(
    lab: TestClient, tiny_result: dict
) -> None:
    again = lab.post("/api/experiments/generalization/runs", json=TINY).json()
    assert again["cached"] is True
    assert {**again, "cached": False} == tiny_result


def test_config_spelled_with_its_defaults_is_the_same_run(
    lab: TestClient, tiny_result: dict
) -> None:
    full = {**TINY, "seed": 0, "batch_size": EXPERIMENTS["generalization"].defaults["batch_size"]}
    again = lab.post("/api/experiments/generalization/runs", json=full).json()
    assert again["cached"] is True


def test_cached_event_stream_is_the_result_event_only(lab: TestClient, tiny_result: dict) -> None:
    response = lab.post(
        "/api/experiments/generalization/runs",
        json=TINY,
        headers={"Accept": "text/event-stream"},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert parse_events(response.text) == [("result", {**tiny_result, "cached": True})]


def test_event_stream_sends_started_progress_then_the_result(lab: TestClient) -> None:
    body = {**TINY, "seed": 5, "epochs": 2, "models": ["cnn"]}
    response = lab.post(
        "/api/experiments/generalization/runs", json=body, headers={"Accept": "text/event-stream"}
    )
    assert response.status_code == 200
    events = parse_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "started" and names[-1] == "result"
    assert set(names[1:-1]) == {"progress"}
    assert events[0][1]["shared"] is False
    progress = [data for name, data in events if name == "progress"]
    ends = [p for p in progress if p["epoch_end"]]
    assert [p["epoch"] for p in ends] == [1, 2]
    result = events[-1][1]
    assert ends[-1]["metrics"]["test_accuracy"] == result["models"][0]["test_accuracy"]
    assert ends[-1]["filters"] == result["models"][0]["filters"]["epochs"][-1]
    same = lab.post("/api/experiments/generalization/runs", json=body).json()
    assert same == {**result, "cached": True}


# -- slots, sharing, cancellation -------------------------------------------------------------


def _subscribe(lab: TestClient, config: dict) -> Subscription:
    manager: ExperimentManager = lab.app.state.experiments

    async def subscribe() -> Subscription:
        return await manager.subscribe("generalization", config)

    return lab.portal.call(subscribe)


def _unsubscribe(lab: TestClient, subscription: Subscription) -> None:
    manager: ExperimentManager = lab.app.state.experiments

    async def unsubscribe() -> None:
        manager.unsubscribe(subscription)

    lab.portal.call(unsubscribe)


def _full(config: dict) -> dict:
    return {**EXPERIMENTS["generalization"].defaults, **config}


def _wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _queued(subscription: Subscription) -> list[dict]:
    messages = []
    while not subscription.queue.empty():
        kind, data = subscription.queue.get_nowait()
        if kind == "queued":
            messages.append(data)
    return messages


def _messages_until(lab: TestClient, subscription: Subscription, last: str, seconds: float):
    """Every (kind, data) the subscription gets up to and including the first ``last``."""

    async def read() -> list[tuple[str, Any]]:
        seen: list[tuple[str, Any]] = []
        async with asyncio.timeout(seconds):
            while not seen or seen[-1][0] != last:
                seen.append(await subscription.queue.get())
        return seen

    return lab.portal.call(read)


def test_a_run_with_every_slot_busy_waits_in_the_queue_told_its_place(lab: TestClient) -> None:
    manager: ExperimentManager = lab.app.state.experiments
    first = _subscribe(lab, _full(LONG))
    second = _subscribe(lab, _full({**TINY, "seed": 9}))
    third = _subscribe(lab, _full({**TINY, "seed": 10}))
    try:
        assert [r.key for r in manager.waiting] == [second.key, third.key]
        place = _queued(second)[-1]  # told again when the third joined the line
        assert place["position"] == 1 and place["waiting"] == 2 and place["running"] == 1
        assert place["slots"] == 1 and place["seconds"] >= 1
        assert _queued(third)[-1]["position"] == 2
        _unsubscribe(lab, first)
        # the long run is cancelled (once its process has started: slow on a loaded machine);
        # the first in the queue trains in its slot, then the next one, each told its place
        kinds = [kind for kind, _ in _messages_until(lab, second, "result", 180)]
        assert "progress" in kinds and kinds[-1] == "result"
        seen = _messages_until(lab, third, "result", 180)
        kinds = [kind for kind, _ in seen]
        assert [data["position"] for kind, data in seen if kind == "queued"] == [1]
        assert kinds.index("queued") < kinds.index("progress")
    finally:
        for subscription in (first, second, third):
            _unsubscribe(lab, subscription)
    assert _wait_until(lambda: manager.running == {} and manager.waiting == [], 120)


def test_a_queued_run_whose_client_leaves_gives_up_its_place(lab: TestClient) -> None:
    manager: ExperimentManager = lab.app.state.experiments
    first = _subscribe(lab, _full({**LONG, "seed": 3}))
    second = _subscribe(lab, _full({**TINY, "seed": 13}))
    try:
        assert [r.key for r in manager.waiting] == [second.key]
        _unsubscribe(lab, second)
        assert manager.waiting == [] and second.key not in manager.running
        assert not list(manager.queue.directory.glob(f"*{second.key}*"))
    finally:
        _unsubscribe(lab, first)
    assert _wait_until(lambda: manager.running == {}, 120)


def test_identical_config_joins_the_run_in_flight(lab: TestClient) -> None:
    manager: ExperimentManager = lab.app.state.experiments
    config = _full({**TINY, "seed": 11, "epochs": 2})
    first = _subscribe(lab, config)
    second = _subscribe(lab, config)
    try:
        assert (first.shared, second.shared) == (False, True)
        assert len(manager.running) == 1
        # a third client with the same config over HTTP shares it too: no 503
        response = lab.post("/api/experiments/generalization/runs", json=config)
        assert response.status_code == 200
        assert response.json()["cached"] is False
    finally:
        _unsubscribe(lab, first)
        _unsubscribe(lab, second)


def test_leaving_a_shared_run_does_not_cancel_it_for_the_other_client(lab: TestClient) -> None:
    manager: ExperimentManager = lab.app.state.experiments
    config = _full({**TINY, "seed": 12, "epochs": 2})
    leaving = _subscribe(lab, config)
    staying = _subscribe(lab, config)
    _unsubscribe(lab, leaving)
    kinds: list[str] = []

    def drained_to_the_result() -> bool:  # the result reaches the queue from the event loop
        while not staying.queue.empty():
            kinds.append(staying.queue.get_nowait()[0])
        return "result" in kinds

    assert _wait_until(drained_to_the_result, 120)
    assert _wait_until(lambda: not manager.running, 60)
    assert kinds[-1] == "result" and "cancelled" not in kinds


def test_training_runs_in_another_process_at_the_configured_lower_priority(lab: TestClient) -> None:
    manager: ExperimentManager = lab.app.state.experiments
    lab.post("/api/experiments/generalization/runs", json=TINY)
    assert _wait_until(lambda: bool(manager.worker_pids()), 60)
    pid = manager.worker_pids()[0]
    assert pid != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(
        19, os.getpriority(os.PRIO_PROCESS, 0) + NICE
    )


def _lesson_latencies(lab: TestClient, count: int) -> list[float]:
    """Seconds of each of ``count`` lesson requests (health, then a conv2d)."""
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        assert lab.get("/api/health").status_code == 200
        conv = lab.post("/api/conv2d", json={"input": [[1, 2], [3, 4]], "kernel": [[1]]})
        assert conv.json()["output"] == [[1.0, 2.0], [3.0, 4.0]]
        seconds.append(time.perf_counter() - start)
    return seconds


def _p95(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def test_health_and_conv2d_stay_fast_while_a_run_trains(lab: TestClient) -> None:
    manager: ExperimentManager = lab.app.state.experiments
    _lesson_latencies(lab, 5)  # warm
    idle = _p95(_lesson_latencies(lab, 40))
    subscription = _subscribe(lab, _full(LONG))
    try:
        assert _wait_until(
            lambda: manager.slots[0].run is not None and manager.slots[0].run.history, 120
        )
        training = _p95(_lesson_latencies(lab, 40))
        assert manager.running, "the run was still training while the lessons were served"
    finally:
        _unsubscribe(lab, subscription)
    # the training process takes a core of its own; a run that blocked the event loop (even
    # for a fraction of a second per progress event) would push the p95 far past this bound,
    # which leaves room for a busy 2-core machine (5× the idle p95, and never under 200 ms)
    assert training < max(5 * idle, 0.2), f"p95 {training:.3f} s training, {idle:.3f} s idle"
    assert _wait_until(lambda: manager.slots[0].run is None, 30)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn in a process of its own (TestClient does not stream, so it cannot hang up)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tmp = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "CONVLAB_EXPERIMENT_RUNS_AT_ONCE": "1",
        "CONVLAB_EXPERIMENT_NICE": str(NICE),
        "CONVLAB_EXPERIMENT_CACHE_DIR": str(tmp / "cache"),
        "CONVLAB_DATA_DIR": str(tmp),
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        up = _wait_until(lambda: _answers(url), 300)
        assert up, "the server did not start within 300 s"
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_client_that_goes_away_mid_stream_cancels_its_run(live_server: str) -> None:
    with httpx.stream(
        "POST",
        f"{live_server}/api/experiments/generalization/runs",
        json=LONG,
        headers={"Accept": "text/event-stream"},
        timeout=120,
    ) as response:
        received = b""
        for chunk in response.iter_bytes():
            received += chunk
            if b"event: progress" in received:
                break  # leaving the block closes the connection
    assert received.startswith(b"event: started")
    # LONG trains for minutes; once cancelled, the one slot takes another config again
    other = {**TINY, "seed": 21}

    def slot_free() -> bool:
        response = httpx.post(
            f"{live_server}/api/experiments/generalization/runs", json=other, timeout=120
        )
        return response.status_code == 200

    assert _wait_until(slot_free, 60)


def test_an_empty_body_runs_the_defaults_validated_with_the_apps_limits() -> None:
    with TestClient(create_app(Settings(experiment_max_parameters=100_000))) as small:
        response = small.post("/api/experiments/generalization/runs")
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"] == (
            "a network of this run would have 328,202 parameters, over this server's limit of "
            "100,000 (CONVLAB_EXPERIMENT_MAX_PARAMETERS); lower hidden"
        )


def test_a_config_that_is_not_json_is_a_415(client: TestClient) -> None:
    response = client.post(
        "/api/experiments/limits/runs",
        content=b"epochs=2",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.json() == {
        "detail": "the body must be JSON sent with Content-Type: application/json "
        "(got application/x-www-form-urlencoded)"
    }


def test_the_config_is_validated_in_a_worker_thread(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.experiments.limits import LimitsConfig

    on_event_loop = record_event_loop(monkeypatch, LimitsConfig, "model_validate_json")
    response = client.post("/api/experiments/limits/runs", json={"epochs": "2"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "epochs"]
    assert on_event_loop == [False]


def test_config_schema_shows_the_maxima_the_serving_app_enforces() -> None:
    settings = Settings(
        experiment_max_train_size=500, experiment_max_test_size=300, experiment_max_epochs=3
    )
    with TestClient(create_app(settings)) as small:
        listed = small.get("/api/experiments").json()
        for experiment in listed:
            properties = experiment["config_schema"]["properties"]
            assert properties["train_size"]["maximum"] == 500
            assert properties["test_size"]["maximum"] == 300
            assert properties["epochs"]["maximum"] == 3
            assert properties["batch_size"]["maximum"] == 512  # no setting lowers it
        over = small.post("/api/experiments/limits/runs", json={"train_size": 501})
        assert over.json()["detail"][0]["msg"] == (
            "train_size 501 is over this server's limit of 500 (CONVLAB_EXPERIMENT_MAX_TRAIN_SIZE)"
        )


def test_config_schema_of_the_default_app_shows_its_train_size_setting(client: TestClient) -> None:
    limit = Settings().experiment_max_train_size
    for experiment in client.get("/api/experiments").json():
        assert experiment["config_schema"]["properties"]["train_size"]["maximum"] == limit
        assert experiment["config_schema"]["properties"]["train_size"]["minimum"] == 10


# -- a reload while the run is being cancelled, the time limit, the process dying ---------------

SSE = {"Accept": "text/event-stream"}


def _events_until_the_end(lab: TestClient, subscription: Subscription, seconds: float) -> list:
    """The subscription's events up to its result or error, then ("timeout", None) if none
    came within ``seconds``."""

    async def collect() -> list:
        events: list = []
        try:
            async with asyncio.timeout(seconds):
                while not events or events[-1][0] not in ("result", "error"):
                    events.append(await subscription.queue.get())
        except TimeoutError:
            events.append(("timeout", None))
        return events

    return lab.portal.call(collect)


def test_the_same_config_asked_while_its_run_is_being_cancelled_trains_again(
    lab: TestClient,
) -> None:
    # a page reload: the old request goes (its run is cancelled), the reloaded page asks for the
    # same config before the training process has confirmed the cancel
    manager: ExperimentManager = lab.app.state.experiments
    config = _full({**TINY, "train_size": 600, "epochs": 3, "seed": 31, "models": ["cnn"]})
    first = _subscribe(lab, config)
    assert _wait_until(lambda: bool(manager.running[first.key].history), 120)

    async def reload() -> tuple[bool, Subscription]:
        manager.unsubscribe(first)
        cancelling = manager.running[first.key].cancelling
        return cancelling, await manager.subscribe("generalization", config)

    cancelling, second = lab.portal.call(reload)
    assert cancelling is True
    assert (second.shared, second.cached) == (False, False)  # not joined to the dying run
    events = _events_until_the_end(lab, second, 120)
    assert events[-1][0] == "result", events[-1]
    progress = [data for kind, data in events if kind == "progress"]
    steps = [p["step"] for p in progress]
    assert progress[0]["epoch"] == 1 and steps == sorted(steps)  # from scratch, in order
    assert events[-1][1]["config"] == config
    assert manager.running == {}


def test_a_run_over_the_time_limit_is_a_504_naming_the_limit(tmp_path: Path) -> None:
    with TestClient(create_app(lab_settings(tmp_path, experiment_max_seconds=1.0))) as timed:
        response = timed.post("/api/experiments/generalization/runs", json=LONG)
        assert response.status_code == 504
        assert response.json() == {"detail": TIME_LIMIT}
        assert "retry-after" not in response.headers  # not "busy": asking again fails the same

        streamed = timed.post(
            "/api/experiments/generalization/runs", json={**LONG, "seed": 1}, headers=SSE
        )
        events = parse_events(streamed.text)
        assert events[0][0] == "started"
        assert events[-1] == ("error", {"status": 504, "detail": TIME_LIMIT})


TIME_LIMIT = (
    "the run was stopped after 1 s, this server's time limit for one run "
    "(CONVLAB_EXPERIMENT_MAX_SECONDS): lower train_size, epochs or the number of models, or "
    "try again when the server is less busy"
)


def test_a_training_process_that_dies_ends_the_stream_with_a_500_error_event(
    lab: TestClient,
) -> None:
    manager: ExperimentManager = lab.app.state.experiments
    subscription = _subscribe(lab, _full({**LONG, "seed": 51}))
    assert _wait_until(lambda: bool(manager.worker_pids()) and manager.slots[0].run.history, 120)
    os.kill(manager.worker_pids()[0], signal.SIGKILL)

    async def read_stream() -> str:
        async with asyncio.timeout(60):
            return "".join([chunk async for chunk in _stream(manager, subscription)])

    events = parse_events(lab.portal.call(read_stream))
    assert events[0] == ("started", {"key": subscription.key, "shared": False})
    assert {name for name, _ in events[1:-1]} == {"progress"}
    assert events[-1] == (
        "error",
        {"status": 500, "detail": "the training process died; try again"},
    )
    assert manager.running == {}
    # the slot starts a new training process for the next run
    response = lab.post("/api/experiments/generalization/runs", json={**TINY, "seed": 52})
    assert response.status_code == 200
    assert response.json()["config"]["seed"] == 52


@pytest.mark.slow
def test_json_client_that_goes_away_cancels_its_run(live_server: str) -> None:
    with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes the connection
        httpx.post(
            f"{live_server}/api/experiments/generalization/runs",
            json={**LONG, "seed": 61},
            timeout=httpx.Timeout(120, read=3),
        )
    # LONG trains for minutes; once cancelled, the one slot takes another config again

    def slot_free() -> bool:
        response = httpx.post(
            f"{live_server}/api/experiments/generalization/runs",
            json={**TINY, "seed": 62},
            timeout=120,
        )
        return response.status_code == 200

    assert _wait_until(slot_free, 60)


# -- the data: the shipped subset or the real IDX files ------------------------------------------


@pytest.mark.mnist_data
def test_with_the_real_idx_files_a_run_draws_from_all_60000_training_digits(
    mnist_dir: Path, tmp_path: Path
) -> None:
    with TestClient(create_app(lab_settings(tmp_path, data_dir=mnist_dir))) as idx_lab:
        result = idx_lab.post("/api/experiments/generalization/runs", json=TINY).json()
        schema = idx_lab.get("/api/experiments").json()[0]["config_schema"]
    assert result["data"]["source"] == "idx"
    assert result["data"]["train_pool"] == 60_000
    assert result["data"]["test_size"] == TINY["test_size"]
    assert schema["properties"]["train_size"]["maximum"] == 10_000  # the setting's limit


def test_more_digits_than_the_shipped_subset_holds_is_a_422(tmp_path: Path) -> None:
    settings = lab_settings(tmp_path, experiment_max_train_size=60_000)
    with TestClient(create_app(settings)) as big:
        response = big.post(
            "/api/experiments/weight-decay/runs", json={"train_size": 20_000, "lambdas": [0.0]}
        )
        schemas = {e["id"]: e["config_schema"] for e in big.get("/api/experiments").json()}
    assert response.status_code == 422
    assert [(e["loc"], e["msg"]) for e in response.json()["detail"]] == [
        (
            ["body"],
            "train_size 20000 is more than the 10,000 digits (N/10 of each) this server can "
            "draw from the shipped subset's 10,000 training digits (the full MNIST training "
            "files in CONVLAB_DATA_DIR allow more)",
        )
    ]
    maxima = {i: s["properties"]["train_size"]["maximum"] for i, s in schemas.items()}
    assert maxima == {"generalization": 10_000, "limits": 60_000, "weight-decay": 10_000}


# -- the result cache, shared by the workers of one server --------------------------------------


def test_a_result_is_served_from_the_cache_by_another_worker_sharing_its_directory(
    tmp_path: Path,
) -> None:
    settings = lab_settings(tmp_path)  # two apps: the two uvicorn workers of one server
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        body = {**TINY, "seed": 41}
        trained = first.post("/api/experiments/generalization/runs", json=body).json()
        assert trained["cached"] is False
        again = second.post("/api/experiments/generalization/runs", json=body).json()
        assert again == {**trained, "cached": True}
        assert second.app.state.experiments.worker_pids() == []  # it never trained
        streamed = second.post("/api/experiments/generalization/runs", json=body, headers=SSE)
        assert parse_events(streamed.text) == [("result", {**trained, "cached": True})]
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
