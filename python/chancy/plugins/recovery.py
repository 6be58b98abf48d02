"""The Recovery plugin: puts back in play the jobs of workers that died.

Runs on the leader only. Every ``poll_interval`` seconds it calls
``chancy.recover(max_rows, term)`` in batches until none is left. A running
job whose lease expired (its worker stopped sending heartbeats) becomes
retrying, with a ``WorkerLost`` error recorded, or failed if it has used all
its ``max_attempts``; so a job that keeps killing its workers ends failed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import TYPE_CHECKING

from chancy.errors import from_psycopg
from chancy.plugin import Plugin
from chancy.plugins import _each_poll_while_leading

if TYPE_CHECKING:
    from chancy.app import Chancy
    from chancy.worker import Worker

log = logging.getLogger(__name__)

_RECOVER = "SELECT id, state FROM chancy.recover(max_rows => %s, term => %s)"


class Recovery(Plugin):
    """Recovers jobs whose lease expired, every ``poll_interval`` seconds."""

    leader_only = True

    def __init__(self, poll_interval: float = 10, *, batch_size: int = 1000) -> None:
        if isinstance(poll_interval, bool) or not poll_interval > 0:
            raise ValueError(
                f"poll_interval must be a positive number, not {poll_interval!r}"
            )
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, int)
            or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive int, not {batch_size!r}")
        self.poll_interval = float(poll_interval)
        self.batch_size = batch_size

    @staticmethod
    def get_identifier() -> str:
        return "chancy.recovery"

    def get_dependencies(self) -> list[str]:
        return ["chancy.leadership"]

    async def recover(self, chancy: Chancy, *, term: int | None = None) -> Counter[str]:
        """Recover every job whose lease expired; count them by new state.

        With ``term``, the database refuses (``NotLeaderError``) unless that
        term is the live leader's.
        """
        counts: Counter[str] = Counter()
        while True:
            try:
                async with chancy.connection() as conn:
                    cur = await conn.execute(_RECOVER, (self.batch_size, term))
                    rows = await cur.fetchall()
            except Exception as exc:
                mapped = from_psycopg(exc)
                if mapped is exc:
                    raise
                raise mapped from exc
            counts.update(str(state) for _, state in rows)
            if len(rows) < self.batch_size:
                return counts

    async def run(self, worker: Worker, chancy: Chancy) -> None:
        async def recover_once(term: int) -> None:
            started = time.monotonic()
            counts = await self.recover(chancy, term=term)
            total = sum(counts.values())
            log.log(
                logging.INFO if total else logging.DEBUG,
                "recovery: recovered %d jobs (%d retrying, %d failed) in %.3fs",
                total,
                counts["retrying"],
                counts["failed"],
                time.monotonic() - started,
                extra={"worker_id": worker.worker_id, "rows_recovered": total},
            )

        await _each_poll_while_leading(
            worker, self.poll_interval, log, "recovery", recover_once
        )
