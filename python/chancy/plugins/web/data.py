"""Reads for the API and the dashboard: queues, jobs, workers, cron, charts."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import PoolTimeout

from chancy.plugins.web import db, queries

if TYPE_CHECKING:
    from chancy.app import Chancy

logger = logging.getLogger(__name__)

STATES: Final = ("pending", "running", "retrying", "succeeded", "failed", "cancelled")
FINISHED: Final = ("succeeded", "failed", "cancelled")
MAX_PAGE: Final = 500
SLOTS: Final = 60


@dataclass(frozen=True)
class JobFilter:
    """The filters of a job listing; None means "any"."""

    states: list[str] | None = None
    queue: str | None = None
    func: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    before: UUID | None = None
    limit: int = 50


@dataclass
class QueueSummary:
    """A queue with its job counts and its finished jobs per minute."""

    queue: dict[str, Any]
    counts: dict[str, int]
    throughput: list[int] = field(default_factory=lambda: [0] * SLOTS)
    failures: list[int] = field(default_factory=lambda: [0] * SLOTS)

    @property
    def backlog(self) -> int:
        return self.counts["pending"] + self.counts["retrying"]

    @property
    def completed_last_hour(self) -> int:
        return sum(self.throughput)

    @property
    def failed_last_hour(self) -> int:
        return sum(self.failures)


def like_pattern(text: str) -> str:
    """A case-insensitive substring pattern for ``text`` with wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def _fetch_all(
    chancy: Chancy, statement: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    async with db.connection(chancy) as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(statement, params or {})
        return await cur.fetchall()


async def list_queues(chancy: Chancy) -> list[dict[str, Any]]:
    return await _fetch_all(chancy, queries.QUEUES)


async def get_queue(chancy: Chancy, name: str) -> dict[str, Any] | None:
    rows = await _fetch_all(chancy, queries.QUEUE, {"name": name})
    return rows[0] if rows else None


async def queue_counts(
    chancy: Chancy, name: str | None = None
) -> dict[str, dict[str, int]]:
    """Jobs per state of each queue (every state present, zero if none)."""
    counts: dict[str, dict[str, int]] = {}
    for row in await _fetch_all(chancy, queries.QUEUE_COUNTS, {"name": name}):
        per_state = counts.setdefault(row["queue"], dict.fromkeys(STATES, 0))
        per_state[row["state"]] = int(row["n"])
    return counts


async def summaries(chancy: Chancy) -> list[QueueSummary]:
    """Every queue with its counts and its last hour of finished jobs."""
    queues = await list_queues(chancy)
    counts = await queue_counts(chancy)
    result = {
        q["name"]: QueueSummary(q, counts.get(q["name"], dict.fromkeys(STATES, 0)))
        for q in queues
    }
    for row in await _fetch_all(chancy, queries.THROUGHPUT):
        summary = result.get(row["queue"])
        slot = int(row["slot"])
        if summary is None or not 0 <= slot < SLOTS:
            continue
        if row["state"] == "succeeded":
            summary.throughput[slot] += int(row["n"])
        else:
            summary.failures[slot] += int(row["n"])
            summary.throughput[slot] += int(row["n"])
    return list(result.values())


async def list_jobs(chancy: Chancy, flt: JobFilter) -> list[dict[str, Any]]:
    params = {
        "states": flt.states,
        "queue": flt.queue,
        "func": like_pattern(flt.func) if flt.func else None,
        "since": flt.since,
        "until": flt.until,
        "before": flt.before,
        "limit": flt.limit,
    }
    return await _fetch_all(chancy, queries.JOBS, params)


async def get_job(chancy: Chancy, job_id: UUID) -> dict[str, Any] | None:
    rows = await _fetch_all(chancy, queries.JOB, {"id": job_id})
    return rows[0] if rows else None


async def list_functions(chancy: Chancy, limit: int = 500) -> list[str]:
    rows = await _fetch_all(chancy, queries.FUNCTIONS, {"limit": limit})
    return [row["func"] for row in rows]


async def list_workers(
    chancy: Chancy,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Live workers (those whose heartbeat has not expired) and the leader row."""
    workers = await _fetch_all(chancy, queries.WORKERS)
    leaders = await _fetch_all(chancy, queries.LEADER)
    return workers, (leaders[0] if leaders else None)


async def list_crons(chancy: Chancy) -> list[dict[str, Any]]:
    """Cron schedules through the cron plugin; empty if it is not installed."""
    try:
        from chancy.plugins.cron import Cron
    except ImportError:
        return []
    try:
        schedules = await Cron.get_schedules(chancy)
    except psycopg.errors.UndefinedTable:
        return []
    return [_as_dict(s) for s in schedules]


def _as_dict(schedule: Any) -> dict[str, Any]:
    """A cron schedule as a flat mapping of plain values."""
    job = schedule.job
    missed = schedule.missed
    return {
        "name": schedule.name,
        "expression": schedule.expression,
        "timezone": schedule.timezone,
        "missed": str(getattr(missed, "value", missed)),
        "func": job.func,
        "queue": job.queue,
        "kwargs": job.kwargs,
        "priority": job.priority,
        "max_attempts": job.max_attempts,
        "unique_key": job.unique_key,
        "meta": job.meta,
        "last_run": schedule.last_run,
        "next_run": schedule.next_run,
        "created_at": schedule.created_at,
        "updated_at": schedule.updated_at,
    }


async def healthy(chancy: Chancy) -> bool:
    """True when the database answers."""
    try:
        async with db.connection(chancy, wait=5.0) as conn:
            await conn.execute(queries.HEALTH)
    except (psycopg.Error, OSError, PoolTimeout) as exc:
        logger.warning("health check failed: %s", exc)
        return False
    return True


async def database_now(chancy: Chancy) -> dt.datetime:
    rows = await _fetch_all(chancy, queries.NOW)
    now: dt.datetime = rows[0]["now"]
    return now
