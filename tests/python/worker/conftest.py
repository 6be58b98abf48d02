"""Helpers for the worker tests: run a worker in the background."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import chancy_worker_jobs as jobs  # noqa: F401  (spawned children import it too)
import psycopg
import pytest

from chancy import Chancy
from chancy.job import Job
from chancy.worker import Worker


def func_name(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


@contextlib.asynccontextmanager
async def running_worker(chancy: Chancy, **options: Any) -> AsyncIterator[Worker]:
    options.setdefault("register_signal_handlers", False)
    options.setdefault("shutdown_timeout", 5)
    worker = Worker(chancy, **options)
    async with asyncio.timeout(60):
        await worker.__aenter__()
    try:
        yield worker
    finally:
        async with asyncio.timeout(120):
            await worker.__aexit__(None, None, None)


@pytest.fixture
def start_worker(chancy: Chancy) -> Callable[..., Any]:
    def start(**options: Any) -> Any:
        return running_worker(chancy, **options)

    return start


async def declare(chancy: Chancy, name: str, executor: str, **options: Any) -> None:
    from chancy.queue import Queue

    await chancy.declare(Queue(name, executor=executor, **options))


def job_of(func: Callable[..., Any], queue: str = "default", **options: Any) -> Job:
    return Job(func=func_name(func), queue=queue, **options)


async def held_claims(dsn: str, worker_id: str) -> int:
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM chancy.jobs"
            " WHERE taken_by = %s AND state = 'running'",
            (worker_id,),
        )
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])
