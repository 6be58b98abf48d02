"""The main chaos scenario: jobs keep flowing while everything breaks.

N jobs on one queue served by 4 worker processes. Every 2 seconds one
worker is killed with SIGKILL and started again; Postgres (the suite's own
cluster) is restarted once with ``pg_ctl restart -m fast``; one worker's
listening connection is cut with ``pg_terminate_backend``. Each execution
of a job records itself in ``chaos_executions`` before it works.

At the end: every job succeeded, none is lost or stuck running; no claim ran
twice; a job ran again only after its previous execution's lease expired,
which the database records as a ``WorkerLost`` error for that attempt. The
re-executions are counted and reported in the line
``chaos: jobs=N kills=N restarts=N lost=N stuck=N duplicated=N``.

The short form (1,000 jobs) runs in ``make test``; the long form (10,000
jobs) is marked ``chaos`` and runs in ``make chaos``.
"""

from __future__ import annotations

import collections
import json
import time
from typing import Any

import psycopg
import pytest

from .chaos_jobs import SIDE_TABLE
from .cluster import Cluster, install
from .harness import REPORT, Fleet, query, query_retry, wait_until

QUEUE = "chaos"
WORKERS = 4
KILL_EVERY = 2.0


def _prepare(cluster: Cluster, jobs: int, low: float, high: float) -> str:
    dsn = cluster.create_database("chaos")
    done = install(dsn)
    assert done.returncode == 0, done.stdout
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SIDE_TABLE)
        conn.execute(
            "SELECT chancy.declare_queue(name => %s, executor => 'async',"
            " polling_interval => 0.5, retry_settings => %s::jsonb)",
            (
                QUEUE,
                json.dumps({"backoff": 0.2, "backoff_factor": 1, "backoff_jitter": 0}),
            ),
        )
        batch = 1000
        for start in range(0, jobs, batch):
            payload = [
                {
                    "func": "chaos_jobs.work",
                    "queue": QUEUE,
                    "max_attempts": 100,
                    "kwargs": {"n": n, "low": low, "high": high},
                }
                for n in range(start, min(start + batch, jobs))
            ]
            conn.execute(
                "SELECT count(*) FROM chancy.push_many(jobs => %s::jsonb)",
                (json.dumps(payload),),
            )
    return dsn


def _listen_backends(dsn: str) -> list[tuple[int, str]]:
    rows = query(
        dsn,
        "SELECT pid, application_name FROM pg_stat_activity"
        " WHERE query ILIKE 'LISTEN%%' AND application_name LIKE 'chaos-w%%'"
        " AND datname = current_database() ORDER BY application_name",
    )
    return [(int(r[0]), str(r[1])) for r in rows]  # type: ignore[call-overload]


def _progress(dsn: str) -> dict[str, int]:
    rows = query_retry(
        dsn,
        "SELECT state, count(*) FROM chancy.jobs WHERE queue = %s GROUP BY state",
        (QUEUE,),
    )
    return {str(s): int(n) for s, n in rows}


def run_scenario(
    cluster: Cluster,
    tmp_path: Any,
    *,
    jobs: int,
    budget: float,
    concurrency: int,
    low: float,
    high: float,
) -> dict[str, Any]:
    """Run the scenario; each job works ``low``..``high`` seconds."""
    dsn = _prepare(cluster, jobs, low, high)
    fleet = Fleet(dsn, tmp_path, queue=QUEUE, size=WORKERS, concurrency=concurrency)
    events: dict[str, Any] = {"terminated": None, "relistened": False}
    began = time.monotonic()
    fleet.start_all()
    try:
        restarted = False
        victim = 0
        next_kill = time.monotonic() + KILL_EVERY
        deadline = began + budget
        while True:
            progress = _progress(dsn)
            finished = progress.get("succeeded", 0) + progress.get("failed", 0)
            if finished >= jobs:
                break
            assert time.monotonic() < deadline, (
                f"jobs still unfinished after {budget:.0f} s: {progress}\n"
                + fleet.logs()[-5000:]
            )
            now = time.monotonic()
            if now >= next_kill:
                fleet.kill(victim)
                victim = (victim + 1) % WORKERS
                next_kill = now + KILL_EVERY
            if not restarted and finished >= jobs // 3:
                cluster.restart()
                restarted = True
            if restarted and events["terminated"] is None and finished >= jobs // 2:
                backends = _listen_backends(dsn)
                if backends:
                    pid, name = backends[0]
                    query(dsn, "SELECT pg_terminate_backend(%s)", (pid,))
                    events["terminated"] = (pid, name, time.monotonic())
            if events["terminated"] is not None and not events["relistened"]:
                pid, name, _ = events["terminated"]
                events["relistened"] = any(
                    n == name and p != pid for p, n in _listen_backends(dsn)
                )
            time.sleep(0.2)
        elapsed = time.monotonic() - began
        if events["terminated"] is not None and not events["relistened"]:
            pid, name, _ = events["terminated"]
            wait_until(
                lambda: any(n == name and p != pid for p, n in _listen_backends(dsn)),
                60,
                f"{name} to listen again",
            )
            events["relistened"] = True
    finally:
        fleet.stop_all()

    return _verify(dsn, jobs, fleet, cluster, elapsed, events)


def _verify(
    dsn: str,
    jobs: int,
    fleet: Fleet,
    cluster: Cluster,
    elapsed: float,
    events: dict[str, Any],
) -> dict[str, Any]:
    rows = query(
        dsn,
        "SELECT id, state, attempts, errors FROM chancy.jobs WHERE queue = %s",
        (QUEUE,),
    )
    states = collections.Counter(str(r[1]) for r in rows)
    lost = jobs - states["succeeded"]
    stuck = states["running"]
    executions: dict[Any, list[tuple[Any, int]]] = collections.defaultdict(list)
    for job_id, claim_id, attempt in query(
        dsn,
        "SELECT job_id, claim_id, attempt FROM public.chaos_executions"
        " WHERE func = 'work'",
    ):
        executions[job_id].append((claim_id, int(attempt)))  # type: ignore[call-overload]

    claims = [c for runs in executions.values() for c, _ in runs]
    twice = [c for c, n in collections.Counter(claims).items() if n > 1]
    error_types: collections.Counter[str] = collections.Counter()
    unexplained = []
    never_ran = []
    duplicated = 0
    for job_id, _state, attempts, errors in rows:
        runs = executions.get(job_id, [])
        if not runs:
            never_ran.append(job_id)
            continue
        lost_attempts = {
            e.get("attempt") for e in errors if e.get("type") == "WorkerLost"
        }
        error_types.update(str(e.get("type")) for e in errors)
        duplicated += len(runs) - 1
        for _claim, attempt in runs:
            if attempt != attempts and attempt not in lost_attempts:
                unexplained.append((job_id, attempt, attempts, errors))

    line = (
        f"chaos: jobs={jobs} kills={fleet.kills} restarts={cluster.restarts} "
        f"lost={lost} stuck={stuck} duplicated={duplicated}"
    )
    REPORT.append(
        f"chaos detail: jobs={jobs} elapsed={elapsed:.0f}s "
        f"worker_starts={fleet.started} "
        f"listen_cut={'yes' if events['terminated'] else 'no'} "
        f"relistened={'yes' if events['relistened'] else 'no'} "
        f"jobs_rerun={sum(1 for r in executions.values() if len(r) > 1)} "
        f"errors={dict(error_types)}"
    )
    REPORT.append(line)
    print(line)

    assert states["succeeded"] == jobs, (states, fleet.logs()[-5000:])
    assert lost == 0 and stuck == 0
    assert not never_ran, f"{len(never_ran)} succeeded jobs have no execution on record"
    assert not twice, f"claims executed twice: {twice[:5]}"
    assert not unexplained, (
        f"{len(unexplained)} executions were repeated without an expired lease: "
        f"{unexplained[:3]}"
    )
    assert set(error_types) <= {"WorkerLost"}, error_types
    assert cluster.restarts == 1
    assert events["terminated"] is not None and events["relistened"]
    assert fleet.kills >= 3
    logs = fleet.logs()
    assert "deadlock detected" not in logs
    return {"lost": lost, "stuck": stuck, "duplicated": duplicated}


def test_chaos_short(cluster: Cluster, tmp_path: Any) -> None:
    """1,000 jobs: the form that runs in ``make test``."""
    run_scenario(
        cluster, tmp_path, jobs=1000, budget=150, concurrency=4, low=0.1, high=0.5
    )


@pytest.mark.chaos
@pytest.mark.timeout(900)
def test_chaos_long(cluster: Cluster, tmp_path: Any) -> None:
    """10,000 jobs: the form ``make chaos`` runs."""
    run_scenario(
        cluster, tmp_path, jobs=10_000, budget=600, concurrency=8, low=0.02, high=0.2
    )
