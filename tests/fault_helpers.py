"""Faults on demand, for tests/test_faults*.py and bench/chaos.py: the database made to refuse
every connection (PostgreSQL) or locked exclusively (SQLite) for a while, and a `warroom shell`
whose output lines are stamped with the time they arrived."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

PG_ADMIN = os.environ.get("WARROOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def database_away(url: str) -> Iterator[None]:
    """While the block runs, the database at `url` answers nobody: on PostgreSQL it refuses
    new connections and its open ones are terminated; an SQLite file is locked exclusively."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        conn = sqlite3.connect(str(parsed.database), isolation_level=None, timeout=30)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    name = parsed.database
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            yield
        finally:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


class Stamped:
    """A subprocess's stdout, line by line, each with the monotonic time it arrived."""

    def __init__(self, proc: subprocess.Popen[str], stderr: Path) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.stderr = stderr
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float = 30) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if text in line:
                    return at
            time.sleep(0.01)
        raise AssertionError(f"no line with {text!r} in {timeout} s: {self.lines}")

    def send(self, *lines: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(f"{line}\n" for line in lines))
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=timeout)
        self._thread.join(timeout=5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return self.proc.returncode, self.stderr.read_text()

    def said(self, text: str) -> list[float]:
        """When each line containing `text` arrived."""
        return [at for at, line in self.lines if text in line]


def start_stamped(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Stamped:
    """`warroom ARGS` (a shell) with stdin a pipe and stdout stamped; stderr to a file."""
    from helpers import start_warroom

    err = tmp_path / f"stderr-{time.monotonic_ns()}.txt"
    with err.open("w") as sink:
        proc = start_warroom(*args, tmp_path=tmp_path, env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=sink, text=True, bufsize=1)  # fmt: skip
    return Stamped(proc, err)


def sqlite_path(url: str) -> Path:
    return Path(str(make_url(url).database))
