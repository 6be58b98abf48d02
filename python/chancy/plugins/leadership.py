"""The Leadership plugin: elects one worker to run the leader-only plugins.

Every ``poll_interval`` seconds the worker calls
``chancy.elect(worker_id, ttl_seconds => timeout)``, which takes the lease if
it is free or expired and renews it if this worker holds it. The database
counts terms: each change of leader gets a new, larger term, and leader-only
writes (``chancy.recover``, ``chancy.prune``) carry it, so a deposed leader's
writes are refused.

Stepping down is immediate, not lazy: a renewal that raises, or that has not
succeeded within ``timeout`` seconds of the start of the last successful one
(a monotonic clock, so wall-clock jumps do not matter), ends this worker's
leadership at once and cancels its leader-only plugins, before any other
worker can take over the lease. A worker that stops cleanly resigns, so
another takes over at its next poll instead of waiting for the lease to
expire. Changes of leader are logged here; the database sends the
``leader.changed`` notification.

Defaults: ``poll_interval=5`` and ``timeout=3 * poll_interval`` (15 s), so
after a leader dies another worker takes over within about 20 seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from chancy.plugin import Plugin
from chancy.plugins import _sleep_unless_shutdown

if TYPE_CHECKING:
    from chancy.app import Chancy
    from chancy.worker import Worker

log = logging.getLogger(__name__)

_ELECT = (
    "SELECT is_leader, term, leader_id"
    " FROM chancy.elect(worker_id => %s, ttl_seconds => %s)"
)
_RESIGN = "SELECT chancy.resign(worker_id => %s)"

#: How long a clean exit waits for the resignation to reach the database.
RESIGN_TIMEOUT = 5.0


class Leadership(Plugin):
    """Holds, renews and gives up the leadership lease for its worker."""

    def __init__(self, poll_interval: float = 5, timeout: float | None = None) -> None:
        if isinstance(poll_interval, bool) or not isinstance(
            poll_interval, (int, float)
        ):
            raise ValueError(f"poll_interval must be a number, not {poll_interval!r}")
        if not poll_interval > 0:
            raise ValueError(f"poll_interval must be positive, not {poll_interval!r}")
        if timeout is None:
            timeout = 3 * poll_interval
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise ValueError(f"timeout must be a number, not {timeout!r}")
        if not timeout > poll_interval:
            raise ValueError(
                f"timeout ({timeout}) must be longer than poll_interval "
                f"({poll_interval}), or the lease lapses between renewals"
            )
        self.poll_interval = float(poll_interval)
        self.timeout = float(timeout)

    @staticmethod
    def get_identifier() -> str:
        return "chancy.leadership"

    async def _elect(self, chancy: Chancy, worker_id: str) -> tuple[bool, int, str]:
        async with chancy.connection() as conn:
            cur = await conn.execute(_ELECT, (worker_id, self.timeout))
            row = await cur.fetchone()
        if row is None:
            raise RuntimeError("chancy.elect returned no row")
        return bool(row[0]), int(row[1]), str(row[2])

    def _step_down(self, worker: Worker, why: str) -> None:
        if worker.term is None:
            return
        log.warning(
            "leadership: stepping down from term %s: %s",
            worker.term,
            why,
            extra={"worker_id": worker.worker_id},
        )
        worker.set_leadership(None)

    async def run(self, worker: Worker, chancy: Chancy) -> None:
        # Start (monotonic) of the last renewal the database confirmed; the
        # lease it granted cannot outlive that moment plus the timeout.
        renewed_at: float | None = None
        try:
            while True:
                started = time.monotonic()
                if worker.term is not None and renewed_at is not None:
                    budget = renewed_at + self.timeout - started
                else:
                    budget = self.timeout
                try:
                    async with asyncio.timeout(max(budget, 0.0)):
                        is_leader, term, leader_id = await self._elect(
                            chancy, worker.worker_id
                        )
                except TimeoutError:
                    self._step_down(
                        worker, "the renewal did not finish before the lease ran out"
                    )
                    renewed_at = None
                    continue
                except Exception as exc:
                    log.warning(
                        "leadership: election failed: %s",
                        exc,
                        extra={"worker_id": worker.worker_id},
                    )
                    self._step_down(worker, "the renewal failed")
                    renewed_at = None
                else:
                    if (
                        worker.term is not None
                        and renewed_at is not None
                        and (time.monotonic() - renewed_at > self.timeout)
                    ):
                        # Came back, but only after the lease could have lapsed.
                        self._step_down(worker, "the renewal came back too late")
                    self._apply(worker, is_leader, term, leader_id)
                    renewed_at = started if is_leader else None

                if await _sleep_unless_shutdown(worker, self.poll_interval):
                    return
        finally:
            await self._resign(worker, chancy)

    def _apply(
        self, worker: Worker, is_leader: bool, term: int, leader_id: str
    ) -> None:
        extra = {"worker_id": worker.worker_id, "term": term, "leader_id": leader_id}
        if is_leader:
            if worker.term != term:
                log.info("leadership: became leader (term %s)", term, extra=extra)
                worker.set_leadership(term)
            else:
                log.debug("leadership: renewed term %s", term, extra=extra)
        elif worker.term is not None:
            log.info(
                "leadership: lost leadership to %s (term %s)",
                leader_id,
                term,
                extra=extra,
            )
            worker.set_leadership(None)

    async def _resign(self, worker: Worker, chancy: Chancy) -> None:
        """Stop leader-only work, then give the lease back."""
        was_leader = worker.term is not None
        if was_leader:
            worker.set_leadership(None)
        try:
            async with asyncio.timeout(RESIGN_TIMEOUT):
                async with chancy.connection() as conn:
                    await conn.execute(_RESIGN, (worker.worker_id,))
        except Exception as exc:
            log.warning(
                "leadership: could not resign; the lease expires on its own: %s",
                exc,
                extra={"worker_id": worker.worker_id},
            )
        else:
            if was_leader:
                log.info("leadership: resigned", extra={"worker_id": worker.worker_id})
