"""Executors run jobs; each queue names the one it uses.

A queue's ``executor`` is a short name (``"async"``, ``"threaded"``,
``"process"``) or the import path of an :class:`Executor` subclass
(``"package.module.Class"`` or ``"package.module:Class"``).
"""

from __future__ import annotations

import importlib

from chancy.executors.base import (
    ExecutionControl,
    Executor,
    JobCancelled,
    JobFunctionError,
    Outcome,
    WorkerProcessDied,
)

__all__ = [
    "ExecutionControl",
    "Executor",
    "JobCancelled",
    "JobFunctionError",
    "Outcome",
    "WorkerProcessDied",
    "checkpoint",
    "is_cancelled",
    "resolve_executor",
    "time_remaining",
]


def _control(job: object) -> ExecutionControl | None:
    control = getattr(job, "_control", None)
    return control if isinstance(control, ExecutionControl) else None


def checkpoint(job: object) -> None:
    """Raise ``JobCancelled`` or ``TimeoutError`` if the running ``job`` was
    cancelled or ran past its time limit; the cooperative check for sync jobs
    on the threaded executor (a no-op outside an execution)."""
    control = _control(job)
    if control is not None:
        control.checkpoint()


def is_cancelled(job: object) -> bool:
    """Whether the running ``job`` was cancelled."""
    control = _control(job)
    return control is not None and control.cancelled.is_set()


def time_remaining(job: object) -> float | None:
    """Seconds left before the running ``job``'s time limit, if it has one."""
    control = _control(job)
    return None if control is None else control.time_remaining()


_SHORT_NAMES = {
    "async": "chancy.executors.asyncex:AsyncExecutor",
    "asyncio": "chancy.executors.asyncex:AsyncExecutor",
    "threaded": "chancy.executors.thread:ThreadedExecutor",
    "thread": "chancy.executors.thread:ThreadedExecutor",
    "process": "chancy.executors.process:ProcessExecutor",
}

# Import paths users of earlier Chancy releases already have in their queues.
_ALIASES = {
    "chancy.executors.asyncex.AsyncExecutor": "async",
    "chancy.executors.thread.ThreadedExecutor": "threaded",
    "chancy.executors.process.ProcessExecutor": "process",
}


def resolve_executor(name: str) -> type[Executor]:
    """The executor class for a queue's ``executor`` value.

    Raises :class:`ValueError` naming the value when it is unknown.
    """
    path = _SHORT_NAMES.get(_ALIASES.get(name, name).lower(), name)
    if ":" in path:
        module_name, _, attr = path.partition(":")
    else:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ValueError(
            f"unknown executor {name!r}: use 'async', 'threaded', 'process' "
            "or the import path of an Executor subclass"
        )
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"unknown executor {name!r}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Executor)):
        raise ValueError(
            f"executor {name!r} is not a subclass of chancy.executors.Executor"
        )
    return cls
