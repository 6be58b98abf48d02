"""The cron part of ``make demo``: a schedule ticking every two seconds."""

from __future__ import annotations

from typing import Any

from chancy.app import Chancy
from chancy.job import Job
from chancy.plugins.cron import Cron

SCHEDULE = "demo-tick"

_FIRED = """
SELECT count(*), min(j.created_at), max(j.created_at)
  FROM chancy.jobs AS j
 WHERE j.meta -> 'cron' ->> 'schedule' = %(name)s
"""


async def tick() -> None:
    """The job the demo schedule runs; its record in chancy.jobs is the point."""


class CronDemo:
    """Schedules :func:`tick` every two seconds and reports how often it fired."""

    def plugins(self) -> list[Any]:
        return [Cron(poll_interval=0.5)]

    async def setup(self, chancy: Chancy) -> None:
        job = Job(func=f"{__name__}.tick", queue="pings")
        await Cron.schedule(chancy, "*/2 * * * * *", job, name=SCHEDULE)
        print(f"cron: schedule {SCHEDULE!r} runs {job.func} every 2 s", flush=True)

    async def report(self, chancy: Chancy) -> None:
        async with chancy.connection() as conn:
            cur = await conn.execute(_FIRED, {"name": SCHEDULE})
            row = await cur.fetchone()
        fired, first, last = row if row else (0, None, None)
        if fired and first is not None and last is not None:
            span = (last - first).total_seconds()
            print(
                f"cron: {SCHEDULE!r} fired {fired} times over {span:.0f} s, "
                "one job per tick",
                flush=True,
            )
        else:
            print(f"cron: {SCHEDULE!r} has not fired yet", flush=True)
