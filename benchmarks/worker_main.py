"""One Chancy worker process for the benchmark: serves one async queue until signalled.

usage: python benchmarks/worker_main.py DSN QUEUE CONCURRENCY

Run by benchmarks/run.py with ``benchmarks/`` on PYTHONPATH so the job
``bench_jobs.noop`` imports. SIGTERM or SIGINT stops the worker.
"""

from __future__ import annotations

import asyncio
import sys

from chancy import Chancy, Queue, Worker


async def main(dsn: str, queue: str, concurrency: int) -> None:
    async with Chancy(dsn, no_default_plugins=True) as chancy:
        await chancy.declare(
            Queue(queue, executor="async", concurrency=concurrency),
            upsert=True,
        )
        async with Worker(chancy, queues=[queue]) as worker:
            await worker.wait_for_shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
