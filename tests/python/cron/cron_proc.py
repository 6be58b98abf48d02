"""A worker process for the multi-process cron tests.

Usage: ``python cron_proc.py DSN WORKER_ID``. Serves queue ``busy`` with
Leadership(poll_interval=0.5, timeout=2) and Cron(poll_interval=1), and
prints ``READY <worker>`` once started. The cron jobs go to a queue no
worker serves, so the tests can count them.
"""

from __future__ import annotations

import asyncio
import sys

from chancy import Chancy, Worker
from chancy.plugins.cron import Cron
from chancy.plugins.leadership import Leadership


async def hold(seconds: float) -> None:
    """Keeps an executor slot busy for a while."""
    await asyncio.sleep(seconds)


async def main(dsn: str, worker_id: str) -> None:
    plugins = [Leadership(poll_interval=0.5, timeout=2), Cron(poll_interval=1)]
    async with Chancy(dsn, plugins=plugins, no_default_plugins=True) as chancy:
        worker = Worker(
            chancy,
            worker_id=worker_id,
            queues=["busy"],
            heartbeat_interval=0.5,
            lease_seconds=2,
            shutdown_timeout=1,
        )
        print(f"READY {worker_id}", flush=True)
        await worker.start()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
