"""A worker process for the multi-process leadership tests.

Usage: ``python leader_proc.py DSN WORKER_ID``. Serves queue ``mp`` with
Leadership(poll_interval=0.5, timeout=2) and Recovery(poll_interval=0.5),
and prints ``LEAD <worker> <term> <monotonic>`` when its leader-only probe
starts and ``STOP <worker> <monotonic>`` when it is cancelled.
"""

from __future__ import annotations

import asyncio
import sys
import time

from chancy import Chancy, Worker
from chancy.plugin import Plugin
from chancy.plugins.leadership import Leadership
from chancy.plugins.recovery import Recovery


async def hold(seconds: float) -> None:
    """The job the tests push: keeps its worker busy for a while."""
    await asyncio.sleep(seconds)


class LeaderProbe(Plugin):
    leader_only = True

    @staticmethod
    def get_identifier() -> str:
        return "test.leader_probe"

    async def run(self, worker: Worker, chancy: Chancy) -> None:
        print(f"LEAD {worker.worker_id} {worker.term} {time.monotonic()}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            print(f"STOP {worker.worker_id} {time.monotonic()}", flush=True)


async def main(dsn: str, worker_id: str) -> None:
    plugins = [
        Leadership(poll_interval=0.5, timeout=2),
        Recovery(poll_interval=0.5),
        LeaderProbe(),
    ]
    async with Chancy(dsn, plugins=plugins, no_default_plugins=True) as chancy:
        worker = Worker(
            chancy,
            worker_id=worker_id,
            queues=["mp"],
            heartbeat_interval=0.5,
            lease_seconds=2,
        )
        print(f"READY {worker_id}", flush=True)
        await worker.start()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
