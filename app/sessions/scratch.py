"""A throw-away PostgreSQL server: initdb into a temporary directory, pg_ctl start on a free
port of 127.0.0.1, trust authentication, stopped (and deleted) at the end.

``convlab db scratch`` starts one to try the lab on PostgreSQL (several replicas on one database)
without installing a service; the test suite and bench/sessions_load.py start theirs here too.

PostgreSQL refuses to run as root, so as root the server runs as ``nobody`` (``runuser``), in a
directory of its own under /tmp. The binaries are Debian's (/usr/lib/postgresql/<version>/bin,
the newest), or ``CONVLAB_PG_BIN``, or ``initdb`` on the PATH; ``find_bin_dir`` is None when
there are none (the tests skip, saying so).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

from app.config import get_settings


def find_bin_dir() -> Path | None:
    """Where initdb and pg_ctl are (``CONVLAB_PG_BIN``, then Debian's, then the PATH), or None."""
    configured = get_settings().pg_bin
    if configured is not None:
        return configured
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for candidate in reversed(versions):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One throw-away server; ``url(dbname)`` is its SQLAlchemy URL."""

    def __init__(self, bin_dir: Path, port: int | None = None, fsync: bool = False) -> None:
        self.bin_dir = bin_dir
        self.port = port or free_port()
        self.fsync = fsync
        self.root = Path(tempfile.mkdtemp(prefix="convlab-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "nobody", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        if self.as_root:
            os.chown(self.root, 65534, 65534)  # nobody:nogroup
        self.root.chmod(0o755)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            f"-c fsync={'on' if self.fsync else 'off'} -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w",
            "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
