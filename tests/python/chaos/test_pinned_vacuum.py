"""A transaction held open for the whole run pins vacuum while 50 jobs/s flow.

A REPEATABLE READ transaction takes its snapshot before the first job and
stays open to the end, so no dead row version of ``chancy.jobs`` can be
removed. Jobs are pushed at 50 per second and run by two workers; a probe
claims one job with ``chancy.fetch`` every quarter second and times the
call. The fetch times are reported (first and last quarter of the run, and
the dead rows left behind), not asserted: the machine is shared and noisy.
Asserted: every job succeeds and the pin was real to the end.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import psycopg
import pytest

from .chaos_jobs import SIDE_TABLE
from .cluster import Cluster, install
from .harness import REPORT, Fleet, query, wait_until

RATE = 50  # jobs per second


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    median = statistics.median(ordered)
    return f"p50={median:.1f}ms p95={p95:.1f}ms max={ordered[-1]:.1f}ms"


def run(cluster: Cluster, tmp_path: Any, seconds: float) -> None:
    dsn = cluster.create_database("pinned")
    done = install(dsn)
    assert done.returncode == 0, done.stdout
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SIDE_TABLE)
        conn.execute(
            "SELECT chancy.declare_queue(name => 'pin', executor => 'async',"
            " polling_interval => 0.5)"
        )

    holder = psycopg.connect(dsn)
    holder.execute("SET application_name = 'chaos-pin'")
    holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    holder.execute("SELECT count(*) FROM chancy.jobs").fetchone()
    fleet = Fleet(dsn, tmp_path, queue="pin", size=2, concurrency=10, prefix="pin-w")
    fleet.start_all()
    timings: list[tuple[float, float]] = []
    pushed = 0
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            began = time.monotonic()
            next_push = began
            next_probe = began
            while time.monotonic() - began < seconds:
                now = time.monotonic()
                if now >= next_push:
                    payload = [{"func": "chaos_jobs.quick", "queue": "pin"}] * (
                        RATE // 10
                    )
                    conn.execute(
                        "SELECT count(*) FROM chancy.push_many(jobs => %s::jsonb)",
                        (json.dumps(payload),),
                    )
                    pushed += RATE // 10
                    next_push += 0.1
                if now >= next_probe:
                    t0 = time.perf_counter()
                    rows = conn.execute(
                        "SELECT id, claim_id FROM chancy.fetch(queue => 'pin',"
                        " worker_id => 'probe', max_jobs => 1, lease_seconds => 30)"
                    ).fetchall()
                    timings.append((now - began, (time.perf_counter() - t0) * 1000))
                    if rows:
                        conn.execute(
                            "SELECT chancy.complete(job_ids => %s::uuid[],"
                            " claim_ids => %s::uuid[])",
                            ([rows[0][0]], [rows[0][1]]),
                        )
                    next_probe += 0.25
                time.sleep(max(0.0, min(next_push, next_probe) - time.monotonic()))
        wait_until(
            lambda: (
                query(
                    dsn, "SELECT count(*) FROM chancy.jobs WHERE state = 'succeeded'"
                )[0][0]
                >= pushed
            ),
            120,
            "every job to succeed",
        )
        pinned = query(
            dsn,
            "SELECT backend_xmin IS NOT NULL FROM pg_stat_activity"
            " WHERE application_name = 'chaos-pin'",
        )
        assert pinned == [(True,)], (
            "the pinning transaction must still hold its snapshot"
        )
        query(dsn, "VACUUM chancy.jobs")
        dead = query(
            dsn,
            "SELECT n_dead_tup FROM pg_stat_user_tables"
            " WHERE relid = 'chancy.jobs'::regclass",
        )[0][0]
    finally:
        fleet.stop_all()
        holder.rollback()
        holder.close()

    states = query(dsn, "SELECT state, count(*) FROM chancy.jobs GROUP BY 1")
    assert states == [("succeeded", pushed)]
    quarter = seconds / 4
    first = [ms for t, ms in timings if t < quarter]
    last = [ms for t, ms in timings if t >= seconds - quarter]
    REPORT.append(
        f"chaos pinned-vacuum: seconds={seconds:.0f} jobs={pushed} rate={RATE}/s "
        f"fetches={len(timings)} first_quarter[{_stats(first)}] "
        f"last_quarter[{_stats(last)}] dead_rows_after_vacuum={dead}"
    )


def test_pinned_vacuum_short(cluster: Cluster, tmp_path: Any) -> None:
    run(cluster, tmp_path, seconds=15)


@pytest.mark.chaos
@pytest.mark.timeout(600)
def test_pinned_vacuum_long(cluster: Cluster, tmp_path: Any) -> None:
    run(cluster, tmp_path, seconds=60)
