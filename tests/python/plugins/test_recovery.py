"""Recovery puts jobs whose lease expired back in play, or fails them for good."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from chancy import Chancy, Worker
from chancy.errors import NotLeaderError
from chancy.plugins.leadership import Leadership
from chancy.plugins.recovery import Recovery


async def _one(chancy: Chancy, query: str, params: dict[str, Any]) -> Any:
    async with chancy.connection() as conn:
        cur = await conn.execute(query, params)
        row = await cur.fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


async def _push(chancy: Chancy, max_attempts: int) -> uuid.UUID:
    job_id: uuid.UUID = await _one(
        chancy,
        "SELECT chancy.push(func => 'app.crashes', max_attempts => %(n)s)",
        {"n": max_attempts},
    )
    return job_id


async def _claim(
    chancy: Chancy, job_id: uuid.UUID, worker_id: str, lease: float
) -> None:
    """Claim the job as a worker that will die holding it; waits until it is due."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with chancy.connection() as conn:
            cur = await conn.execute(
                "SELECT id FROM chancy.fetch(queue => 'default', worker_id => %s,"
                " max_jobs => 1, lease_seconds => %s)",
                (worker_id, lease),
            )
            rows = await cur.fetchall()
        if rows:
            assert rows[0][0] == job_id
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the job never became due again")


async def _job(chancy: Chancy, job_id: uuid.UUID) -> tuple[str, int, list[Any]]:
    row = await _one(
        chancy,
        "SELECT state, attempts, errors FROM chancy.jobs WHERE id = %(id)s",
        {"id": job_id},
    )
    return row[0], row[1], row[2]


async def _wait_lease_expired(chancy: Chancy, job_id: uuid.UUID) -> None:
    query = "SELECT lease_expires_at > now() FROM chancy.jobs WHERE id = %(id)s"
    for _ in range(1200):
        if not await _one(chancy, query, {"id": job_id}):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the lease never expired")


async def test_a_job_that_keeps_losing_its_worker_ends_failed_with_the_reason(
    chancy: Chancy,
) -> None:
    job_id = await _push(chancy, max_attempts=3)
    recovery = Recovery()

    for attempt in (1, 2, 3):
        await _claim(chancy, job_id, f"doomed-{attempt}", lease=0.2)
        assert (await recovery.recover(chancy))["retrying"] == 0  # lease still live
        await _wait_lease_expired(chancy, job_id)
        counts = await recovery.recover(chancy)
        state, attempts, errors = await _job(chancy, job_id)
        assert attempts == attempt
        assert len(errors) == attempt
        assert errors[-1]["type"] == "WorkerLost"
        if attempt < 3:
            assert state == "retrying"
            assert counts == {"retrying": 1}
        else:
            assert state == "failed"
            assert counts == {"failed": 1}

    assert await recovery.recover(chancy) == {}


async def test_recover_with_a_deposed_leaders_term_is_refused(chancy: Chancy) -> None:
    job_id = await _push(chancy, max_attempts=2)
    await _claim(chancy, job_id, "doomed", lease=0.1)
    await _wait_lease_expired(chancy, job_id)

    old = await _one(chancy, "SELECT term FROM chancy.elect('w1', 60)", {})
    await _one(chancy, "SELECT chancy.resign('w1')", {})
    new = await _one(chancy, "SELECT term FROM chancy.elect('w2', 60)", {})
    assert new > old

    with pytest.raises(NotLeaderError):
        await Recovery().recover(chancy, term=old)
    assert (await _job(chancy, job_id))[0] == "running"

    assert await Recovery().recover(chancy, term=new) == {"retrying": 1}


async def test_the_leaders_recovery_loop_brings_back_expired_jobs(dsn: str) -> None:
    """A worker that leads recovers a dead worker's job once its lease expires."""
    poll = 0.5
    app = Chancy(
        dsn,
        plugins=[
            Leadership(poll_interval=0.2, timeout=1),
            Recovery(poll_interval=poll),
        ],
        no_default_plugins=True,
    )
    async with app:
        job_id = await _push(app, max_attempts=2)
        await _claim(app, job_id, "dead-worker", lease=1)
        worker = Worker(app, queues=["nothing-here"], register_signal_handlers=False)
        async with worker:
            await asyncio.wait_for(worker.is_leader.wait(), timeout=30)
            await _wait_lease_expired(app, job_id)
            expired = time.monotonic()
            while (await _job(app, job_id))[0] == "running":
                assert time.monotonic() - expired < 60, "never recovered"
                await asyncio.sleep(0.05)
            delay = time.monotonic() - expired

        state, attempts, errors = await _job(app, job_id)
        assert state == "retrying"
        assert errors[-1]["type"] == "WorkerLost"
        # Reported, not asserted: the machine may be busy.
        print(f"recovered {delay:.2f}s after the lease expired (poll {poll}s)")


def test_recovery_validates_its_settings() -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        Recovery(poll_interval=0)
    with pytest.raises(ValueError, match="batch_size"):
        Recovery(batch_size=0)
    assert Recovery.get_identifier() == "chancy.recovery"
    assert Recovery.leader_only
