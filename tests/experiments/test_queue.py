"""The queue shared by the server's workers: who starts what, positions, events, sweeping.

Two TicketQueue objects on one directory stand for two worker processes (distinct names).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.experiments.queue import (
    WORKER_GONE,
    Ticket,
    TicketQueue,
    expected_waits,
    positions,
    to_start,
)

KEY = [f"{i:064x}" for i in range(6)]
CONFIG = {"seed": 1}


def ticket(at: int, owner: str, key: str = KEY[0]) -> Ticket:
    return Ticket(at, owner, key)


def test_a_free_slot_takes_the_oldest_ticket_whichever_worker_took_it() -> None:
    waiting = [ticket(30, "2_0", KEY[2]), ticket(10, "1_0", KEY[1]), ticket(20, "2_0", KEY[3])]
    assert to_start(waiting, 1) == [ticket(10, "1_0", KEY[1])]


def test_free_slots_take_the_oldest_tickets_in_order() -> None:
    waiting = [ticket(30, "2_0", KEY[2]), ticket(10, "1_0", KEY[1]), ticket(20, "2_0", KEY[3])]
    assert [t.at for t in to_start(waiting, 2)] == [10, 20]
    assert to_start(waiting, 0) == [] and to_start([], 3) == []


def test_positions_count_the_older_tickets_of_every_worker() -> None:
    waiting = [ticket(30, "2_0", KEY[2]), ticket(10, "1_0", KEY[1]), ticket(20, "2_0", KEY[3])]
    assert {t.at: place for t, place in positions(waiting).items()} == {10: 1, 20: 2, 30: 3}


def test_each_waiting_run_starts_when_the_first_slot_frees_for_it_in_queue_order() -> None:
    # two slots: training runs with 2 s and 5 s left; waiting runs of 4, 1 and 3 s
    assert expected_waits([2.0, 5.0], [4.0, 1.0, 3.0], 2) == [2.0, 5.0, 6.0]


def test_a_free_slot_means_the_first_waiting_run_starts_at_once() -> None:
    assert expected_waits([3.0], [4.0, 4.0], 2) == [0.0, 3.0]
    assert expected_waits([], [4.0, 4.0, 4.0], 2) == [0.0, 0.0, 4.0]


def test_the_expected_wait_counts_the_predicted_seconds_of_the_runs_ahead(
    tmp_path: Path,
) -> None:
    a, b = TicketQueue(tmp_path, 1, "100_0", pace=2.0), TicketQueue(tmp_path, 1, "100_1")
    first, *_ = a.take(KEY[0], "limits", CONFIG, free_here=1, seconds=3.0)  # starts in a
    second, *_ = a.take(KEY[1], "limits", CONFIG, free_here=0, seconds=5.0)
    third, _, _, snapshot = b.take(KEY[2], "limits", CONFIG, free_here=0, seconds=1.0)
    assert snapshot.pace == 1.5  # the mean of a's 2.0 and b's 1.0
    now = snapshot.since[first.id] + 1.0  # a's run: 3 s · 1.5 − 1 s = 3.5 s left
    assert snapshot.waits(now) == {second.id: 0.0, third.id: 3.5}  # b's slot is free


def test_a_ticket_name_round_trips_through_its_id() -> None:
    waiting = ticket(12, "345_0", KEY[1])
    assert waiting.name == f"{12:020d}-345_0-{KEY[1]}.wait"
    assert waiting.running_in("7_1").name == f"{12:020d}-345_0-{KEY[1]}.run-7_1"
    assert Ticket.parse_id(waiting.id) == waiting


def test_a_ticket_taken_in_a_full_worker_is_started_by_the_other_workers_free_slot(
    tmp_path: Path,
) -> None:
    a, b = TicketQueue(tmp_path, 1, "100_0"), TicketQueue(tmp_path, 1, "100_1")
    mine, joined, starting, snapshot = a.take(KEY[0], "limits", CONFIG, free_here=0, seconds=2.5)
    assert (joined, starting, [t.id for t in snapshot.waiting]) == (False, [], [mine.id])
    started, _ = b.step(free_here=1)
    payload = {"experiment_id": "limits", "config": CONFIG, "seconds": 2.5}
    assert started == [(mine.running_in("100_1"), payload)]
    seen = a.snapshot()
    assert seen.waiting == [] and seen.running == [mine.running_in("100_1")]
    assert seen.free == {"100_0": 0, "100_1": 0} and seen.slots == 2


def test_a_worker_with_a_free_slot_starts_its_new_ticket_in_the_same_turn(
    tmp_path: Path,
) -> None:
    a, _ = TicketQueue(tmp_path, 1, "100_0"), TicketQueue(tmp_path, 1, "100_1")
    mine, _, starting, _ = a.take(KEY[0], "limits", CONFIG, free_here=1)
    assert [t for t, _ in starting] == [mine.running_in("100_0")]


def test_a_new_ticket_waits_behind_an_older_one_even_in_a_worker_with_a_free_slot(
    tmp_path: Path,
) -> None:
    a, b = TicketQueue(tmp_path, 1, "100_0"), TicketQueue(tmp_path, 1, "100_1")
    older, *_ = a.take(KEY[0], "limits", CONFIG, free_here=0)
    newer, _, starting, snapshot = b.take(KEY[1], "limits", CONFIG, free_here=1)
    assert [t for t, _ in starting] == [older.running_in("100_1")]  # the older one goes first
    assert [t.id for t in snapshot.waiting] == [newer.id]


def test_the_same_run_asked_of_another_worker_joins_its_ticket(tmp_path: Path) -> None:
    a, b = TicketQueue(tmp_path, 1, "100_0"), TicketQueue(tmp_path, 1, "100_1")
    first, *_ = a.take(KEY[0], "limits", CONFIG, free_here=0)
    second, joined, _, snapshot = b.take(KEY[0], "limits", CONFIG, free_here=0)
    assert (second, joined) == (first, True)
    assert snapshot.subscribers == {first.id: {"100_0", "100_1"}}


def test_a_waiting_ticket_leaves_the_queue_when_its_last_worker_leaves(tmp_path: Path) -> None:
    a, b = TicketQueue(tmp_path, 1, "100_0"), TicketQueue(tmp_path, 1, "100_1")
    first, *_ = a.take(KEY[0], "limits", CONFIG, free_here=0)
    b.take(KEY[0], "limits", CONFIG, free_here=0)
    assert a.leave(first) is True  # b's clients still wait
    assert [t.id for t in a.snapshot().waiting] == [first.id]
    assert b.leave(first) is False
    assert a.snapshot().waiting == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".lock",
        "worker-100_0.json",
        "worker-100_1.json",
    ]


def test_events_are_read_in_whole_lines_from_an_offset(tmp_path: Path) -> None:
    queue = TicketQueue(tmp_path, 1, "100_0")
    mine, *_ = queue.take(KEY[0], "limits", CONFIG, free_here=1)
    queue.append(mine, "progress", {"step": 1})
    events, offset = queue.read_events(mine, 0)
    assert events == [("progress", {"step": 1})]
    with open(tmp_path / f"{mine.id}.events", "ab") as out:
        out.write(b'{"event":"result","da')  # being written
    assert queue.read_events(mine, offset) == ([], offset)
    with open(tmp_path / f"{mine.id}.events", "ab") as out:
        out.write(b'ta":{"ok":true}}\n')
    assert queue.read_events(mine, offset)[0] == [("result", {"ok": True})]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_of_a_worker_that_died_ends_with_an_error_for_its_readers(tmp_path: Path) -> None:
    a = TicketQueue(tmp_path, 1, "100_0")
    mine, *_ = a.take(KEY[0], "limits", CONFIG, free_here=0)
    dead = TicketQueue(tmp_path, 1, f"{_dead_pid()}_0")  # its process is gone
    started, _ = dead.step(free_here=1)
    assert [t for t, _ in started] == [mine.running_in(dead.worker)]
    snapshot = a.snapshot()  # sweeps the dead worker
    assert snapshot.running == [] and snapshot.waiting == [] and dead.worker not in snapshot.free
    events, _ = a.read_events(mine, 0)
    assert events == [("error", {"status": 500, "detail": WORKER_GONE})]


def test_a_worker_that_closes_ends_its_runs_with_an_error_and_leaves_no_files(
    tmp_path: Path,
) -> None:
    a, b = TicketQueue(tmp_path, 1, "100_0"), TicketQueue(tmp_path, 1, "100_1")
    mine, *_ = a.take(KEY[0], "limits", CONFIG, free_here=0)
    b.step(free_here=1)
    b.close()
    assert a.read_events(mine, 0)[0] == [("error", {"status": 500, "detail": WORKER_GONE})]
    a.leave(mine)  # a's client read the end
    a.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock"]
