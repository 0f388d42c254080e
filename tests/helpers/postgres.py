"""A real, throw-away PostgreSQL server for tests and benchmarks.

``initdb`` + ``pg_ctl`` from Debian's ``postgresql`` package (scripts/test installs it where it
is missing), in a temporary directory, listening on 127.0.0.1 only, trust authentication.
PostgreSQL refuses to run as root: as root the cluster belongs to the ``postgres`` user (or
``nobody``), which the package creates. ``postgres_server()`` yields a SQLAlchemy URL and
stops the server (``pg_ctl stop -m immediate``) and removes its files afterwards.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DRIVER = "postgresql+psycopg"
USER = "convlab"
DATABASE = "convlab"


def bin_dir() -> Path | None:
    """The directory of ``pg_ctl`` and ``initdb`` (the newest installed version), or None."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found else None


def missing_reason() -> str | None:
    """Why no test server can start here, or None when one can."""
    if bin_dir() is None:
        return "PostgreSQL server binaries (Debian's postgresql package) are not installed"
    if os.geteuid() == 0 and _run_as() is None:
        return "running as root and neither a postgres nor a nobody user exists"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed"
    return None


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as when we are root (None when not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command: list[str], user: pwd.struct_passwd | None, **kwargs) -> None:
    extra = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}
    subprocess.run(command, check=True, capture_output=True, text=True, **extra, **kwargs)


@contextmanager
def postgres_server(
    port: int | None = None, *, max_connections: int = 300
) -> Iterator[str]:
    """Start a fresh cluster with a database ``convlab``; yield its SQLAlchemy URL."""
    reason = missing_reason()
    if reason is not None:
        raise RuntimeError(reason)
    binaries = bin_dir()
    assert binaries is not None
    port = port or free_port()
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="convlab-pg-"))
    data, log = root / "data", root / "server.log"
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    # The cwd must be readable by the server's user (root's cwd may not be).
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
        f"-c max_connections={max_connections} -c shared_buffers=32MB"
    )
    started = False
    try:
        _run(
            [str(binaries / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
             "-E", "UTF8", "--no-instructions"],
            user, cwd=root, env=env,
        )  # fmt: skip
        _run(
            [str(binaries / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(data),
             "-l", str(log), "-o", options],
            user, cwd=root, env=env,
        )  # fmt: skip
        started = True
        _run(
            [str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE],
            user, cwd=root, env=env,
        )  # fmt: skip
        yield f"{DRIVER}://{USER}@127.0.0.1:{port}/{DATABASE}"
    except subprocess.CalledProcessError as error:
        text = log.read_text() if log.exists() else ""
        raise RuntimeError(f"{error.cmd[0]} failed: {error.stderr}\n{text}") from error
    finally:
        if started:
            subprocess.run(
                [str(binaries / "pg_ctl"), "stop", "-m", "immediate", "-D", str(data)],
                capture_output=True, cwd=root, env=env,
                **({"user": user.pw_uid, "group": user.pw_gid} if user else {}),
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
