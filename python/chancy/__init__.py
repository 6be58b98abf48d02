"""Chancy: a job queue and scheduler that lives inside PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chancy.app import Chancy
from chancy.job import Job, Limit, QueuedJob, Reference, job
from chancy.queue import Queue

if TYPE_CHECKING:
    from chancy.worker import Worker

__all__ = ["Chancy", "Job", "Limit", "Queue", "QueuedJob", "Reference", "Worker", "job"]


def __getattr__(name: str) -> Any:
    # The worker pulls in executors and plugins; import it only when asked for.
    if name == "Worker":
        from chancy.worker import Worker

        return Worker
    raise AttributeError(f"module 'chancy' has no attribute {name!r}")
