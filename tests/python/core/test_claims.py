"""fetch hands each job to exactly one claimant; stale claims are fenced off."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
from psycopg.rows import dict_row

from chancy import Chancy, Job, QueuedJob

_FETCH = "SELECT id, claim_id FROM chancy.fetch(%s, %s, %s)"
_COMPLETE = "SELECT id FROM chancy.complete(%s::uuid[], %s::uuid[]) AS id"
_FAIL = (
    "SELECT id, state FROM chancy.fail(%s::uuid[], %s::uuid[], %s::jsonb[], "
    "retry_delays => %s::double precision[])"
)


async def test_eight_connections_claim_each_of_1000_jobs_exactly_once(
    chancy: Chancy, dsn: str
) -> None:
    refs = await chancy.push_many([Job(func="f", kwargs={"i": i}) for i in range(1000)])
    assert len(set(refs)) == 1000

    connections = [
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) for _ in range(8)
    ]
    start = asyncio.Event()

    async def drain(
        conn: psycopg.AsyncConnection[object], worker: str
    ) -> list[uuid.UUID]:
        claimed: list[uuid.UUID] = []
        await start.wait()
        while True:
            cur = await conn.execute(_FETCH, ("default", worker, 7))
            rows = await cur.fetchall()
            if not rows:
                return claimed
            claimed.extend(row[0] for row in rows)  # type: ignore[index]

    try:
        tasks = [
            asyncio.create_task(drain(c, f"worker-{n}"))
            for n, c in enumerate(connections)
        ]
        await asyncio.sleep(0.05)
        start.set()
        results = await asyncio.gather(*tasks)
    finally:
        for c in connections:
            await c.close()

    claimed = [job_id for batch in results for job_id in batch]
    assert len(claimed) == 1000
    assert set(claimed) == {ref.identifier for ref in refs}

    jobs = await chancy.get_jobs(refs)
    assert all(j.state is QueuedJob.State.RUNNING and j.attempts == 1 for j in jobs)
    owners = {j.id: j.taken_by for j in jobs}
    for n, batch in enumerate(results):
        assert all(owners[job_id] == f"worker-{n}" for job_id in batch)


async def test_a_completion_from_a_stale_claim_is_refused(
    chancy: Chancy, dsn: str
) -> None:
    ref = await chancy.push(Job(func="f", max_attempts=3))
    async with await psycopg.AsyncConnection.connect(
        dsn, autocommit=True, row_factory=dict_row
    ) as conn:
        first = await (await conn.execute(_FETCH, ("default", "w1", 1))).fetchone()
        assert first is not None
        failed = await (
            await conn.execute(
                _FAIL,
                (
                    [first["id"]],
                    [first["claim_id"]],
                    ['{"type": "E", "message": "boom"}'],
                    [0.0],
                ),
            )
        ).fetchall()
        assert [r["state"] for r in failed] == ["retrying"]

        second = await (await conn.execute(_FETCH, ("default", "w2", 1))).fetchone()
        assert second is not None
        assert second["id"] == first["id"]
        assert second["claim_id"] != first["claim_id"]

        # The first claimant finishing late changes nothing.
        stale = await conn.execute(_COMPLETE, ([first["id"]], [first["claim_id"]]))
        assert await stale.fetchall() == []
        job = await chancy.get_job(ref)
        assert job is not None
        assert job.state is QueuedJob.State.RUNNING and job.taken_by == "w2"

        current = await conn.execute(_COMPLETE, ([second["id"]], [second["claim_id"]]))
        assert [r["id"] for r in await current.fetchall()] == [second["id"]]

    done = await chancy.get_job(ref)
    assert done is not None and done.state is QueuedJob.State.SUCCEEDED
    assert done.attempts == 2 and len(done.errors) == 1


async def test_a_completion_after_cancel_is_refused(chancy: Chancy, dsn: str) -> None:
    ref = await chancy.push(Job(func="f"))
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        claim = await (await conn.execute(_FETCH, ("default", "w1", 1))).fetchone()
        assert claim is not None
        assert await chancy.cancel_job(ref)
        stale = await conn.execute(_COMPLETE, ([claim[0]], [claim[1]]))  # type: ignore[index]
        assert await stale.fetchall() == []
    job = await chancy.get_job(ref)
    assert job is not None and job.state is QueuedJob.State.CANCELLED
