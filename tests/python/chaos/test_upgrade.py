"""A rolling upgrade: workers keep running while ``sql/install.sh`` upgrades.

The database starts at migration 0001 only (with the functions), as an
earlier release left it; three workers of that release (they accept schema
version 1) serve a queue while jobs are pushed. Then ``sh sql/install.sh``
(what ``make install-sql`` runs) installs everything else, and runs twice
more at once, while the workers fetch and complete and jobs keep arriving.
Every install must exit 0, none may deadlock, no worker may log an error,
and every job must succeed on its first attempt.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import psycopg
import pytest

from chancy.migrate import SqlFiles, sql_files, sync_migrate

from .chaos_jobs import SIDE_TABLE
from .cluster import Cluster, install
from .harness import REPORT, Fleet, query, wait_until


def _push(conn: psycopg.Connection[Any], count: int) -> None:
    payload = [{"func": "chaos_jobs.quick", "queue": "up", "max_attempts": 3}] * count
    conn.execute(
        "SELECT count(*) FROM chancy.push_many(jobs => %s::jsonb)",
        (json.dumps(payload),),
    )


#: Functions of the cron feature, which came with migration 0002.
_LATER = {"schedule", "unschedule", "cron_fire", "cron_prune_ticks"}


def _earlier_release(conn: psycopg.Connection[Any]) -> None:
    """Migration 0001 and the functions that need nothing newer."""
    files = sql_files()
    sync_migrate(conn, files=SqlFiles(files.root, max_version=1, with_functions=False))
    with conn.transaction():
        conn.execute("SET LOCAL check_function_bodies = off")
        for path in files.functions:
            if path.stem not in _LATER:
                conn.execute(path.read_text(encoding="utf-8"))


def run(cluster: Cluster, tmp_path: Any, rounds: int) -> None:
    dsn = cluster.create_database("upgrade")
    with psycopg.connect(dsn, autocommit=True) as conn:
        _earlier_release(conn)
        assert conn.execute("SELECT chancy.schema_version()").fetchone() == (1,)
        conn.execute(SIDE_TABLE)
        conn.execute(
            "SELECT chancy.declare_queue(name => 'up', executor => 'async',"
            " polling_interval => 0.5)"
        )
        _push(conn, 200)

    fleet = Fleet(
        dsn,
        tmp_path,
        queue="up",
        size=3,
        concurrency=8,
        prefix="up-w",
        extra=("--schema-version", "1"),
    )
    fleet.start_all()
    results: list[tuple[int, float, str]] = []

    def installer() -> None:
        began = time.monotonic()
        done = install(dsn)
        results.append((done.returncode, time.monotonic() - began, done.stdout))

    pushed = 200
    try:
        wait_until(
            lambda: (
                query(
                    dsn, "SELECT count(*) FROM chancy.jobs WHERE state = 'succeeded'"
                )[0][0]
                >= 50
            ),
            60,
            "the workers of the earlier release to run jobs",
        )
        with psycopg.connect(dsn, autocommit=True) as conn:
            for round_ in range(rounds):
                threads = [
                    threading.Thread(target=installer)
                    for _ in range(1 if round_ == 0 else 2)
                ]
                for thread in threads:
                    thread.start()
                while any(t.is_alive() for t in threads):
                    _push(conn, 10)
                    pushed += 10
                    time.sleep(0.05)
                for thread in threads:
                    thread.join()
            _push(conn, 100)
            pushed += 100
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
        assert not fleet.dead(), f"workers exited: {fleet.dead()}"
    finally:
        fleet.stop_all()

    for code, _, output in results:
        assert code == 0, output
    assert (
        query(dsn, "SELECT chancy.schema_version()")[0][0] == sql_files().latest_version
    )
    states = query(
        dsn,
        "SELECT state, count(*), max(attempts), "
        "sum(jsonb_array_length(errors)) FROM chancy.jobs GROUP BY 1",
    )
    assert [(s, n, a, e) for s, n, a, e in states] == [("succeeded", pushed, 1, 0)]
    logs = fleet.logs()
    assert "deadlock" not in logs
    assert " ERROR " not in logs, logs[-3000:]
    REPORT.append(
        f"chaos upgrade: from=1 to={sql_files().latest_version} "
        f"installs={len(results)} "
        f"install_s={','.join(f'{d:.1f}' for _, d, _ in results)} jobs={pushed} "
        f"errors=0 deadlocks=0 worker_warnings={logs.count(' WARNING ')}"
    )


def test_rolling_upgrade_short(cluster: Cluster, tmp_path: Any) -> None:
    run(cluster, tmp_path, rounds=2)


@pytest.mark.chaos
def test_rolling_upgrade_long(cluster: Cluster, tmp_path: Any) -> None:
    run(cluster, tmp_path, rounds=4)
