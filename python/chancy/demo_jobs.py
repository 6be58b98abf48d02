"""The job functions ``python -m chancy.demo`` runs (importable by child processes).

They write their results to the demo database named by ``$CHANCY_DEMO_DSN``
through one connection per process, opened on first use.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from typing import Any

import psycopg

from chancy.job import QueuedJob

_local = threading.local()


def _conn() -> psycopg.Connection[Any]:
    conn: psycopg.Connection[Any] | None = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(os.environ["CHANCY_DEMO_DSN"], autocommit=True)
        _local.conn = conn
    return conn


def hash_file(path: str, *, job: QueuedJob) -> str:
    """Hash one file and record its SHA-256 in ``demo_file_hashes``."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
            size += len(block)
    _conn().execute(
        "INSERT INTO demo_file_hashes (path, sha256, size, job_id)"
        " VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (path) DO UPDATE SET sha256 = EXCLUDED.sha256",
        (path, digest.hexdigest(), size, job.id),
    )
    job.meta["size"] = size
    return digest.hexdigest()


async def process_order(order_id: int) -> None:
    """Mark one row of ``demo_orders`` (pushed by the table's trigger) processed."""
    await asyncio.to_thread(
        lambda: _conn().execute(
            "UPDATE demo_orders SET processed_at = now() WHERE id = %s", (order_id,)
        )
    )


def flaky(succeed_on_attempt: int, *, job: QueuedJob) -> str:
    """Fail until attempt ``succeed_on_attempt``, then succeed."""
    if job.attempts < succeed_on_attempt:
        raise RuntimeError(f"flaky job failing on purpose (attempt {job.attempts})")
    return "finally"


def always_fails() -> None:
    """Fail every attempt; ends failed with its errors recorded."""
    raise ValueError("this demo job always fails")


async def ping() -> str:
    """Does nothing; measures push-to-start latency."""
    return "pong"


def report(*, job: QueuedJob) -> None:
    """A unique job: pushed twice, stored once."""
    job.meta["reported"] = True
