"""Three worker processes: one leader at a time, failover after SIGKILL, recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import psycopg
import pytest

HERE = Path(__file__).resolve().parent
POLL, TIMEOUT = 0.5, 2.0  # what leader_proc.py configures


class Proc:
    """One worker process and the lines it printed, with when they arrived."""

    def __init__(self, dsn: str, worker_id: str) -> None:
        self.worker_id = worker_id
        self.lines: list[str] = []
        self.popen = subprocess.Popen(
            [sys.executable, str(HERE / "leader_proc.py"), dsn, worker_id],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._reader = threading.Thread(
            target=self._read, args=(self.popen.stdout,), daemon=True
        )
        self._reader.start()

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def events(self) -> list[list[str]]:
        return [
            line.split()
            for line in list(self.lines)
            if line.startswith(("LEAD", "STOP"))
        ]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._reader.join(timeout=5)
        if self.popen.stdout is not None:
            self.popen.stdout.close()


@pytest.fixture
def procs(dsn: str) -> Iterator[list[Proc]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT chancy.declare_queue(name => 'mp', concurrency => 3,"
            " executor => 'async')"
        )
    started = [Proc(dsn, f"mp-{i}") for i in range(3)]
    try:
        yield started
    finally:
        for proc in started:
            proc.stop()


def wait_for(predicate: Any, timeout: float, what: str, procs: list[Proc]) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            output = "\n".join(
                f"{p.worker_id}: {line}" for p in procs for line in p.lines
            )
            raise AssertionError(f"timed out waiting for {what}\n{output}")
        time.sleep(0.1)


def leader(conn: psycopg.Connection[Any]) -> tuple[str, int, Any, Any] | None:
    row = conn.execute(
        "SELECT worker_id, term, elected_at, renewed_at FROM chancy.leader"
        " WHERE expires_at > now()"
    ).fetchone()
    return None if row is None else (row[0], row[1], row[2], row[3])


def leadership_intervals(procs: list[Proc], ended: dict[str, float]) -> list[Any]:
    """(start, end, worker, term) of every stretch a process believed it led."""
    intervals = []
    for proc in procs:
        start: tuple[float, int] | None = None
        for event in proc.events():
            if event[0] == "LEAD":
                start = (float(event[3]), int(event[2]))
            elif start is not None:
                intervals.append((start[0], float(event[2]), proc.worker_id, start[1]))
                start = None
        if start is not None:
            end = ended.get(proc.worker_id, time.monotonic())
            intervals.append((start[0], end, proc.worker_id, start[1]))
    return sorted(intervals)


def test_one_leader_at_a_time_failover_after_sigkill_and_recovery(
    dsn: str, procs: list[Proc]
) -> None:
    conn = psycopg.connect(dsn, autocommit=True)
    try:
        first = wait_for(lambda: leader(conn), 60, "a first leader", procs)

        # The jobs: each worker takes some and holds them for a while.
        for _ in range(9):
            conn.execute(
                "SELECT chancy.push(func => 'leader_proc.hold', queue => 'mp',"
                " kwargs => '{\"seconds\": 4}', max_attempts => 2)"
            )
        victim_id = first[0]

        def victim_holds_jobs() -> bool:
            row = conn.execute(
                "SELECT count(*) FROM chancy.jobs WHERE state = 'running'"
                " AND taken_by = %s",
                (victim_id,),
            ).fetchone()
            return bool(row and row[0] > 0)

        wait_for(victim_holds_jobs, 60, "the leader to hold jobs", procs)
        held = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM chancy.jobs WHERE state = 'running' AND taken_by = %s",
                (victim_id,),
            )
        }

        # Sample the lease: exactly one live leader, and always the same one.
        for _ in range(20):
            assert leader(conn) is not None
            assert leader(conn)[0] == victim_id  # type: ignore[index]
            time.sleep(0.1)

        victim = next(p for p in procs if p.worker_id == victim_id)
        last_renewal = leader(conn)
        assert last_renewal is not None
        victim.popen.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        victim.popen.wait()

        def new_leader() -> Any:
            row = leader(conn)
            return row if row is not None and row[0] != victim_id else None

        successor = wait_for(new_leader, 60, "a new leader", procs)
        assert successor[1] > first[1]
        # Database clock: the lease ran out, then the next poll took it.
        gap = (successor[2] - last_renewal[3]).total_seconds()
        print(
            f"new leader {successor[0]} {time.monotonic() - killed_at:.2f}s after "
            f"SIGKILL; elected {gap:.2f}s after the last renewal "
            f"(timeout {TIMEOUT}s + poll {POLL}s)"
        )
        assert gap <= TIMEOUT + POLL + 2.0, "failover slower than timeout + poll"

        # The killed worker's jobs come back and the survivors finish them.
        def all_done() -> bool:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE state = 'succeeded'), count(*)"
                " FROM chancy.jobs"
            ).fetchone()
            return bool(row and row[0] == row[1] == 9)

        wait_for(all_done, 120, "every job to succeed", procs)
        for job_id in held:
            row = conn.execute(
                "SELECT attempts, errors -> 0 ->> 'type', taken_by"
                " FROM chancy.jobs WHERE id = %s",
                (job_id,),
            ).fetchone()
            assert row is not None
            assert row[0] == 2 and row[1] == "WorkerLost"
    finally:
        conn.close()

    # No two processes ever believed they led at the same time.
    intervals = leadership_intervals(procs, {victim_id: killed_at})
    assert [i[2] for i in intervals][:1] == [victim_id]
    assert any(i[2] == successor[0] for i in intervals)
    for before, after in zip(intervals, intervals[1:], strict=False):
        assert before[1] <= after[0], f"overlapping leaders: {before} {after}"
