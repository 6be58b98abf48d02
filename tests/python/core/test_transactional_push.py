"""A push given the caller's connection or cursor joins the caller's transaction."""

from __future__ import annotations

import psycopg
import pytest

from chancy import Chancy, Job
from chancy.errors import UnknownQueueError


async def test_a_rolled_back_push_leaves_no_job(dsn: str) -> None:
    chancy = Chancy(dsn, no_default_plugins=True)
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        ref = await chancy.push(Job(func="f"), conn=conn)
        assert await chancy.get_job(ref, conn=conn) is not None
        await conn.rollback()
        assert await chancy.get_job(ref, conn=conn) is None
    # The caller's connection was enough: Chancy's pools were never opened.
    assert "pool" not in chancy.__dict__ and "sync_pool" not in chancy.__dict__


async def test_a_committed_push_is_visible_to_others(chancy: Chancy, dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        async with conn.cursor() as cur:
            ref = await chancy.push(Job(func="f"), conn=cur)
            refs = await chancy.push_many([Job(func="g"), Job(func="h")], conn=cur)
            # Not committed yet: another connection does not see them.
            assert await chancy.get_job(ref) is None
            assert await chancy.get_jobs(refs) == []
        await conn.commit()
    assert await chancy.get_job(ref) is not None
    assert len(await chancy.get_jobs(refs)) == 2


async def test_a_failed_push_is_raised_in_the_callers_transaction(dsn: str) -> None:
    chancy = Chancy(dsn, no_default_plugins=True)
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        await chancy.push(Job(func="f"), conn=conn)
        with pytest.raises(UnknownQueueError):
            await chancy.push(Job(func="f", queue="nope"), conn=conn)
        await conn.rollback()
        cur = await conn.execute("SELECT count(*) FROM chancy.jobs")
        assert await cur.fetchone() == (0,)


def test_sync_push_joins_the_callers_transaction(dsn: str) -> None:
    chancy = Chancy(dsn, no_default_plugins=True)
    with psycopg.connect(dsn) as conn:
        with conn.cursor() as cur:
            dropped = chancy.sync_push(Job(func="f"), conn=cur)
        conn.rollback()
        kept = chancy.sync_push(Job(func="f"), conn=conn)
        kept_many = chancy.sync_push_many([Job(func="g")], conn=conn)
        conn.commit()
        assert chancy.sync_get_job(dropped, conn=conn) is None
        assert chancy.sync_get_job(kept, conn=conn) is not None
        assert len(chancy.sync_get_jobs(kept_many, conn=conn)) == 1
    assert "pool" not in chancy.__dict__ and "sync_pool" not in chancy.__dict__


async def test_conn_of_the_wrong_kind_is_refused(chancy: Chancy, dsn: str) -> None:
    with psycopg.connect(dsn) as sync_conn:
        with pytest.raises(TypeError, match="AsyncConnection"):
            await chancy.push(Job(func="f"), conn=sync_conn)  # type: ignore[arg-type]
