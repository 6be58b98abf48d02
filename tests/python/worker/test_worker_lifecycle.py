"""Shutdown, notifications, leases, cancellation, limits and poison jobs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import chancy_worker_jobs as jobs
import psycopg
import pytest
from conftest import declare, held_claims, job_of, running_worker

from chancy import Chancy
from chancy.job import Limit, QueuedJob
from chancy.queue import Queue

HERE = Path(__file__).resolve().parent
PYTHON_DIR = HERE.parents[2] / "python"


async def wait_for(predicate, timeout: float = 60.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while True:
            value = await predicate()
            if value:
                return value
            await asyncio.sleep(interval)


async def wait_for_file(path: Path, timeout: float = 60.0) -> None:
    async def exists() -> bool:
        return path.exists()

    await wait_for(exists, timeout)


async def test_sigterm_mid_job_hands_the_job_back_and_holds_no_claims(
    chancy: Chancy, dsn: str, tmp_path: Path
) -> None:
    await declare(chancy, "q", "process", concurrency=1)
    marker = tmp_path / "started"
    ref = await chancy.push(
        job_of(
            jobs.sync_sleep,
            "q",
            kwargs={"seconds": 120, "marker": str(marker)},
            max_attempts=1,
        )
    )
    script = textwrap.dedent(f"""
        import asyncio, sys
        sys.path[:0] = [{str(HERE)!r}, {str(PYTHON_DIR)!r}]
        from chancy import Chancy
        from chancy.worker import Worker

        async def main():
            async with Chancy({dsn!r}, no_default_plugins=True) as chancy:
                worker = Worker(chancy, queues=["q"], shutdown_timeout=1,
                                worker_id="sigterm-test")
                await worker.start()

        if __name__ == "__main__":
            asyncio.run(main())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        await wait_for_file(marker)
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0
    job = await chancy.get_job(ref)
    assert job is not None
    assert job.state == QueuedJob.State.RETRYING
    assert job.attempts == 0, "a run interrupted by shutdown is not an attempt"
    assert job.errors[-1]["message"] == "worker shutdown"
    assert await held_claims(dsn, "sigterm-test") == 0
    assert await chancy.get_all_workers() == []


async def test_second_sigterm_exits_at_once(
    chancy: Chancy, dsn: str, tmp_path: Path
) -> None:
    await declare(chancy, "q", "process", concurrency=1)
    marker = tmp_path / "started"
    await chancy.push(
        job_of(jobs.sync_sleep, "q", kwargs={"seconds": 300, "marker": str(marker)})
    )
    script = textwrap.dedent(f"""
        import asyncio, sys
        sys.path[:0] = [{str(HERE)!r}, {str(PYTHON_DIR)!r}]
        from chancy import Chancy
        from chancy.worker import Worker

        async def main():
            async with Chancy({dsn!r}, no_default_plugins=True) as chancy:
                await Worker(chancy, queues=["q"], shutdown_timeout=600).start()

        if __name__ == "__main__":
            asyncio.run(main())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        await wait_for_file(marker)
        proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(1)
        assert proc.poll() is None  # still waiting for the running job
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 128 + signal.SIGTERM


async def test_killed_listen_connection_is_replaced_and_wakes_the_worker(
    chancy: Chancy, dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    await declare(chancy, "q", "async", polling_interval=60)
    async with running_worker(chancy, queues=["q"]) as worker:
        await asyncio.wait_for(worker.listening.wait(), 30)
        # Let the first, immediate poll pass so only a notification can wake it.
        await asyncio.sleep(0.5)
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query ILIKE 'LISTEN%%'"
                " AND pid <> pg_backend_pid()"
            )

        async def relistening() -> bool:
            lost = any(
                "lost its notification connection" in r.getMessage()
                for r in caplog.records
            )
            return lost and worker.listening.is_set()

        await asyncio.sleep(0.2)
        await wait_for(relistening, 30)
        await asyncio.sleep(0.5)
        pushed = time.monotonic()
        ref = await chancy.push(job_of(jobs.async_add, "q", kwargs={"a": 1, "b": 1}))
        done = await chancy.wait_for_job(ref, timeout=45)
        assert done is not None and done.state == "succeeded"
        # Well before the 60 s polling interval could have found it.
        assert time.monotonic() - pushed < 45
    assert any("listening again" in r.getMessage() for r in caplog.records)


async def test_process_child_that_exits_fails_its_job_and_the_worker_goes_on(
    chancy: Chancy,
) -> None:
    await declare(
        chancy,
        "q",
        "process",
        concurrency=1,
        retry_settings={"backoff": 0.01, "backoff_jitter": 0},
    )
    poison = await chancy.push(job_of(jobs.exit_process, "q", max_attempts=2))
    killer = await chancy.push(job_of(jobs.kill_self, "q"))
    good = await chancy.push(job_of(jobs.sync_add, "q", kwargs={"a": 2, "b": 2}))
    async with running_worker(chancy, queues=["q"]):
        p = await chancy.wait_for_job(poison, timeout=90)
        k = await chancy.wait_for_job(killer, timeout=90)
        g = await chancy.wait_for_job(good, timeout=90)
    assert p is not None and p.state == "failed" and p.attempts == 2
    assert [e["type"] for e in p.errors] == ["WorkerProcessDied"] * 2
    assert "exit code 7" in p.errors[0]["message"]
    assert k is not None and k.state == "failed"
    assert "SIGKILL" in k.errors[0]["message"]
    assert g is not None and g.state == "succeeded"


async def test_process_memory_limit_fails_the_job(chancy: Chancy) -> None:
    await declare(chancy, "q", "process", concurrency=1)
    ref = await chancy.push(
        job_of(
            jobs.allocate,
            "q",
            kwargs={"nbytes": 4_000_000_000},
            limits=[Limit(Limit.Type.MEMORY, 1_000_000_000)],
        )
    )
    async with running_worker(chancy, queues=["q"]):
        done = await chancy.wait_for_job(ref, timeout=60)
    assert done is not None and done.state == "failed"
    assert done.errors[0]["type"] == "MemoryError"


@pytest.mark.parametrize(
    ("executor", "func"),
    [
        ("async", jobs.async_sleep),
        ("process", jobs.sync_sleep),
        ("process", jobs.async_sleep),
        ("threaded", jobs.async_sleep),
        ("threaded", jobs.cooperative_sleep),
    ],
)
async def test_time_limit_fails_the_job(
    chancy: Chancy, executor: str, func: object
) -> None:
    await declare(chancy, "q", executor, concurrency=1)
    ref = await chancy.push(
        job_of(
            func,
            "q",
            kwargs={"seconds": 60},
            limits=[Limit(Limit.Type.TIME, 1)],  # type: ignore[arg-type]
        )
    )
    async with running_worker(chancy, queues=["q"]):
        done = await chancy.wait_for_job(ref, timeout=60)
    assert done is not None and done.state == "failed"
    assert done.errors[0]["type"] == "TimeoutError"


async def test_threaded_sync_job_with_time_limit_but_no_context_is_refused(
    chancy: Chancy,
) -> None:
    await declare(chancy, "q", "threaded", concurrency=1)
    ref = await chancy.push(
        job_of(
            jobs.sync_sleep,
            "q",
            kwargs={"seconds": 60},
            limits=[Limit(Limit.Type.TIME, 1)],
        )
    )
    async with running_worker(chancy, queues=["q"]):
        done = await chancy.wait_for_job(ref, timeout=60)
    assert done is not None and done.state == "failed"
    assert "checkpoint" in done.errors[0]["message"]


@pytest.mark.parametrize(
    ("executor", "func"),
    [
        ("async", jobs.async_sleep),
        ("process", jobs.sync_sleep),
        ("threaded", jobs.async_sleep),
    ],
)
async def test_cancelling_a_running_job_interrupts_it(
    chancy: Chancy, tmp_path: Path, executor: str, func: object
) -> None:
    await declare(chancy, "q", executor, concurrency=1)
    marker = tmp_path / "started"
    ref = await chancy.push(
        job_of(
            func,
            "q",
            kwargs={"seconds": 600, "marker": str(marker)},  # type: ignore[arg-type]
        )
    )
    follow = await chancy.push(
        job_of(
            jobs.async_add if executor == "async" else jobs.sync_add,
            "q",
            kwargs={"a": 1, "b": 1},
        )
    )
    async with running_worker(chancy, queues=["q"]) as worker:
        await wait_for_file(marker)
        assert await chancy.cancel_job(ref)

        async def idle() -> bool:
            return not worker.running_jobs

        # The slot frees (the execution stopped), so the next job runs.
        done = await chancy.wait_for_job(follow, timeout=60)
        assert done is not None and done.state == "succeeded"
        await wait_for(idle, 30)
    job = await chancy.get_job(ref)
    assert job is not None and job.state == "cancelled"


async def test_heartbeat_stops_executions_the_worker_no_longer_holds(
    chancy: Chancy, dsn: str, tmp_path: Path
) -> None:
    await declare(chancy, "q", "async", concurrency=1)
    marker = tmp_path / "started"
    ref = await chancy.push(
        job_of(jobs.async_sleep, "q", kwargs={"seconds": 600, "marker": str(marker)})
    )
    async with running_worker(
        chancy, queues=["q"], heartbeat_interval=0.5, lease_seconds=30
    ) as worker:
        await wait_for_file(marker)
        # Take the claim away behind the worker's back (no notification).
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await conn.execute(
                "UPDATE chancy.jobs SET claim_id = gen_random_uuid() WHERE id = %s",
                (ref.identifier,),
            )

        async def idle() -> bool:
            return not worker.running_jobs

        await wait_for(idle, 30)


async def test_worker_follows_queue_changes(chancy: Chancy) -> None:
    async with running_worker(chancy, queue_reload_interval=1.0) as worker:

        async def serves(name: str, yes: bool = True):  # type: ignore[no-untyped-def]
            async def check() -> bool:
                return (name in worker.served_queues) == yes

            await wait_for(check, 30)

        # Created while running.
        await chancy.declare(Queue("late", executor="async"))
        await serves("late")
        ref = await chancy.push(job_of(jobs.async_add, "late", kwargs={"a": 1, "b": 2}))
        assert (await chancy.wait_for_job(ref, timeout=30)).state == "succeeded"  # type: ignore[union-attr]

        # Paused: nothing runs; resumed: it runs.
        await chancy.pause_queue("late")
        await asyncio.sleep(1.5)
        ref = await chancy.push(job_of(jobs.async_add, "late", kwargs={"a": 1, "b": 2}))
        await asyncio.sleep(2)
        assert (await chancy.get_job(ref)).state == "pending"  # type: ignore[union-attr]
        await chancy.resume_queue("late")
        assert (await chancy.wait_for_job(ref, timeout=30)).state == "succeeded"  # type: ignore[union-attr]

        # Changed executor: once the worker follows, new jobs run on the new one.
        await chancy.declare(Queue("late", executor="threaded"))

        async def follows() -> bool:
            runner = worker._runners.get("late")
            return runner is not None and runner.executor.name == "threaded"

        await wait_for(follows, 30)
        sync_ref = await chancy.push(
            job_of(jobs.sync_add, "late", kwargs={"a": 1, "b": 2})
        )
        assert (await chancy.wait_for_job(sync_ref, timeout=30)).state == "succeeded"  # type: ignore[union-attr]

        # Tags that match no worker: no longer served.
        await chancy.declare(Queue("late", executor="threaded", tags={"gpu=yes"}))
        await serves("late", yes=False)
        await chancy.declare(Queue("late", executor="threaded", tags={"hostname=.*"}))
        await serves("late")

        # Deleted.
        await chancy.delete_queue("late")
        await serves("late", yes=False)


async def test_outcomes_are_written_in_batches(chancy: Chancy, dsn: str) -> None:
    await declare(chancy, "q", "async", concurrency=50)
    refs = await chancy.push_many(
        [job_of(jobs.async_add, "q", kwargs={"a": i, "b": 1}) for i in range(300)]
    )
    calls = []
    async with running_worker(chancy, queues=["q"]) as worker:
        original = worker._write_batch

        async def counting() -> None:
            calls.append(len(worker._outbox))
            await original()

        worker._write_batch = counting  # type: ignore[method-assign]
        done = await chancy.wait_for_jobs(refs, timeout=90)
    assert all(j.state == "succeeded" for j in done)
    assert len(calls) < 300
    assert max(calls) > 1


async def test_plugin_that_fails_is_restarted_and_leader_only_plugins_follow_leadership(
    dsn: str,
) -> None:
    from chancy.plugin import Plugin

    class Flaky(Plugin):
        runs = 0

        @staticmethod
        def get_identifier() -> str:
            return "test.flaky"

        async def run(self, worker, chancy):  # type: ignore[no-untyped-def]
            Flaky.runs += 1
            if Flaky.runs < 3:
                raise RuntimeError("plugin failing on purpose")
            await asyncio.sleep(3600)

    class LeaderOnly(Plugin):
        leader_only = True
        running = False

        @staticmethod
        def get_identifier() -> str:
            return "test.leader_only"

        async def run(self, worker, chancy):  # type: ignore[no-untyped-def]
            LeaderOnly.running = True
            try:
                await asyncio.sleep(3600)
            finally:
                LeaderOnly.running = False

    async with Chancy(
        dsn, plugins=[Flaky(), LeaderOnly()], no_default_plugins=True
    ) as app:
        async with running_worker(app) as worker:

            async def restarted() -> bool:
                return Flaky.runs >= 3

            await wait_for(restarted, 30)
            await asyncio.sleep(0.2)
            assert not LeaderOnly.running
            worker.set_leadership(7)
            assert worker.is_leader.is_set() and worker.term == 7

            async def leader_running() -> bool:
                return LeaderOnly.running

            await wait_for(leader_running, 10)
            worker.set_leadership(None)

            async def leader_stopped() -> bool:
                return not LeaderOnly.running

            await wait_for(leader_stopped, 10)
            assert not worker.is_leader.is_set()


def test_worker_ids_differ_within_one_process(sync_chancy: Chancy) -> None:
    from chancy.worker import Worker

    a, b = Worker(sync_chancy), Worker(sync_chancy)
    assert a.worker_id != b.worker_id
    assert str(os.getpid()) in a.worker_id


async def test_worker_hosts_the_default_plugins_and_gains_leadership(dsn: str) -> None:
    async with Chancy(dsn) as app:
        assert "chancy.leadership" in app.plugins
        ref = await app.push(job_of(jobs.sync_add, kwargs={"a": 1, "b": 2}))
        async with running_worker(app) as worker:
            done = await app.wait_for_job(ref, timeout=60)
            assert done is not None and done.state == "succeeded"
            await asyncio.wait_for(worker.is_leader.wait(), 60)
            assert worker.term is not None
        assert await app.get_leader() is None


async def test_heartbeat_keeps_the_lease_while_a_job_blocks_the_event_loop(
    chancy: Chancy, dsn: str
) -> None:
    import threading

    await declare(chancy, "q", "async", concurrency=1)
    ref = await chancy.push(job_of(jobs.async_cpu_spin, "q", kwargs={"seconds": 8}))
    stop = threading.Event()
    recovered: list[object] = []

    def recover_loop() -> None:
        # Plays the recovery plugin: takes every job whose lease has expired.
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not stop.wait(0.5):
                recovered.extend(
                    conn.execute("SELECT id FROM chancy.recover()").fetchall()
                )

    thread = threading.Thread(target=recover_loop)
    thread.start()
    try:
        async with running_worker(
            chancy, queues=["q"], heartbeat_interval=0.5, lease_seconds=2
        ):
            done = await chancy.wait_for_job(ref, timeout=90)
    finally:
        stop.set()
        await asyncio.to_thread(thread.join)
    assert recovered == []
    assert done is not None and done.state == "succeeded"


async def test_worker_waits_for_an_unreachable_database_and_can_be_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from chancy.worker import Worker

    app = Chancy("postgresql://postgres@127.0.0.1:1/nowhere", no_default_plugins=True)
    worker = Worker(app, register_signal_handlers=False)
    task = asyncio.create_task(worker.start())

    async def warned() -> bool:
        return any(
            "cannot reach the database" in r.getMessage() for r in caplog.records
        )

    try:
        await wait_for(warned, 90)
        assert not task.done()
    finally:
        await worker.stop()
        await asyncio.wait_for(task, 60)
        await app.aclose()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
async def test_a_killed_workers_process_child_dies_with_it(
    chancy: Chancy, dsn: str, tmp_path: Path
) -> None:
    await declare(chancy, "q", "process", concurrency=1)
    marker = tmp_path / "child-pid"
    await chancy.push(
        job_of(
            jobs.sync_sleep_noting_pid,
            "q",
            kwargs={"seconds": 300, "marker": str(marker)},
        )
    )
    script = textwrap.dedent(f"""
        import asyncio, sys
        sys.path[:0] = [{str(HERE)!r}, {str(PYTHON_DIR)!r}]
        from chancy import Chancy
        from chancy.worker import Worker

        async def main():
            async with Chancy({dsn!r}, no_default_plugins=True) as chancy:
                await Worker(chancy, queues=["q"]).start()

        if __name__ == "__main__":
            asyncio.run(main())
    """)

    async def noted() -> bool:
        return marker.exists() and marker.read_text().isdigit()

    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
    try:
        await wait_for(noted)
        child = int(marker.read_text())
        assert _alive(child)
        proc.kill()
        await proc.wait()

        async def gone() -> bool:
            return not _alive(child)

        await wait_for(gone, timeout=60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
