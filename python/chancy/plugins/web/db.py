"""Borrowing a connection from the Chancy pool, opening the pool if needed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    from chancy.app import Chancy


@contextlib.asynccontextmanager
async def connection(
    chancy: Chancy, wait: float | None = None
) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """A pool connection; the block is one transaction, committed when it ends.

    ``wait`` bounds the wait for a free connection (the pool's default if None).
    """
    pool = chancy.pool
    if pool.closed:
        await pool.open(wait=True, timeout=wait if wait is not None else 30.0)
    async with pool.connection(timeout=wait) as conn:
        yield conn
