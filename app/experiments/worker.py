"""A training process: runs experiments off the server's request threads, at lower CPU priority.

The server keeps one such process per training slot (``CONVLAB_EXPERIMENT_RUNS_AT_ONCE``),
``python -m app.experiments.worker FD NICE``, niced by ``CONVLAB_EXPERIMENT_NICE`` and limited
to one torch thread. It talks over one end of a socket pair (file descriptor FD), as a
``multiprocessing`` Connection (pickled tuples):

    parent → child   ("run", key, experiment_id, config, data_dir, max_seconds) | ("cancel", key)
                     | ("stop",)
    child → parent   ("ready", pid) | ("progress", key, event) | ("result", key, result)
                     | ("error", key, status, detail) | ("cancelled", key)

A "cancel" is read between training steps, so a run stops within one step.
"""

from __future__ import annotations

import os
import time
from multiprocessing.connection import Connection
from typing import Any

TIME_LIMIT_STATUS = 504
"""A run stopped at the time limit: the training process did not answer in time (Gateway
Timeout). Not a 503: the slot is free again, and asking again at once would fail the same way
unless the server is less loaded or the config smaller; not a 422: the config is within every
limit the schema checks."""


def time_limit_detail(max_seconds: float) -> str:
    """What a client reads when a run hits ``CONVLAB_EXPERIMENT_MAX_SECONDS``."""
    return (
        f"the run was stopped after {max_seconds:g} s, this server's time limit for one run "
        "(CONVLAB_EXPERIMENT_MAX_SECONDS): lower train_size, epochs or the number of models, "
        "or try again when the server is less busy"
    )


def serve(conn: Connection, nice: int) -> None:
    """The child's main loop (the target of the spawned process)."""
    os.nice(nice)
    import torch

    torch.set_num_threads(1)
    from app.engine.errors import InvalidInput
    from app.experiments import data
    from app.experiments.registry import EXPERIMENTS
    from app.experiments.runner import RunCancelled, run

    # warm up what the first run would otherwise pay for (the subset, Adam's first import, the
    # convolution kernels' first calls: 0.2 CPU s of a first default run, 0.1 s here)
    data.load_subset()
    warm_up = dict(EXPERIMENTS["generalization"].defaults, train_size=20, test_size=100, epochs=1)
    run("generalization", warm_up)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        if message[0] != "run":
            continue  # a late "cancel" for a run that already ended
        _, key, experiment_id, config, data_dir, max_seconds = message
        deadline = time.monotonic() + max_seconds
        timed_out = False

        def should_stop(key: str = key, deadline: float = deadline) -> bool:
            nonlocal timed_out
            while conn.poll():
                incoming = conn.recv()
                if incoming[0] == "cancel" and incoming[1] == key:
                    return True
                if incoming[0] == "stop":
                    raise SystemExit(0)
            if time.monotonic() > deadline:
                timed_out = True
                return True
            return False

        def report(event: dict[str, Any], key: str = key) -> None:
            conn.send(("progress", key, event))

        try:
            result = run(
                experiment_id, config, data_dir=data_dir, report=report, should_stop=should_stop
            )
        except RunCancelled:
            if timed_out:
                conn.send(("error", key, TIME_LIMIT_STATUS, time_limit_detail(max_seconds)))
            else:
                conn.send(("cancelled", key))
        except InvalidInput as error:
            conn.send(("error", key, 422, str(error)))
        except Exception as error:  # noqa: BLE001 — reported to the client, never a hang
            conn.send(("error", key, 500, f"the run failed: {type(error).__name__}: {error}"))
        else:
            conn.send(("result", key, result))


def main(argv: list[str]) -> None:
    fd, nice = int(argv[0]), int(argv[1])
    serve(Connection(fd), nice)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
