"""What every executor shares: the interface, outcomes and job-call helpers.

An executor runs one job at a time per call of :meth:`Executor.run`; the
worker calls it from one asyncio task per job and bounds how many run at
once (the queue's concurrency). ``run`` never raises for a job's own error:
it returns an :class:`Outcome`. Cancelling the calling task (the worker
does so when a job is cancelled, recovered or handed back at shutdown)
interrupts the execution as far as the executor can, and ``run`` then
raises :class:`asyncio.CancelledError`.
"""

from __future__ import annotations

import abc
import functools
import importlib
import inspect
import threading
import time
import traceback
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from chancy.job import QueuedJob


class JobFunctionError(Exception):
    """A job's function cannot be found or cannot run on its executor."""


class WorkerProcessDied(Exception):
    """The child process running a job died before it reported an outcome."""


class JobCancelled(Exception):
    """Raised inside a job by ``checkpoint()`` once the job was cancelled."""


@dataclass
class Outcome:
    """How one execution of a job ended."""

    #: The exception the job raised, or None when it succeeded.
    exc: BaseException | None = None
    #: What the job function returned (passed to plugin hooks, not stored).
    result: Any = None
    #: The error record written to the job (type, message, traceback).
    error: dict[str, Any] | None = None
    #: Set by the worker when the job's meta is as it was fetched (empty), so
    #: the stored meta need not be written back.
    meta_unchanged: bool = False

    @property
    def succeeded(self) -> bool:
        return self.exc is None


@dataclass
class ExecutionControl:
    """Cooperative controls one execution shares with the job's code.

    Executors that cannot interrupt a job's code (threads) set ``cancelled``
    or pass ``deadline``; the job reads them with
    ``chancy.executors.checkpoint(job)``, ``is_cancelled(job)`` and
    ``time_remaining(job)``, which find them on its ``QueuedJob``.
    """

    deadline: float | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)

    def time_remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic()

    def checkpoint(self) -> None:
        """Raise if the job was cancelled or ran past its time limit."""
        if self.cancelled.is_set():
            raise JobCancelled("the job was cancelled")
        remaining = self.time_remaining()
        if remaining is not None and remaining <= 0:
            raise TimeoutError("the job ran past its time limit")


def bind_control(job: QueuedJob, control: ExecutionControl) -> None:
    """Let ``job.checkpoint()``, ``job.cancelled`` and ``job.time_remaining`` see
    the cooperative controls of its execution."""
    binder = getattr(job, "_bind_control", None)
    if callable(binder):
        binder(control)
    else:
        object.__setattr__(job, "_control", control)


def error_record(exc: BaseException, tb: str | None = None) -> dict[str, Any]:
    """The error entry for ``exc`` (the database adds attempt and time)."""
    if tb is None:
        tb = "".join(traceback.format_exception(exc))
    return {"type": type(exc).__name__, "message": str(exc), "traceback": tb}


#: Job functions found by name (successes only: a failed import is retried).
_RESOLVED: dict[str, Any] = {}


def resolve_function(name: str) -> Any:
    """Import the job function ``name`` (``pkg.mod.func`` or ``pkg.mod:func``).

    Raises :class:`JobFunctionError` naming the function when it cannot be
    imported or is not callable. A name found once is remembered for the
    life of the process.
    """
    found = _RESOLVED.get(name)
    if found is not None:
        return found
    found = _resolve_function(name)
    if len(_RESOLVED) < 10_000:
        _RESOLVED[name] = found
    return found


def _resolve_function(name: str) -> Any:
    if ":" in name:
        module_name, _, qualname = name.partition(":")
        candidates = [(module_name, qualname)]
    else:
        parts = name.split(".")
        candidates = [
            (".".join(parts[:i]), ".".join(parts[i:]))
            for i in range(len(parts) - 1, 0, -1)
        ]
    problem = "it is not a dotted path such as 'package.module.function'"
    for module_name, qualname in candidates:
        if not module_name or not qualname:
            continue
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and not module_name.startswith(exc.name):
                # The module exists but something it imports does not.
                problem = f"importing {module_name} failed: {exc}"
                break
            problem = f"no module named {module_name!r}"
            continue
        except Exception as exc:
            problem = f"importing {module_name} failed: {type(exc).__name__}: {exc}"
            break
        try:
            for part in qualname.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            problem = f"module {module_name!r} has no attribute {qualname!r}"
            break
        if not callable(obj):
            problem = f"{name!r} is not callable"
            break
        return obj
    raise JobFunctionError(f"unknown job function {name!r}: {problem}")


def _is_queued_job_annotation(annotation: Any) -> bool:
    from chancy.job import QueuedJob

    if isinstance(annotation, str):
        bare = annotation.replace(" ", "")
        return bare in ("QueuedJob", "chancy.QueuedJob", "chancy.job.QueuedJob") or (
            bare.startswith("QueuedJob|") or bare.endswith("|QueuedJob")
        )
    if isinstance(annotation, type):
        return issubclass(annotation, QueuedJob)
    args = typing.get_args(annotation)
    return any(isinstance(a, type) and issubclass(a, QueuedJob) for a in args)


def context_parameters(func: Any) -> list[str]:
    """Names of ``func``'s parameters annotated ``QueuedJob`` (cached per function)."""
    try:
        return list(_context_parameters(func))
    except TypeError:  # an unhashable callable object
        return list(_context_parameters.__wrapped__(func))


@functools.lru_cache(maxsize=1024)
def _context_parameters(func: Any) -> tuple[str, ...]:
    """Names of ``func``'s parameters annotated ``QueuedJob``.

    Works when the function's module uses ``from __future__ import
    annotations``: hints are resolved with :func:`typing.get_type_hints`, and
    a hint that cannot be resolved is matched by its text.
    """
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return ()
    try:
        hints = typing.get_type_hints(func)
    except Exception:
        hints = {}
    names: list[str] = []
    for name, param in signature.parameters.items():
        if param.kind not in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD):
            continue
        annotation = hints.get(name, param.annotation)
        if annotation is inspect.Parameter.empty:
            continue
        if _is_queued_job_annotation(annotation):
            names.append(name)
    return tuple(names)


def call_kwargs(func: Any, job: QueuedJob) -> dict[str, Any]:
    """The keyword arguments for one call: the job's kwargs plus its context."""
    kwargs = dict(job.kwargs or {})
    for name in context_parameters(func):
        kwargs[name] = job
    return kwargs


def is_async_function(func: Any) -> bool:
    """True for coroutine functions, including decorated and callable objects."""
    try:
        return _is_async_function(func)
    except TypeError:  # an unhashable callable object
        return _is_async_function.__wrapped__(func)


@functools.lru_cache(maxsize=1024)
def _is_async_function(func: Any) -> bool:
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004
    return call is not None and inspect.iscoroutinefunction(call)


def job_limits(job: QueuedJob) -> tuple[float | None, int | None]:
    """The time (seconds) and memory (bytes) limits of ``job``, if any."""
    time_limit: float | None = None
    memory_limit: int | None = None
    for limit in job.limits or []:
        if isinstance(limit, dict):
            kind, value = limit.get("t"), limit.get("v")
        else:
            kind = getattr(limit, "type_", None) or getattr(limit, "type", None)
            kind = getattr(kind, "value", kind)
            value = getattr(limit, "value", None)
        if value is None:
            continue
        if kind == "time":
            time_limit = float(value)
        elif kind == "memory":
            memory_limit = int(value)
    return time_limit, memory_limit


class Executor(abc.ABC):
    """Runs jobs for one queue of one worker.

    The worker builds one with the queue's concurrency and the queue's
    ``executor_options`` as keyword arguments; unknown options are refused
    with :class:`TypeError` naming them.
    """

    #: The short name queues use for this executor.
    name: ClassVar[str]

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency

    @staticmethod
    @abc.abstractmethod
    def default_concurrency() -> int:
        """How many jobs run at once when the queue does not say."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Prepare resources (pools, child processes) before the first job."""

    @abc.abstractmethod
    async def run(self, job: QueuedJob) -> Outcome:
        """Run ``job`` once and report how it ended."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources; running jobs have finished or been cancelled."""

    def kill(self) -> None:  # noqa: B027 - optional hook
        """Stop at once, from a signal handler (the worker is exiting)."""
