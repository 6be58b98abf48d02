"""The Pruner plugin: deletes finished jobs that match a rule.

Runs on the leader only. Every ``poll_interval`` seconds it calls
``chancy.prune(predicate, max_rows, term)`` in batches of
``maximum_to_prune`` rows until a batch comes back short. The rule is
compiled to an SQL predicate once, when the plugin is built, and the
database only ever applies it to finished jobs (succeeded, failed,
cancelled): pending, retrying and running jobs are never pruned.

The default rule, ``Age() > 86400``, removes jobs that finished more than a
day ago; the index ``jobs_prune_idx`` serves it.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, ClassVar

from chancy.errors import from_psycopg
from chancy.plugin import Plugin
from chancy.plugins import _each_poll_while_leading
from chancy.plugins import rule as _rule
from chancy.plugins.rule import Age, Condition, compile_rule

if TYPE_CHECKING:
    from chancy.app import Chancy
    from chancy.worker import Worker

log = logging.getLogger(__name__)

_PRUNE = "SELECT chancy.prune(predicate => %s, max_rows => %s, term => %s)"


class _Rules:
    """The rule fields, reachable as ``Pruner.Rules.Age`` and so on."""

    Age = _rule.Age
    Queue = _rule.Queue
    Job = _rule.Job
    State = _rule.State
    Priority = _rule.Priority
    Attempts = _rule.Attempts
    CreatedAt = _rule.CreatedAt
    ScheduledAt = _rule.ScheduledAt
    CompletedAt = _rule.CompletedAt
    ID = _rule.ID
    Meta = _rule.Meta
    Column = staticmethod(_rule.Column)


class Pruner(Plugin):
    """Deletes finished jobs matching ``rule``, in batches, on the leader.

    ``Pruner(Age() > 60 * 60, poll_interval=10)`` removes jobs finished more
    than an hour ago, checking every 10 seconds.
    """

    leader_only = True
    Rules: ClassVar[type[_Rules]] = _Rules

    def __init__(
        self,
        rule: Condition = Age() > 86400,  # noqa: B008 - an immutable rule
        maximum_to_prune: int = 10000,
        poll_interval: float = 60,
    ) -> None:
        self.predicate = compile_rule(rule, finished_only=True)
        self.rule = rule
        if isinstance(maximum_to_prune, bool) or not isinstance(maximum_to_prune, int):
            raise ValueError(
                f"maximum_to_prune must be an int, not {maximum_to_prune!r}"
            )
        if maximum_to_prune < 1:
            raise ValueError(
                f"maximum_to_prune must be at least 1, not {maximum_to_prune}"
            )
        if isinstance(poll_interval, bool) or not poll_interval > 0:
            raise ValueError(
                f"poll_interval must be a positive number, not {poll_interval!r}"
            )
        self.maximum_to_prune = maximum_to_prune
        self.poll_interval = float(poll_interval)

    @staticmethod
    def get_identifier() -> str:
        return "chancy.pruner"

    def get_dependencies(self) -> list[str]:
        return ["chancy.leadership"]

    async def prune(self, chancy: Chancy, *, term: int | None = None) -> int:
        """Delete every finished job matching the rule; return how many went.

        Batches of ``maximum_to_prune`` rows, each its own transaction. With
        ``term``, the database refuses the delete (``NotLeaderError``) unless
        that term is the live leader's.
        """
        total = 0
        while True:
            try:
                async with chancy.connection() as conn:
                    cur = await conn.execute(
                        _PRUNE, (self.predicate, self.maximum_to_prune, term)
                    )
                    row = await cur.fetchone()
            except Exception as exc:
                mapped = from_psycopg(exc)
                if mapped is exc:
                    raise
                raise mapped from exc
            deleted = int(row[0]) if row is not None else 0
            total += deleted
            if deleted < self.maximum_to_prune:
                return total

    async def run(self, worker: Worker, chancy: Chancy) -> None:
        async def prune_once(term: int) -> None:
            started = time.monotonic()
            deleted = await self.prune(chancy, term=term)
            log.log(
                logging.INFO if deleted else logging.DEBUG,
                "pruner: removed %d finished jobs in %.3fs",
                deleted,
                time.monotonic() - started,
                extra={"worker_id": worker.worker_id, "rows_removed": deleted},
            )

        await _each_poll_while_leading(
            worker, self.poll_interval, log, "pruner", prune_once
        )
