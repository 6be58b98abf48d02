"""End to end: jobs pushed from SQL and from Python run on every executor."""

from __future__ import annotations

import chancy_worker_jobs as jobs
import psycopg
import pytest
from conftest import declare, func_name, held_claims, job_of, running_worker

from chancy import Chancy
from chancy.job import QueuedJob


@pytest.mark.parametrize("executor", ["async", "threaded", "process"])
async def test_jobs_pushed_from_python_run_and_succeed(
    chancy: Chancy, executor: str
) -> None:
    await declare(chancy, "q", executor, concurrency=2)
    func = jobs.async_add if executor == "async" else jobs.sync_add
    refs = [
        await chancy.push(job_of(func, "q", kwargs={"a": i, "b": 1})) for i in range(5)
    ]
    async with running_worker(chancy, queues=["q"]):
        done = await chancy.wait_for_jobs(refs, timeout=60)
    assert [j.state for j in done] == [QueuedJob.State.SUCCEEDED] * 5


async def test_job_pushed_from_sql_runs(chancy: Chancy, dsn: str) -> None:
    await declare(chancy, "q", "async")
    async with running_worker(chancy, queues=["q"]) as worker:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            cur = await conn.execute(
                "SELECT chancy.push(%s, '{\"a\": 1, \"b\": 2}', queue => 'q')",
                (func_name(jobs.async_add),),
            )
            row = await cur.fetchone()
            assert row is not None
        done = await chancy.wait_for_job(row[0], timeout=60)
        assert done is not None and done.state == "succeeded"
        assert done.taken_by == worker.worker_id


async def test_default_queue_is_served_when_nothing_is_declared(chancy: Chancy) -> None:
    ref = await chancy.push(job_of(jobs.sync_add, kwargs={"a": 1, "b": 2}))
    async with running_worker(chancy):
        done = await chancy.wait_for_job(ref, timeout=60)
    assert done is not None and done.state == "succeeded"


async def test_failure_is_recorded_and_retried_until_max_attempts(
    chancy: Chancy,
) -> None:
    await declare(
        chancy, "q", "threaded", retry_settings={"backoff": 0.01, "backoff_jitter": 0}
    )
    ref = await chancy.push(job_of(jobs.fail_always, "q", max_attempts=3))
    async with running_worker(chancy, queues=["q"]):
        done = await chancy.wait_for_job(ref, timeout=60)
    assert done is not None and done.state == "failed"
    assert done.attempts == 3
    assert [e["type"] for e in done.errors] == ["ValueError"] * 3
    assert "kaboom" in done.errors[0]["message"]
    assert "Traceback" in done.errors[0]["traceback"]


async def test_unknown_function_fails_that_job_and_others_continue(
    chancy: Chancy,
) -> None:
    await declare(chancy, "q", "process", concurrency=2)
    bad = await chancy.push(
        job_of(jobs.sync_add, "q").__class__(func="no_such_module.nope", queue="q")
    )
    good = await chancy.push(job_of(jobs.sync_add, "q", kwargs={"a": 1, "b": 1}))
    async with running_worker(chancy, queues=["q"]):
        bad_job = await chancy.wait_for_job(bad, timeout=60)
        good_job = await chancy.wait_for_job(good, timeout=60)
    assert bad_job is not None and bad_job.state == "failed"
    assert bad_job.errors[0]["type"] == "JobFunctionError"
    assert "no_such_module.nope" in bad_job.errors[0]["message"]
    assert good_job is not None and good_job.state == "succeeded"


async def test_sync_function_on_async_executor_fails_with_clear_error(
    chancy: Chancy,
) -> None:
    await declare(chancy, "q", "async")
    ref = await chancy.push(job_of(jobs.sync_add, "q", kwargs={"a": 1, "b": 1}))
    async with running_worker(chancy, queues=["q"]):
        done = await chancy.wait_for_job(ref, timeout=60)
    assert done is not None and done.state == "failed"
    assert "sync function" in done.errors[0]["message"]


@pytest.mark.parametrize("executor", ["threaded", "process"])
async def test_queued_job_is_injected_under_pep563_and_meta_is_saved(
    chancy: Chancy, executor: str
) -> None:
    await declare(chancy, "q", executor)
    ref = await chancy.push(job_of(jobs.with_context, "q", kwargs={"note": "hi"}))
    async with running_worker(chancy, queues=["q"]):
        done = await chancy.wait_for_job(ref, timeout=60)
    assert done is not None and done.state == "succeeded"
    assert done.meta["note"] == "hi"
    assert done.meta["seen_id"] == str(done.id)


async def test_async_job_gets_its_context_and_meta_is_saved(chancy: Chancy) -> None:
    await declare(chancy, "q", "async")
    ref = await chancy.push(job_of(jobs.async_with_context, "q", kwargs={"note": "yo"}))
    async with running_worker(chancy, queues=["q"]):
        done = await chancy.wait_for_job(ref, timeout=60)
    assert done is not None and done.state == "succeeded"
    assert done.meta == {"note": "yo", "attempt": 1}


async def test_clean_stop_leaves_no_claims_and_no_worker_row(
    chancy: Chancy, dsn: str
) -> None:
    async with running_worker(chancy) as worker:
        workers = await chancy.get_all_workers()
        assert [w["worker_id"] for w in workers] == [worker.worker_id]
    assert await held_claims(dsn, worker.worker_id) == 0
    assert await chancy.get_all_workers() == []


async def test_outcomes_jsonb_cannot_hold_are_stored_safely(chancy: Chancy) -> None:
    await declare(chancy, "q", "async", concurrency=4)
    refs = await chancy.push_many(
        [
            job_of(jobs.raise_nul, "q"),
            job_of(jobs.meta_unstorable, "q", meta={"kept": 1}),
            job_of(jobs.meta_nul, "q", meta={"kept": 2}),
            job_of(jobs.async_add, "q", kwargs={"a": 1, "b": 1}),
        ]
    )
    async with running_worker(chancy, queues=["q"]):
        nul_error, unstorable, nul_meta, fine = await chancy.wait_for_jobs(
            refs, timeout=60
        )
    assert nul_error.state == "failed"
    assert nul_error.errors[-1]["message"] == "bad\\x00byte"
    assert (unstorable.state, unstorable.meta) == ("succeeded", {"kept": 1})
    assert (nul_meta.state, nul_meta.meta) == ("succeeded", {"kept": 2})
    assert fine.state == "succeeded"


async def test_a_queue_whose_executor_cannot_load_does_not_stop_the_others(
    chancy: Chancy, dsn: str
) -> None:
    await declare(chancy, "broken", "async")
    await declare(chancy, "q", "async")
    # Stored behind declare_queue's back, as an older release or a hand edit might.
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(
            "UPDATE chancy.queues SET executor = 'rm -rf' WHERE name = 'broken'"
        )
    assert (await chancy.get_queue("broken")).executor == "rm -rf"
    ref = await chancy.push(job_of(jobs.async_add, "q", kwargs={"a": 1, "b": 2}))
    async with running_worker(chancy):
        done = await chancy.wait_for_job(ref, timeout=60)
    assert done is not None and done.state == "succeeded"
