"""The jobs the chaos suite runs in its worker processes.

Each execution records itself in the side table ``public.chaos_executions``
through its own connection (one per worker process, autocommit), before it
does its work, so an execution cut short by SIGKILL is still on record.
Each execution has its own random token, and the insert is idempotent on
it, so a retried insert (the commit happened but its reply was lost to a
server restart) never looks like a second execution.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from typing import Any

import psycopg

from chancy.job import QueuedJob

SIDE_TABLE = """
CREATE TABLE IF NOT EXISTS public.chaos_executions (
    token    uuid        PRIMARY KEY,
    job_id   uuid        NOT NULL,
    claim_id uuid        NOT NULL,
    attempt  integer     NOT NULL,
    func     text        NOT NULL,
    pid      integer     NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""
_RECORD = """
INSERT INTO public.chaos_executions (token, job_id, claim_id, attempt, func, pid)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (token) DO NOTHING
"""

_conn: psycopg.AsyncConnection[Any] | None = None
_lock: asyncio.Lock | None = None


async def _record(job: QueuedJob, func: str) -> None:
    global _conn, _lock
    if _lock is None:
        _lock = asyncio.Lock()
    token = uuid.uuid4()
    deadline = time.monotonic() + 120
    delay = 0.1
    while True:
        try:
            async with _lock:
                if _conn is None or _conn.closed:
                    _conn = await psycopg.AsyncConnection.connect(
                        os.environ["CHAOS_SIDE_DSN"], autocommit=True
                    )
                await _conn.execute(
                    _RECORD,
                    (token, job.id, job.claim_id, job.attempts, func, os.getpid()),
                )
            return
        except psycopg.Error:
            if _conn is not None:
                await _conn.close()
                _conn = None
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def work(
    job: QueuedJob, n: int = 0, low: float = 0.01, high: float = 0.1
) -> None:
    """A job of the main scenario: record the execution, then work a while."""
    await _record(job, "work")
    await asyncio.sleep(random.uniform(low, high))


async def tick(job: QueuedJob) -> None:
    """The job a cron schedule pushes."""
    await _record(job, "tick")


async def quick(job: QueuedJob) -> None:
    """A job of the pinned-vacuum and upgrade scenarios."""
    await _record(job, "quick")
