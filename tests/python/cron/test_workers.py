"""Three worker processes firing a one-second schedule: one job per tick.

The workers' executors are kept full by long jobs the whole time, so these
tests also show that firing never waits for a free executor slot.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import psycopg
import pytest

HERE = Path(__file__).resolve().parent
SECOND = dt.timedelta(seconds=1)


class Proc:
    """One worker process and what it printed."""

    def __init__(self, dsn: str, worker_id: str) -> None:
        self.worker_id = worker_id
        self.lines: list[str] = []
        self.popen = subprocess.Popen(
            [sys.executable, str(HERE / "cron_proc.py"), dsn, worker_id],
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


def setup_schedule(dsn: str, missed: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT chancy.declare_queue(name => 'busy', concurrency => 1,"
            " executor => 'async')"
        )
        conn.execute("SELECT chancy.declare_queue(name => 'cron_out')")
        for _ in range(3):
            conn.execute(
                "SELECT chancy.push(func => 'cron_proc.hold', queue => 'busy',"
                " kwargs => '{\"seconds\": 120}')"
            )
        conn.execute(
            "SELECT chancy.schedule(name => 'every-second',"
            " expression => '* * * * * *', func => 'app.tick',"
            " queue => 'cron_out', missed => %s)",
            (missed,),
        )


@pytest.fixture
def procs(dsn: str) -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.stop()


def wait_for(
    predicate: Callable[[], Any], timeout: float, what: str, procs: list[Proc]
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            output = "\n".join(f"{p.worker_id}: {x}" for p in procs for x in p.lines)
            raise AssertionError(f"timed out waiting for {what}\n{output}")
        time.sleep(0.1)


def fired(conn: psycopg.Connection[Any]) -> list[tuple[dt.datetime, dt.datetime]]:
    """(tick, created_at) of every cron job, by tick."""
    rows = conn.execute(
        "SELECT (j.meta -> 'cron' ->> 'tick')::timestamptz, j.created_at"
        " FROM chancy.jobs AS j WHERE j.queue = 'cron_out' ORDER BY 1"
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def check_one_job_per_tick(conn: psycopg.Connection[Any]) -> list[dt.datetime]:
    ticks = [tick for tick, _ in fired(conn)]
    assert len(set(ticks)) == len(ticks), "a tick fired twice"
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False) if b - a != SECOND]
    assert not gaps, f"ticks are missing: gaps {gaps}"
    ledger = [
        row[0]
        for row in conn.execute(
            "SELECT k.tick_at FROM chancy.cron_ticks AS k ORDER BY 1"
        ).fetchall()
    ]
    assert ledger == ticks
    return ticks


def busy_jobs_running(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT count(*) FROM chancy.jobs AS j WHERE j.queue = 'busy'"
        " AND j.state = 'running'"
    ).fetchone()
    return int(row[0]) if row else 0


def leader_id(conn: psycopg.Connection[Any]) -> str | None:
    row = conn.execute(
        "SELECT worker_id FROM chancy.leader WHERE expires_at > now()"
    ).fetchone()
    return None if row is None else str(row[0])


@pytest.mark.timeout(240)
def test_three_workers_fire_one_job_per_second_for_ten_seconds(
    dsn: str, procs: list[Proc]
) -> None:
    setup_schedule(dsn, "latest")
    procs.extend(Proc(dsn, f"cron-{i}") for i in range(3))
    with psycopg.connect(dsn, autocommit=True) as conn:
        wait_for(lambda: busy_jobs_running(conn) == 3, 90, "full executors", procs)
        first = wait_for(lambda: fired(conn), 90, "the first cron job", procs)[0][0]
        wait_for(
            lambda: any(t >= first + 11 * SECOND for t, _ in fired(conn)),
            90,
            "eleven more ticks",
            procs,
        )
        ticks = check_one_job_per_tick(conn)
        assert ticks[-1] - ticks[0] >= 11 * SECOND
        # Every executor slot was taken by a long job the whole time.
        assert busy_jobs_running(conn) == 3
        lag = max(created - tick for tick, created in fired(conn))
        print(f"cron: {len(ticks)} ticks, largest tick-to-push lag {lag}")


@pytest.mark.timeout(240)
def test_killing_the_leader_doubles_and_loses_no_tick(
    dsn: str, procs: list[Proc]
) -> None:
    setup_schedule(dsn, "all")
    procs.extend(Proc(dsn, f"cron-{i}") for i in range(3))
    by_id = {p.worker_id: p for p in procs}
    with psycopg.connect(dsn, autocommit=True) as conn:
        first = wait_for(lambda: fired(conn), 90, "the first cron job", procs)[0][0]
        wait_for(
            lambda: any(t >= first + 3 * SECOND for t, _ in fired(conn)),
            90,
            "three more ticks",
            procs,
        )
        victim = leader_id(conn)
        assert victim is not None
        by_id[victim].popen.send_signal(signal.SIGKILL)
        by_id[victim].popen.wait(timeout=30)
        killed_at = fired(conn)[-1][0]

        new_leader = wait_for(
            lambda: (x := leader_id(conn)) not in (None, victim) and x,
            90,
            "a new leader",
            procs,
        )
        wait_for(
            lambda: any(t >= killed_at + 8 * SECOND for t, _ in fired(conn)),
            90,
            "eight ticks after the kill",
            procs,
        )
        ticks = check_one_job_per_tick(conn)
        assert ticks[0] == first and ticks[-1] >= killed_at + 8 * SECOND
        terms = conn.execute(
            "SELECT count(DISTINCT k.term) FROM chancy.cron_ticks AS k"
        ).fetchone()
        assert terms is not None and terms[0] >= 2, (
            f"only one term fired ({new_leader})"
        )
