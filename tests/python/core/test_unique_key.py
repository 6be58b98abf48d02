"""unique_key: one unfinished job per key, also under concurrent pushes."""

from __future__ import annotations

import asyncio

import psycopg

from chancy import Chancy, Job


async def test_a_second_push_of_a_key_returns_the_first_job_unchanged(
    chancy: Chancy,
) -> None:
    first = await chancy.push(Job(func="f", kwargs={"v": 1}, unique_key="k"))
    second = await chancy.push(
        Job(func="g", kwargs={"v": 2}, priority=9, unique_key="k")
    )
    assert first == second
    stored = await chancy.get_job(first)
    assert stored is not None
    assert (stored.func, stored.kwargs, stored.priority) == ("f", {"v": 1}, 0)


async def test_push_many_with_repeated_keys_gives_one_job_per_key(
    chancy: Chancy,
) -> None:
    refs = await chancy.push_many(
        [
            Job(func="f", unique_key="a"),
            Job(func="f", unique_key="b"),
            Job(func="f", unique_key="a"),
        ]
    )
    assert refs[0] == refs[2] and refs[0] != refs[1]


async def test_a_finished_job_frees_its_key(
    chancy: Chancy, conn: psycopg.AsyncConnection[object]
) -> None:
    first = await chancy.push(Job(func="f", unique_key="k"))
    assert await chancy.cancel_job(first)
    second = await chancy.push(Job(func="f", unique_key="k"))
    assert second != first


async def test_concurrent_pushes_of_one_key_give_one_job(
    chancy: Chancy, dsn: str
) -> None:
    connections = [await psycopg.AsyncConnection.connect(dsn) for _ in range(8)]
    try:
        start = asyncio.Event()

        async def push_from(conn: psycopg.AsyncConnection[object]) -> object:
            await start.wait()
            ref = await chancy.push(Job(func="f", unique_key="shared"), conn=conn)
            await conn.commit()
            return ref

        tasks = [asyncio.create_task(push_from(c)) for c in connections]
        await asyncio.sleep(0.05)
        start.set()
        refs = await asyncio.gather(*tasks)
    finally:
        for c in connections:
            await c.close()

    assert len(set(refs)) == 1
    async with chancy.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM chancy.jobs")
        assert await cur.fetchone() == (1,)
