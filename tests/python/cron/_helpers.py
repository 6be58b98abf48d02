"""Helpers for the cron tests: leadership terms and reading jobs and ticks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg

from chancy import Chancy
from chancy.errors import from_psycopg


async def elect(chancy: Chancy, worker_id: str, ttl: float = 60) -> int:
    """Make ``worker_id`` lead (the lease must be free); return its term."""
    async with chancy.connection() as conn:
        cur = await conn.execute(
            "SELECT e.is_leader, e.term FROM chancy.elect(%s, %s) AS e",
            (worker_id, ttl),
        )
        row = await cur.fetchone()
    assert row is not None and row[0], f"{worker_id} did not win the election"
    return int(row[1])


async def resign(chancy: Chancy, worker_id: str) -> None:
    async with chancy.connection() as conn:
        await conn.execute("SELECT chancy.resign(%s)", (worker_id,))


async def execute(
    chancy: Chancy, query: str, params: Any = None
) -> list[tuple[Any, ...]]:
    """Run one statement; database errors come back as Chancy's exceptions."""
    try:
        async with chancy.connection() as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchall() if cur.description else []
    except psycopg.Error as exc:
        mapped = from_psycopg(exc)
        if mapped is exc:
            raise
        raise mapped from exc


async def cron_jobs(chancy: Chancy, schedule: str) -> list[dt.datetime]:
    """The tick of every job the schedule pushed, in order."""
    rows = await execute(
        chancy,
        "SELECT (j.meta -> 'cron' ->> 'tick')::timestamptz FROM chancy.jobs AS j"
        " WHERE j.meta -> 'cron' ->> 'schedule' = %s ORDER BY 1",
        (schedule,),
    )
    return [row[0] for row in rows]


async def ledger(chancy: Chancy, schedule: str) -> list[dt.datetime]:
    rows = await execute(
        chancy,
        "SELECT k.tick_at FROM chancy.cron_ticks AS k WHERE k.schedule_name = %s"
        " ORDER BY 1",
        (schedule,),
    )
    return [row[0] for row in rows]


async def backdate(chancy: Chancy, *names: str, seconds: float) -> None:
    """Pretend the schedules' timing was set ``seconds`` ago (database clock)."""
    await execute(
        chancy,
        "UPDATE chancy.cron_schedules AS s"
        " SET revised_at = now() - make_interval(secs => %s), next_run = NULL"
        " WHERE s.name = ANY(%s)",
        (seconds, list(names)),
    )


async def db_now(chancy: Chancy) -> dt.datetime:
    rows = await execute(chancy, "SELECT now()")
    value: dt.datetime = rows[0][0]
    return value
