"""Two ExperimentManagers on one queue directory (two uvicorn workers of one server): a run
asked of one trains in the other's free slot, and the asking worker relays its events.

Real training processes, tiny configs (60 digits, 1 epoch) or LONG ones that are only ever
cancelled. Each test runs its own event loop in a thread of its own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from app.experiments.manager import (
    PROCESS_DIED,
    ExperimentManager,
    Subscription,
    queue_directory,
)
from app.experiments.queue import WORKER_GONE
from app.experiments.registry import EXPERIMENTS

T = TypeVar("T")
TINY = {"train_size": 60, "test_size": 100, "epochs": 1, "models": ["fc", "cnn"]}
LONG = {"train_size": 3000, "epochs": 3, "models": ["lc"]}  # minutes: only ever cancelled


def full(config: dict[str, Any]) -> dict[str, Any]:
    return {**EXPERIMENTS["generalization"].defaults, **config}


def run_async(body: Callable[[], Awaitable[T]]) -> T:
    """``body()`` on an event loop of its own, in a thread of its own."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = asyncio.run(body())
        except BaseException as error:  # noqa: BLE001 — re-raised in the test's thread
            out["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def worker(tmp: Path) -> ExperimentManager:
    """One worker of the server: one training slot, the shared cache and queue in ``tmp``."""
    (tmp / "no-mnist").mkdir(exist_ok=True)
    manager = ExperimentManager(
        runs_at_once=1,
        cache_size=16,
        nice=2,
        max_seconds=300,
        data_dir=tmp / "no-mnist",
        cache_dir=tmp / "cache",
    )
    manager.start()
    return manager


async def until_end(subscription: Subscription, seconds: float = 180) -> list[tuple[str, Any]]:
    """Every message up to and including ``result`` or ``error``."""
    seen: list[tuple[str, Any]] = []
    async with asyncio.timeout(seconds):
        while not seen or seen[-1][0] not in ("result", "error"):
            seen.append(await subscription.queue.get())
    return seen


async def until(condition: Callable[[], bool], seconds: float = 120) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.05)


async def first_progress(subscription: Subscription, seconds: float = 180) -> None:
    async with asyncio.timeout(seconds):
        while (await subscription.queue.get())[0] != "progress":
            pass


def queue_files(manager: ExperimentManager) -> list[str]:
    """What the queue directory holds besides the lock and the workers' files."""
    return sorted(
        p.name
        for p in manager.queue.directory.iterdir()
        if p.name != ".lock" and not p.name.startswith("worker-")
    )


def test_a_run_asked_of_a_busy_worker_trains_in_the_other_workers_free_slot(
    tmp_path: Path,
) -> None:
    async def body() -> tuple[list, list[int], list[int], list[str]]:
        a, b = worker(tmp_path), worker(tmp_path)
        try:
            busy = await a.subscribe("generalization", full(LONG))  # a's only slot
            await until(lambda: bool(a.worker_pids()))
            mine = await a.subscribe("generalization", full({**TINY, "seed": 5}))
            events = await until_end(mine)
            pids = (a.worker_pids(), b.worker_pids())
            a.unsubscribe(busy)
            await until(lambda: not a.running and not b.running)
            await until(lambda: queue_files(a) == [], 10)
            return events, *pids, queue_files(a)
        finally:
            a.close()
            b.close()

    events, a_pids, b_pids, left = run_async(body)
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "result" and "progress" in kinds
    assert events[-1][1]["config"]["seed"] == 5
    assert len(a_pids) == 1 and len(b_pids) == 1  # b trained it: its process started
    ends = [data for kind, data in events if kind == "progress" and data["epoch_end"]]
    assert [(e["model"], e["epoch"]) for e in ends] == [("fc", 1), ("cnn", 1)]
    assert ends[-1]["metrics"]["test_accuracy"] == events[-1][1]["models"][-1]["test_accuracy"]
    assert left == []  # ticket, subscriptions and events file are gone


def test_the_oldest_waiting_run_takes_the_first_free_slot_whichever_worker_asked(
    tmp_path: Path,
) -> None:
    async def body() -> list[str]:
        a, b = worker(tmp_path), worker(tmp_path)
        try:
            busy_a = await a.subscribe("generalization", full(LONG))
            busy_b = await b.subscribe("generalization", full({**LONG, "seed": 1}))
            await until(lambda: bool(a.worker_pids()) and bool(b.worker_pids()))
            older = await a.subscribe("generalization", full({**TINY, "seed": 6}))
            newer = await b.subscribe("generalization", full({**TINY, "seed": 7}))
            first = (await older.queue.get())[1]["position"], (await newer.queue.get())[1]
            b.unsubscribe(busy_b)  # b's slot frees first: it takes a's older ticket
            older_events = await until_end(older)
            a.unsubscribe(busy_a)
            newer_events = await until_end(newer)
            assert first[0] == 1 and first[1]["position"] == 2 and first[1]["waiting"] == 2
            assert older_events[-1][0] == "result" and newer_events[-1][0] == "result"
            start = [kind for kind, _ in newer_events].index("progress")
            return [
                f"{data['position']}/{data['waiting']}"
                for kind, data in newer_events[:start]
                if kind == "queued"
            ]
        finally:
            a.close()
            b.close()

    # the newer run moved up to first place when the older one started in b's slot
    assert run_async(body)[-1] == "1/1"


def test_a_training_process_that_dies_in_the_other_worker_ends_the_clients_run_with_a_500(
    tmp_path: Path,
) -> None:
    async def body() -> tuple[str, Any]:
        a, b = worker(tmp_path), worker(tmp_path)
        try:
            busy = await a.subscribe("generalization", full(LONG))
            await until(lambda: bool(a.worker_pids()))
            mine = await a.subscribe("generalization", full({**LONG, "seed": 2}))
            await first_progress(mine)  # training in b
            os.kill(b.worker_pids()[0], signal.SIGKILL)
            end = (await until_end(mine, 60))[-1]
            a.unsubscribe(busy)
            return end
        finally:
            a.close()
            b.close()

    assert run_async(body) == ("error", {"status": 500, "detail": PROCESS_DIED})


def test_a_worker_that_stops_while_training_anothers_run_ends_that_run_with_a_500(
    tmp_path: Path,
) -> None:
    async def body() -> tuple[str, Any]:
        a, b = worker(tmp_path), worker(tmp_path)
        try:
            busy = await a.subscribe("generalization", full(LONG))
            await until(lambda: bool(a.worker_pids()))
            mine = await a.subscribe("generalization", full({**LONG, "seed": 3}))
            await first_progress(mine)
            b.close()
            end = (await until_end(mine, 60))[-1]
            a.unsubscribe(busy)
            return end
        finally:
            a.close()
            b.close()

    assert run_async(body) == ("error", {"status": 500, "detail": WORKER_GONE})


def test_a_client_that_leaves_cancels_its_run_in_the_other_worker(tmp_path: Path) -> None:
    async def body() -> tuple[bool, list[str]]:
        a, b = worker(tmp_path), worker(tmp_path)
        try:
            busy = await a.subscribe("generalization", full(LONG))
            await until(lambda: bool(a.worker_pids()))
            mine = await a.subscribe("generalization", full({**LONG, "seed": 4}))
            await first_progress(mine)
            a.unsubscribe(mine)
            await until(lambda: b.slots[0].run is None, 60)  # b stopped training it
            freed = b._free() == 1
            a.unsubscribe(busy)
            await until(lambda: not a.running, 60)
            await until(lambda: queue_files(a) == [], 10)
            return freed, queue_files(a)
        finally:
            a.close()
            b.close()

    assert run_async(body) == (True, [])


def test_the_same_config_asked_of_two_workers_trains_once_and_both_clients_get_it(
    tmp_path: Path,
) -> None:
    async def body() -> tuple[Subscription, list, list, list[int]]:
        a, b = worker(tmp_path), worker(tmp_path)
        try:
            # long enough after its first epoch (about a second) that b asks while it runs
            config = full({**TINY, "train_size": 2000, "seed": 8, "epochs": 4})
            first = await a.subscribe("generalization", config)
            await until(lambda: bool(a.running[first.key].history))
            second = await b.subscribe("generalization", config)
            events = await until_end(first), await until_end(second)
            return second, *events, b.worker_pids()
        finally:
            a.close()
            b.close()

    second, first_events, second_events, b_pids = run_async(body)
    assert second.shared is True and b_pids == []  # joined, never trained in b
    assert first_events[-1] == second_events[-1]
    assert first_events[-1][0] == "result"

    def progress(events: list) -> list:
        return [data for kind, data in events if kind == "progress"]

    assert progress(second_events) == progress(first_events)  # the earlier ones replayed


def test_servers_share_a_queue_only_when_they_would_train_a_run_alike(tmp_path: Path):
    def queue_of(max_seconds: float, data_dir: Path) -> Path:
        manager = ExperimentManager(
            runs_at_once=1,
            cache_size=16,
            nice=2,
            max_seconds=max_seconds,
            data_dir=data_dir,
            cache_dir=tmp_path / "cache",
        )
        return manager.queue.directory

    same = queue_of(300, tmp_path / "no-mnist")
    assert same.parent == tmp_path / "cache"
    assert same.name == queue_directory("subset", 300)
    assert queue_of(300, tmp_path / "other-no-mnist") == same  # both train on the shipped subset
    assert queue_of(60, tmp_path / "no-mnist") != same
    assert queue_directory("idx:/data/mnist", 300) != same.name
