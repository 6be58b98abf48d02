"""Changes the web plugin makes, each through one ``chancy.*`` SQL function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from chancy.plugins.web import db, queries

if TYPE_CHECKING:
    from chancy.app import Chancy

JOB_ACTIONS: Final = {
    "retry": "SELECT r.id FROM chancy.retry(job_ids => %(ids)s::uuid[]) r(id)",
    "cancel": "SELECT r.id FROM chancy.cancel(job_ids => %(ids)s::uuid[]) r(id)",
    "delete": "SELECT r.id FROM chancy.delete_jobs(job_ids => %(ids)s::uuid[]) r(id)",
}

DECLARE_QUEUE: Final = """
SELECT * FROM chancy.declare_queue(
    name => %(name)s::text, concurrency => %(concurrency)s::integer,
    executor => %(executor)s::text, executor_options => %(executor_options)s::jsonb,
    polling_interval => %(polling_interval)s::double precision,
    rate_limit => %(rate_limit)s::integer,
    rate_limit_window => %(rate_limit_window)s::integer, tags => %(tags)s::text[],
    retry_settings => %(retry_settings)s::jsonb, state => %(state)s::text,
    upsert => %(upsert)s::boolean)
"""
PAUSE_QUEUE: Final = """
SELECT * FROM chancy.pause_queue(
    name => %(name)s, resume_at => %(resume_at)s::timestamptz)
"""
RESUME_QUEUE: Final = "SELECT * FROM chancy.resume_queue(name => %(name)s)"
DELETE_QUEUE: Final = "SELECT chancy.delete_queue(name => %(name)s) AS deleted"

#: Queue settings a declaration may carry, with the function's defaults.
QUEUE_DEFAULTS: Final[dict[str, Any]] = {
    "concurrency": None,
    "executor": "process",
    "executor_options": {},
    "polling_interval": 1.0,
    "rate_limit": None,
    "rate_limit_window": None,
    "tags": [],
    "retry_settings": {},
    "state": "active",
}


async def job_action(chancy: Chancy, action: str, ids: Sequence[UUID]) -> list[UUID]:
    """Apply ``action`` to the jobs ``ids``; return the ids it changed."""
    statement = JOB_ACTIONS[action]
    async with db.connection(chancy) as conn:
        cur = await conn.execute(statement, {"ids": list(ids)})
        return [row[0] for row in await cur.fetchall()]


def _queue_params(name: str, settings: dict[str, Any], upsert: bool) -> dict[str, Any]:
    params = {
        key: settings.get(key, default) for key, default in QUEUE_DEFAULTS.items()
    }
    params["executor_options"] = Jsonb(params["executor_options"])
    params["retry_settings"] = Jsonb(params["retry_settings"])
    params["name"] = name
    params["upsert"] = upsert
    return params


async def declare_queue(
    chancy: Chancy, name: str, settings: dict[str, Any], *, upsert: bool
) -> dict[str, Any]:
    """Declare queue ``name``; ``upsert`` overwrites an existing one's settings."""
    async with db.connection(chancy) as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(DECLARE_QUEUE, _queue_params(name, settings, upsert))
        row = await cur.fetchone()
        assert row is not None
        return row


async def update_queue(
    chancy: Chancy, name: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Change some settings of queue ``name``, keeping the others; None if absent."""
    async with db.connection(chancy) as conn, conn.transaction():
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(queries.QUEUE_FOR_UPDATE, {"name": name})
        current = await cur.fetchone()
        if current is None:
            return None
        merged = {**current, **changes}
        await cur.execute(DECLARE_QUEUE, _queue_params(name, merged, True))
        row = await cur.fetchone()
        assert row is not None
        return row


async def pause_queue(
    chancy: Chancy, name: str, resume_at: Any = None
) -> dict[str, Any]:
    """Pause queue ``name``, optionally until ``resume_at``."""
    async with db.connection(chancy) as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(PAUSE_QUEUE, {"name": name, "resume_at": resume_at})
        row = await cur.fetchone()
        assert row is not None
        return row


async def resume_queue(chancy: Chancy, name: str) -> dict[str, Any]:
    """Resume queue ``name``."""
    async with db.connection(chancy) as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(RESUME_QUEUE, {"name": name})
        row = await cur.fetchone()
        assert row is not None
        return row


async def delete_queue(chancy: Chancy, name: str) -> bool:
    """Delete queue ``name`` and its jobs; False if there was no such queue."""
    async with db.connection(chancy) as conn:
        cur = await conn.execute(DELETE_QUEUE, {"name": name})
        row = await cur.fetchone()
        return bool(row and row[0])
