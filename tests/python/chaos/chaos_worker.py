"""One worker process of the chaos suite.

Usage: ``python chaos_worker.py DSN NAME QUEUE CONCURRENCY [--cron]
[--schema-version N]``. Runs a Worker serving QUEUE with Leadership
(poll 0.5 s, timeout 2 s), Recovery (poll 0.5 s), and with ``--cron`` the
Cron plugin; leases of 3 s renewed every second. The worker id is
``NAME-PID``; the connections carry ``application_name=NAME`` so the suite
can find them in pg_stat_activity.

``--schema-version N`` plays a worker of an earlier release: it accepts a
schema at version N (and anything newer, as an older release still running
during a rolling upgrade does) instead of exactly the version this checkout
ships.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from chancy import Chancy, Worker
from chancy.plugin import Plugin
from chancy.plugins.leadership import Leadership
from chancy.plugins.recovery import Recovery


class _EarlierRelease(Chancy):
    """A Chancy that expects schema version ``expected`` or newer."""

    expected = 1

    async def check_schema(self) -> int:
        version = await self.schema_version()
        if version is None or version < self.expected:
            raise RuntimeError(
                f"schema version {version} is older than {self.expected}"
            )
        return version


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dsn")
    parser.add_argument("name")
    parser.add_argument("queue")
    parser.add_argument("concurrency", type=int)
    parser.add_argument("--cron", action="store_true")
    parser.add_argument("--schema-version", type=int, default=None)
    args = parser.parse_args()

    logging.basicConfig(
        level=logging.WARNING,
        format=f"%(asctime)s {args.name}[%(process)d] %(levelname)s "
        "%(name)s: %(message)s",
    )
    sep = "&" if "?" in args.dsn else "?"
    dsn = f"{args.dsn}{sep}application_name={args.name}"
    plugins: list[Plugin] = [
        Leadership(poll_interval=0.5, timeout=2),
        Recovery(poll_interval=0.5),
    ]
    if args.cron:
        from chancy.plugins.cron import Cron

        plugins.append(Cron(poll_interval=0.5, grace=30))
    cls: type[Chancy] = Chancy
    if args.schema_version is not None:
        _EarlierRelease.expected = args.schema_version
        cls = _EarlierRelease
    async with cls(
        dsn, plugins=plugins, no_default_plugins=True, max_connection_pool_size=6
    ) as chancy:
        worker = Worker(
            chancy,
            worker_id=f"{args.name}-{os.getpid()}",
            queues=[args.queue],
            concurrency=args.concurrency,
            heartbeat_interval=1.0,
            lease_seconds=3.0,
            shutdown_timeout=5.0,
        )
        print(f"READY {worker.worker_id}", flush=True)
        await worker.start()


if __name__ == "__main__":
    os.environ.setdefault("CHAOS_SIDE_DSN", sys.argv[1])
    asyncio.run(main())
