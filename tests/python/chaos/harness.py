"""Worker processes for the chaos suite: start, SIGKILL, restart, stop.

Every process writes its output to its own log file under the cluster's
directory; :meth:`Fleet.logs` reads them all back so a test can look for
errors such as deadlocks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import psycopg

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

#: Summary lines printed at the end of the pytest session (see conftest.py).
REPORT: list[str] = []


class Proc:
    def __init__(
        self, popen: subprocess.Popen[bytes], log: IO[bytes], path: Path
    ) -> None:
        self.popen = popen
        self.log = log
        self.path = path


class Fleet:
    """``size`` worker processes named ``{prefix}{i}`` serving one queue."""

    def __init__(
        self,
        dsn: str,
        logdir: Path,
        *,
        queue: str,
        size: int = 4,
        concurrency: int = 5,
        prefix: str = "chaos-w",
        extra: tuple[str, ...] = (),
    ) -> None:
        self.dsn = dsn
        self.logdir = logdir
        self.queue = queue
        self.size = size
        self.concurrency = concurrency
        self.prefix = prefix
        self.extra = extra
        self.procs: dict[int, Proc] = {}
        self.kills = 0
        self.started = 0

    def name(self, index: int) -> str:
        return f"{self.prefix}{index}"

    def start(self, index: int) -> None:
        path = self.logdir / f"{self.name(index)}.{self.started}.log"
        log = path.open("wb")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(HERE), str(REPO / "python"), os.environ.get("PYTHONPATH", "")]
            ),
            "PYTHONUNBUFFERED": "1",
            "CHAOS_SIDE_DSN": self.dsn,
        }
        popen = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "chaos_worker.py"),
                self.dsn,
                self.name(index),
                self.queue,
                str(self.concurrency),
                *self.extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.started += 1
        self.procs[index] = Proc(popen, log, path)

    def start_all(self) -> None:
        for index in range(self.size):
            self.start(index)

    def pid(self, index: int) -> int:
        return self.procs[index].popen.pid

    def kill(self, index: int, *, restart: bool = True) -> None:
        """SIGKILL worker ``index`` (no chance to hand anything back)."""
        proc = self.procs[index]
        with contextlib.suppress(ProcessLookupError):
            proc.popen.send_signal(signal.SIGKILL)
        proc.popen.wait(timeout=30)
        proc.log.close()
        self.kills += 1
        if restart:
            self.start(index)

    def index_of_worker(self, worker_id: str) -> int | None:
        for index, proc in self.procs.items():
            if worker_id == f"{self.name(index)}-{proc.popen.pid}":
                return index
        return None

    def dead(self) -> list[tuple[int, int | None]]:
        """Workers that exited on their own: (index, return code)."""
        return [
            (i, p.popen.returncode)
            for i, p in self.procs.items()
            if p.popen.poll() is not None
        ]

    def stop_all(self, timeout: float = 30) -> None:
        for proc in self.procs.values():
            if proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait()
            proc.log.close()

    def logs(self) -> str:
        parts = []
        for path in sorted(self.logdir.glob(f"{self.prefix}*.log")):
            parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)


def wait_until(predicate, timeout: float, what: str, every: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def query(
    dsn: str, sql: str, params: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    """One autocommit query on a fresh connection (survives server restarts)."""
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        cur = conn.execute(sql, params)  # type: ignore[arg-type]
        return list(cur.fetchall()) if cur.description else []


def query_retry(
    dsn: str, sql: str, params: tuple[object, ...] = (), timeout: float = 60
):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            return query(dsn, sql, params)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
