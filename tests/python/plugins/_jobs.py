"""Test helpers: insert jobs in a chosen state straight into chancy.jobs.

Rule and pruning tests need finished, running and waiting jobs with chosen
timestamps and meta, which no public call produces directly; the rows here
satisfy every constraint of the table, so the database vouches for them.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

FINISHED = ("succeeded", "failed", "cancelled")

_INSERT = """
INSERT INTO chancy.jobs (
    id, queue, func, state, priority, attempts, max_attempts, created_at,
    scheduled_at, started_at, completed_at, taken_by, lease_expires_at,
    claim_id, meta
) VALUES (
    %(id)s, %(queue)s, %(func)s, %(state)s, %(priority)s, %(attempts)s,
    %(max_attempts)s, now() - make_interval(secs => %(age)s),
    now() - make_interval(secs => %(age)s), %(started_at)s, %(completed_at)s,
    %(taken_by)s, %(lease_expires_at)s, %(claim_id)s, %(meta)s
)
"""


def insert_job(
    conn: psycopg.Connection[Any],
    func: str,
    *,
    state: str = "succeeded",
    queue: str = "default",
    age: float = 0,
    finished_age: float | None = None,
    priority: int = 0,
    attempts: int | None = None,
    max_attempts: int = 1,
    meta: dict[str, Any] | None = None,
    taken_by: str = "test-worker",
    lease_seconds: float = 60,
) -> uuid.UUID:
    """Insert one job created ``age`` seconds ago; finished ``finished_age`` ago."""
    now = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
    job_id = uuid.uuid4()
    finished = state in FINISHED
    running = state == "running"
    if attempts is None:
        attempts = 1 if (finished or running) else 0
    completed_at = None
    if finished:
        completed_at = now - datetime.timedelta(
            seconds=age if finished_age is None else finished_age
        )
    conn.execute(
        _INSERT,
        {
            "id": job_id,
            "queue": queue,
            "func": func,
            "state": state,
            "priority": priority,
            "attempts": attempts,
            "max_attempts": max_attempts,
            "age": age,
            "started_at": now - datetime.timedelta(seconds=age) if running else None,
            "completed_at": completed_at,
            "taken_by": taken_by if running else None,
            "lease_expires_at": (
                now + datetime.timedelta(seconds=lease_seconds) if running else None
            ),
            "claim_id": uuid.uuid4() if running else None,
            "meta": Jsonb(meta or {}),
        },
    )
    return job_id
