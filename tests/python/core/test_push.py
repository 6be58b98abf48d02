"""Pushing jobs from Python: push, push_many, get_job, wait_for_job."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from chancy import Chancy, Job, Limit, Queue, QueuedJob, Reference
from chancy.errors import InvalidJobError, UnknownQueueError

from .jobs import greet, plain


async def test_push_stores_the_job_as_given(chancy: Chancy) -> None:
    at = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    ref = await chancy.push(
        Job(
            func="tests.python.core.jobs.plain",
            kwargs={"x": 1, "nested": {"a": [1, 2.5, None, True, "s"]}},
            priority=7,
            max_attempts=3,
            scheduled_at=at,
            limits=[Limit(Limit.Type.TIME, 30), Limit(Limit.Type.MEMORY, 1 << 20)],
            unique_key="k1",
            meta={"m": 1},
        )
    )
    assert isinstance(ref, Reference)

    stored = await chancy.get_job(ref)
    assert stored is not None
    assert stored.id == ref.identifier
    assert stored.func == "tests.python.core.jobs.plain"
    assert stored.kwargs == {"x": 1, "nested": {"a": [1, 2.5, None, True, "s"]}}
    assert stored.priority == 7
    assert stored.max_attempts == 3
    assert stored.scheduled_at == at
    assert stored.limits == [
        Limit(Limit.Type.TIME, 30),
        Limit(Limit.Type.MEMORY, 1 << 20),
    ]
    assert stored.unique_key == "k1"
    assert stored.meta == {"m": 1}
    assert stored.state is QueuedJob.State.PENDING
    assert stored.attempts == 0
    assert stored.queue == "default"


async def test_scheduled_at_defaults_to_the_database_clock(
    chancy: Chancy, conn: psycopg.AsyncConnection[object]
) -> None:
    ref = await chancy.push(Job(func="f"))
    stored = await chancy.get_job(ref)
    assert stored is not None and stored.scheduled_at is not None
    cur = await conn.execute("SELECT now()")
    row = await cur.fetchone()
    assert row is not None
    db_now = row[0]
    assert abs((db_now - stored.scheduled_at).total_seconds()) < 60
    assert stored.scheduled_at == stored.created_at


def test_a_naive_scheduled_at_is_refused() -> None:
    with pytest.raises(InvalidJobError, match="naive"):
        Job(func="f", scheduled_at=dt.datetime(2030, 1, 1))


async def test_push_accepts_a_decorated_function_and_its_job(chancy: Chancy) -> None:
    assert greet("x") == "hello x"  # still a plain function
    first = await chancy.push(greet)
    second = await chancy.push(greet.job.with_kwargs(name="y"))
    one = await chancy.get_job(first)
    two = await chancy.get_job(second)
    assert one is not None and two is not None
    assert one.func == two.func == f"{greet.__module__}.greet"
    assert one.priority == 3
    assert two.kwargs == {"name": "y"}


def test_sync_push_accepts_a_decorated_function(sync_chancy: Chancy) -> None:
    ref = sync_chancy.sync_push(greet)
    stored = sync_chancy.sync_get_job(ref)
    assert stored is not None and stored.func == f"{greet.__module__}.greet"


async def test_push_refuses_what_is_not_a_job(chancy: Chancy) -> None:
    with pytest.raises(TypeError, match="decorated with @job"):
        await chancy.push(plain)


async def test_push_to_an_unknown_queue_names_it(chancy: Chancy) -> None:
    with pytest.raises(UnknownQueueError, match="nowhere"):
        await chancy.push(Job(func="f", queue="nowhere"))
    with pytest.raises(UnknownQueueError, match="nowhere"):
        await chancy.push_many([Job(func="f"), Job(func="f", queue="nowhere")])
    assert await chancy.get_all_queues() == [await chancy.get_queue("default")]


async def test_push_with_create_queue_creates_it(chancy: Chancy) -> None:
    ref = await chancy.push(Job(func="f", queue="made"), create_queue=True)
    assert (await chancy.get_queue("made")).name == "made"
    stored = await chancy.get_job(ref)
    assert stored is not None and stored.queue == "made"


async def test_push_many_returns_references_in_input_order(chancy: Chancy) -> None:
    await chancy.declare(Queue("other"))
    jobs = [
        Job(func="f", kwargs={"i": i}, queue="other" if i % 2 else "default")
        for i in range(50)
    ]
    refs = await chancy.push_many(jobs)
    assert len(refs) == 50
    stored = await chancy.get_jobs(refs)
    assert [j.kwargs["i"] for j in stored] == list(range(50))
    assert [j.queue for j in stored] == [j.queue for j in jobs]
    assert await chancy.push_many([]) == []


async def test_push_many_is_all_or_nothing(chancy: Chancy) -> None:
    with pytest.raises(InvalidJobError, match=r"jobs\[2\].*kwargs\['when'\]"):
        await chancy.push_many(
            [
                Job(func="f"),
                Job(func="f"),
                Job(func="f", kwargs={"when": dt.date.today()}),
            ]
        )
    with pytest.raises(UnknownQueueError):
        await chancy.push_many([Job(func="f"), Job(func="f", queue="missing")])
    assert await _count_jobs(chancy) == 0


def test_sync_push_many(sync_chancy: Chancy) -> None:
    refs = sync_chancy.sync_push_many(
        [Job(func="f", kwargs={"i": i}) for i in range(5)]
    )
    assert [j.kwargs["i"] for j in sync_chancy.sync_get_jobs(refs)] == list(range(5))


async def test_get_job_of_a_missing_id_is_none(chancy: Chancy) -> None:
    assert await chancy.get_job("00000000-0000-7000-8000-000000000000") is None
    assert await chancy.get_jobs(["00000000-0000-7000-8000-000000000000"]) == []


async def test_wait_for_job_returns_once_the_job_finishes(
    chancy: Chancy, conn: psycopg.AsyncConnection[object]
) -> None:
    ref = await chancy.push(Job(func="f"))
    with pytest.raises(TimeoutError):
        await chancy.wait_for_job(ref, timeout=0.3)

    await conn.set_autocommit(True)
    cur = await conn.execute(
        "SELECT id, claim_id FROM chancy.fetch('default', 'w1', 1)"
    )
    claimed = await cur.fetchone()
    assert claimed is not None
    await conn.execute(
        "SELECT chancy.complete(ARRAY[%s]::uuid[], ARRAY[%s]::uuid[])", claimed
    )
    done = await chancy.wait_for_job(ref, timeout=30)
    assert done is not None and done.state is QueuedJob.State.SUCCEEDED
    running = await chancy.wait_for_job(ref, states={"succeeded"}, timeout=30)
    assert running is not None


async def test_wait_for_a_deleted_job_returns_none(
    chancy: Chancy, conn: psycopg.AsyncConnection[object]
) -> None:
    ref = await chancy.push(Job(func="f"))
    other = await chancy.push(Job(func="f"))
    await conn.execute("DELETE FROM chancy.jobs")
    await conn.commit()
    assert await chancy.wait_for_job(ref, timeout=30) is None
    assert await chancy.wait_for_jobs([ref, other], timeout=30) == []


def test_sync_wait_for_job_times_out(sync_chancy: Chancy) -> None:
    ref = sync_chancy.sync_push(Job(func="f"))
    with pytest.raises(TimeoutError):
        sync_chancy.sync_wait_for_job(ref, timeout=0.3)
    pending = sync_chancy.sync_wait_for_job(ref, states={"pending"}, timeout=30)
    assert pending is not None and pending.state == "pending"


async def _count_jobs(chancy: Chancy) -> int:
    async with chancy.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM chancy.jobs")
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])
