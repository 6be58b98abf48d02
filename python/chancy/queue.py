"""Queues: named lanes of jobs, stored in ``chancy.queues`` and served by workers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any

from chancy import _json
from chancy.errors import InvalidQueueError

__all__ = ["Executor", "Queue"]


class Executor(enum.StrEnum):
    """The executors Chancy ships, by the short name stored in the queue row.

    A queue may also name any executor class by its import path
    (``"myapp.executors.GpuExecutor"``).
    """

    Async = "async"
    Threaded = "threaded"
    Process = "process"


def _check_executor(executor: object) -> str:
    if isinstance(executor, type):
        return f"{executor.__module__}.{executor.__qualname__}"
    if not isinstance(executor, str) or not executor:
        raise InvalidQueueError(
            f"executor must be 'async', 'threaded', 'process' or an import path, "
            f"not {executor!r}"
        )
    if executor in Executor._value2member_map_:
        return str(executor)
    if "." not in executor:
        raise InvalidQueueError(
            f"executor {executor!r} is neither 'async', 'threaded', 'process' "
            "nor an import path such as 'package.module.Class'"
        )
    return executor


@dataclasses.dataclass(frozen=True)
class Queue:
    """A queue's configuration. Declare it with ``Chancy.declare``.

    ``concurrency=None`` lets the executor choose; ``rate_limit`` jobs may
    start per ``rate_limit_window`` seconds across all workers (both or
    neither); ``tags`` select the workers that serve it; ``retry_settings``
    (``backoff``, ``backoff_factor``, ``backoff_limit``, ``backoff_jitter``)
    override the default retry backoff for its jobs.
    """

    class State(enum.StrEnum):
        ACTIVE = "active"
        PAUSED = "paused"

    name: str
    _: dataclasses.KW_ONLY
    concurrency: int | None = None
    executor: str = Executor.Process
    executor_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    rate_limit: int | None = None
    rate_limit_window: int | None = None
    polling_interval: float = 1.0
    tags: frozenset[str] = frozenset()
    state: Queue.State = State.ACTIVE
    resume_at: dt.datetime | None = None
    retry_settings: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidQueueError(f"name must be a non-empty str, not {self.name!r}")
        object.__setattr__(self, "executor", _check_executor(self.executor))
        try:
            object.__setattr__(self, "state", Queue.State(self.state))
        except ValueError as exc:
            raise InvalidQueueError(
                f"state {self.state!r} is not 'active' or 'paused'"
            ) from exc
        if isinstance(self.tags, str):
            raise InvalidQueueError("tags must be a collection of str, not one str")
        object.__setattr__(self, "tags", frozenset(self.tags or ()))
        object.__setattr__(self, "executor_options", dict(self.executor_options or {}))
        object.__setattr__(self, "retry_settings", dict(self.retry_settings or {}))
        for name in ("concurrency", "rate_limit", "rate_limit_window"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int)
            ):
                raise InvalidQueueError(f"{name} must be an int or None, not {value!r}")
        if (self.rate_limit is None) != (self.rate_limit_window is None):
            raise InvalidQueueError(
                "rate_limit and rate_limit_window must be given together"
            )
        if self.resume_at is not None and self.resume_at.utcoffset() is None:
            raise InvalidQueueError("resume_at must be a timezone-aware datetime")

    def declare_params(
        self, *, upsert: bool, keep_state: bool = False
    ) -> dict[str, Any]:
        """Bound parameters for ``chancy.declare_queue``.

        With ``keep_state`` an existing queue keeps its state and resume_at
        (a new one is active), so a redeploy never resumes a paused queue.
        """
        return {
            "name": self.name,
            "concurrency": self.concurrency,
            "executor": self.executor,
            "executor_options": _json.wrap(
                InvalidQueueError, self.executor_options, "executor_options"
            ),
            "polling_interval": float(self.polling_interval),
            "rate_limit": self.rate_limit,
            "rate_limit_window": self.rate_limit_window,
            "tags": sorted(self.tags),
            "retry_settings": _json.wrap(
                InvalidQueueError, self.retry_settings, "retry_settings"
            ),
            "state": None if keep_state else str(self.state),
            "upsert": upsert,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Queue:
        """Build from a ``chancy.queues`` row read with a dict row factory.

        The executor is taken as stored, unchecked: a worker reports a queue
        whose executor it cannot load and goes on serving the others.
        """
        queue = cls(
            row["name"],
            concurrency=row["concurrency"],
            executor=Executor.Process,
            executor_options=row["executor_options"],
            rate_limit=row["rate_limit"],
            rate_limit_window=row["rate_limit_window"],
            polling_interval=row["polling_interval"],
            tags=frozenset(row["tags"] or ()),
            state=Queue.State(row["state"]),
            resume_at=row["resume_at"],
            retry_settings=row["retry_settings"],
        )
        object.__setattr__(queue, "executor", row["executor"])
        return queue

    def with_tags(self, tags: Iterable[str]) -> Queue:
        return dataclasses.replace(self, tags=frozenset(tags))
