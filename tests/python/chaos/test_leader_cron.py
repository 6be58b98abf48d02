"""The leader killed: another leads within the lease; no cron tick doubled or missed.

Three worker processes run the Cron plugin (leader only) with a schedule
firing every second (``missed="all"``). The leader is killed with SIGKILL
twice; each time another worker must lead soon after the dead leader's lease
ran out (the database's own clock: ``elected_at`` against the old
``expires_at``). At the end the tick ledger holds every second from the first
tick to the last exactly once, each tick pushed exactly one job, and every
such job ran.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import psycopg
import pytest

from chancy import Chancy, Job

from .chaos_jobs import SIDE_TABLE
from .cluster import Cluster, install
from .harness import REPORT, Fleet, query, wait_until

LEASE = 2.0  # Leadership(timeout=2) in chaos_worker.py
POLL = 0.5


def _leader(dsn: str) -> tuple[str, int, dt.datetime, dt.datetime] | None:
    rows = query(
        dsn,
        "SELECT worker_id, term, elected_at, expires_at FROM chancy.leader"
        " WHERE expires_at > now()",
    )
    return tuple(rows[0]) if rows else None  # type: ignore[return-value]


async def _schedule(dsn: str) -> None:
    from chancy.plugins.cron import Cron

    async with Chancy(dsn, no_default_plugins=True) as chancy:
        await Cron.schedule(
            chancy,
            "* * * * * *",
            Job(func="chaos_jobs.tick", queue="cron", max_attempts=10),
            name="every-second",
            missed="all",
        )


def run(cluster: Cluster, tmp_path: Any, kills: int, settle: float) -> None:
    pytest.importorskip("croniter", reason="the cron plugin needs croniter")
    dsn = cluster.create_database("leader")
    done = install(dsn)
    assert done.returncode == 0, done.stdout
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SIDE_TABLE)
        conn.execute(
            "SELECT chancy.declare_queue(name => 'cron', executor => 'async',"
            " polling_interval => 0.5)"
        )
    asyncio.run(_schedule(dsn))
    fleet = Fleet(
        dsn,
        tmp_path,
        queue="cron",
        size=3,
        concurrency=4,
        prefix="lead-w",
        extra=("--cron",),
    )
    fleet.start_all()
    failovers = []
    try:
        for _ in range(kills):
            leader = wait_until(lambda: _leader(dsn), 60, "a leader")
            wait_until(
                lambda: query(dsn, "SELECT count(*) FROM chancy.cron_ticks")[0][0] >= 3,
                60,
                "ticks to fire",
            )
            index = fleet.index_of_worker(leader[0])
            assert index is not None, f"the leader {leader[0]} is none of ours"
            fleet.kill(index)
            old_id, old_term, _, old_expires = leader

            def successor(old_id: str = old_id) -> Any:
                found = _leader(dsn)
                return found if found and found[0] != old_id else None

            new = wait_until(
                successor,
                60,
                "another leader",
            )
            assert new[1] > old_term, "the term must grow at every change of leader"
            late = (new[2] - old_expires).total_seconds()
            failovers.append(late)
            # Taken over once the dead leader's lease ran out: within one poll
            # of it (plus slack for a busy machine), never before it.
            assert -0.05 <= late <= POLL + 5.0, late
        time.sleep(settle)
        # Stop firing, then let every pushed tick job finish.
        query(dsn, "SELECT chancy.unschedule(name => 'every-second')")
        wait_until(
            lambda: (
                query(
                    dsn,
                    "SELECT count(*) FROM chancy.jobs WHERE queue = 'cron'"
                    " AND state NOT IN ('succeeded','failed','cancelled')",
                )[0][0]
                == 0
            ),
            120,
            "tick jobs to finish",
        )
    finally:
        fleet.stop_all()

    jobs = query(
        dsn,
        "SELECT (meta->'cron'->>'tick')::timestamptz, state, id"
        " FROM chancy.jobs WHERE func = 'chaos_jobs.tick' ORDER BY 1",
    )
    ticks = [r[0] for r in jobs]
    assert len(ticks) >= 5
    assert len(set(ticks)) == len(ticks), "a tick pushed two jobs"
    gaps = [
        (b - a).total_seconds()
        for a, b in zip(ticks, ticks[1:], strict=False)  # type: ignore[operator]
    ]
    missed = [g for g in gaps if g != 1.0]
    assert not missed, f"ticks missed or out of step: {missed}"
    assert {str(r[1]) for r in jobs} == {"succeeded"}
    ran = query(
        dsn,
        "SELECT count(DISTINCT job_id) FROM public.chaos_executions"
        " WHERE func = 'tick'",
    )[0][0]
    assert ran == len(ticks)
    REPORT.append(
        f"chaos leader: leader_kills={kills} failover_after_lease_s="
        f"{','.join(f'{f:.2f}' for f in failovers)} ticks={len(ticks)} "
        "doubled=0 missed=0"
    )


def test_leader_failover_and_cron_short(cluster: Cluster, tmp_path: Any) -> None:
    run(cluster, tmp_path, kills=1, settle=3)


@pytest.mark.chaos
def test_leader_failover_and_cron_long(cluster: Cluster, tmp_path: Any) -> None:
    run(cluster, tmp_path, kills=3, settle=5)
