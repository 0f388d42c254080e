"""`convlab db scratch`: a throw-away PostgreSQL at the newest schema, gone after Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from app.sessions.scratch import find_bin_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bin_dir() -> Path:
    found = find_bin_dir()
    if found is None:
        pytest.skip(
            "PostgreSQL binaries not found (apt-get install postgresql, or set CONVLAB_PG_BIN)"
        )
    return found


def test_db_scratch_prints_a_migrated_database_and_deletes_it_on_ctrl_c(bin_dir: Path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "db", "scratch"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.fullmatch(r"CONVLAB_DATABASE_URL=postgresql\+psycopg://(\S+)\n", line)
        assert match, (line, proc.stderr.read() if proc.poll() is not None else "")
        dsn = "postgresql://" + match.group(1)
        with psycopg.connect(dsn) as conn:
            tables = {
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
        assert {"sessions", "participants", "questions", "answers"} <= tables
        root = Path(re.fullmatch(r"a throw-away server in (\S+):.*\n", proc.stdout.readline())[1])
        assert (root / "data" / "PG_VERSION").exists()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert not root.exists()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(dsn, connect_timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
