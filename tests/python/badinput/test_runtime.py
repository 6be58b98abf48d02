"""Bad input met while jobs run: the job ends in a final state, the rest go on."""

from __future__ import annotations

from typing import Any

import psycopg

from chancy import Chancy, Job, Queue, Worker


async def _run(chancy: Chancy, jobs: list[Job], wait: float = 60) -> list[Any]:
    await chancy.declare(
        Queue("bad", executor="async", concurrency=4, polling_interval=0.2)
    )
    refs = await chancy.push_many(jobs)
    async with Worker(
        chancy,
        queues=["bad"],
        register_signal_handlers=False,
        heartbeat_interval=1,
        lease_seconds=5,
        shutdown_timeout=2,
    ):
        return await chancy.wait_for_jobs(refs, timeout=wait, interval=0.2)


async def test_unknown_function_fails_that_job_only(chancy: Chancy) -> None:
    jobs = [
        Job(func="badinput._jobs.ok", queue="bad", kwargs={"n": n}) for n in range(5)
    ]
    jobs.insert(2, Job(func="badinput._jobs.no_such_function", queue="bad"))
    jobs.insert(4, Job(func="no_such_module.anything", queue="bad"))
    done = await _run(chancy, jobs)
    states = [j.state for j in done]
    assert states.count("succeeded") == 5
    assert states[2] == states[4] == "failed"
    assert "no_such_function" in done[2].errors[-1]["message"]
    assert "no_such_module" in done[4].errors[-1]["message"]


async def test_error_with_nul_is_stored(chancy: Chancy) -> None:
    done = await _run(
        chancy,
        [
            Job(func="badinput._jobs.raise_nul", queue="bad"),
            Job(func="badinput._jobs.ok", queue="bad"),
        ],
        wait=30,
    )
    assert [j.state for j in done] == ["failed", "succeeded"]
    message = done[0].errors[-1]["message"]
    assert "byte in the message" in message and "\x00" not in message


async def test_huge_error_reaches_a_final_state(chancy: Chancy) -> None:
    done = await _run(
        chancy,
        [
            Job(func="badinput._jobs.raise_huge", queue="bad"),
            Job(func="badinput._jobs.ok", queue="bad"),
        ],
    )
    assert [j.state for j in done] == ["failed", "succeeded"]
    assert done[0].errors[-1]["type"] == "ValueError"


async def test_meta_change_json_cannot_hold(chancy: Chancy) -> None:
    done = await _run(
        chancy,
        [
            Job(func="badinput._jobs.meta_unstorable", queue="bad", meta={"k": 1}),
            Job(func="badinput._jobs.ok", queue="bad"),
        ],
        wait=30,
    )
    assert [j.state for j in done] == ["succeeded", "succeeded"]
    assert done[0].meta == {"k": 1}, "the unstorable change is dropped, the rest kept"


async def test_meta_change_with_nul(chancy: Chancy) -> None:
    done = await _run(
        chancy,
        [
            Job(func="badinput._jobs.meta_nul", queue="bad", meta={"k": 1}),
            Job(func="badinput._jobs.ok", queue="bad"),
        ],
        wait=30,
    )
    assert [j.state for j in done] == ["succeeded", "succeeded"]
    assert done[0].meta == {"k": 1}, "the unstorable change is dropped, the rest kept"


async def test_stored_jobs_untouched_by_failures(chancy: Chancy, dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT chancy.declare_queue(name => 'other')")
        conn.execute("SELECT chancy.push(func => 'seed.job', queue => 'other')")
        before = conn.execute("SELECT j::text FROM chancy.jobs AS j").fetchall()
    await _run(chancy, [Job(func="badinput._jobs.no_such_function", queue="bad")])
    with psycopg.connect(dsn, autocommit=True) as conn:
        after = conn.execute(
            "SELECT j::text FROM chancy.jobs AS j WHERE j.queue = 'other'"
        ).fetchall()
    assert after == before
