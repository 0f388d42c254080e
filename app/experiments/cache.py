"""Finished experiment results on disk, shared by every worker process of one server.

uvicorn's workers (``--workers 2`` in compose.yaml and the Docker image) are separate
processes, so a cache in memory is one per worker: a reload answered by the other worker would
train again. This cache is a directory (``CONVLAB_EXPERIMENT_CACHE_DIR``, by default
``convlab-experiment-cache`` in the system's temporary directory) of one JSON file per run key:

- **Atomic.** A result is written to a temporary file in the same directory and renamed over
  ``<key>.json`` (``os.replace``), so a reader sees the whole file or none.
- **Bounded.** At most ``size`` files: after a write the least recently used ones go (a hit
  refreshes a file's modification time).
- **Safe to share.** The key (``manager.run_key``) is a hash of the experiment, the full config,
  the data source and a digest of the training code and torch version, and a run is
  deterministic, so any process may answer with any file.

A small in-memory front (the same bound) saves re-reading the file a process wrote or read.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any


class ResultCache:
    """Up to ``size`` results by run key: memory first, then ``directory`` (None: memory only)."""

    def __init__(self, directory: Path | None, size: int) -> None:
        self.directory = directory
        self.size = size
        self.memory: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()  # the pipe's thread writes, the loop and threads read
        if directory is not None and size > 0:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as error:  # fail at startup, naming the setting
                raise RuntimeError(
                    f"the experiment result cache directory {directory} cannot be created "
                    f"({error.strerror}): set CONVLAB_EXPERIMENT_CACHE_DIR to a writable "
                    "directory, or CONVLAB_EXPERIMENT_CACHE_SIZE=0"
                ) from error

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        assert key.isalnum(), f"a run key is hex, got {key!r}"
        return self.directory / f"{key}.json"

    def _remember(self, key: str, result: dict[str, Any]) -> None:
        with self._lock:
            self.memory[key] = result
            self.memory.move_to_end(key)
            while len(self.memory) > self.size:
                self.memory.popitem(last=False)

    def remember(self, key: str, result: dict[str, Any]) -> None:
        """Keep in memory a result another process wrote to disk (no disk access)."""
        if self.size > 0:
            self._remember(key, result)

    def in_memory(self, key: str) -> dict[str, Any] | None:
        """The result if this process holds it (no disk access: safe on the event loop)."""
        with self._lock:
            result = self.memory.get(key)
            if result is not None:
                self.memory.move_to_end(key)
            return result

    def get(self, key: str) -> dict[str, Any] | None:
        """The result of ``key`` from memory or disk, or None (reads a file: not on the loop)."""
        if self.size == 0:
            return None
        result = self.in_memory(key)
        if result is not None or self.directory is None:
            return result
        path = self._path(key)
        try:
            result = json.loads(path.read_bytes())
            os.utime(path)  # recently used
        except (FileNotFoundError, ValueError):  # absent, or pruned by another worker meanwhile
            return None
        self._remember(key, result)
        return result

    def put(self, key: str, result: dict[str, Any]) -> None:
        """Keep ``result``: in memory, and atomically on disk, then prune the oldest files."""
        if self.size == 0:
            return
        self._remember(key, result)
        if self.directory is None:
            return
        blob = json.dumps(result, separators=(",", ":")).encode()
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(blob)
            os.replace(temporary, self._path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._prune()

    def _prune(self) -> None:
        assert self.directory is not None
        files = []
        for path in self.directory.glob("*.json"):
            try:
                files.append((path.stat().st_mtime_ns, path))
            except FileNotFoundError:  # another worker pruned it
                continue
        files.sort()
        for _, path in files[: max(0, len(files) - self.size)]:
            path.unlink(missing_ok=True)

    def files(self) -> list[str]:
        """Keys on disk (for tests)."""
        if self.directory is None:
            return []
        return sorted(path.stem for path in self.directory.glob("*.json"))
