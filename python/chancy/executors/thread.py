"""The threaded executor: jobs run in a pool of threads of the worker process.

Sync functions are called in a pool thread; coroutine functions run in a
fresh event loop in a pool thread. Python cannot interrupt a thread, so for
sync functions time limits and cancellation are cooperative: the job takes
a ``QueuedJob`` parameter and calls ``job.checkpoint()`` now and then, which
raises ``TimeoutError`` once its time limit has passed and ``JobCancelled``
once it was cancelled (``job.cancelled`` and ``job.time_remaining`` can be
read too).
A sync job with a time limit that takes no ``QueuedJob`` is refused with a
clear error, since its limit could not be kept. A cancelled sync job that
never checks keeps its thread until it returns (its outcome is then
discarded); ``chancy worker start`` exits without waiting for it. Coroutine
functions get a real time limit (:func:`asyncio.timeout` in their loop) and
are cancelled at their next ``await``. Memory limits are not available in
threads (use 'process').
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import time
import traceback
from typing import TYPE_CHECKING, Any

from chancy.executors.base import (
    ExecutionControl,
    Executor,
    JobFunctionError,
    Outcome,
    bind_control,
    call_kwargs,
    context_parameters,
    error_record,
    is_async_function,
    job_limits,
    resolve_function,
)

if TYPE_CHECKING:
    from chancy.job import QueuedJob


class _ThreadResult:
    __slots__ = ("value", "exc", "tb")

    def __init__(self) -> None:
        self.value: Any = None
        self.exc: BaseException | None = None
        self.tb: str | None = None


async def _run_coroutine(
    func: Any,
    kwargs: dict[str, Any],
    time_limit: float | None,
    control: ExecutionControl,
) -> Any:
    task = asyncio.ensure_future(func(**kwargs))

    async def watch_cancel() -> None:
        while not control.cancelled.is_set():
            await asyncio.sleep(0.05)
        task.cancel("the job was cancelled")

    watcher = asyncio.ensure_future(watch_cancel())
    try:
        async with asyncio.timeout(time_limit):
            return await task
    finally:
        watcher.cancel()


def _call_in_thread(
    func: Any,
    kwargs: dict[str, Any],
    time_limit: float | None,
    control: ExecutionControl,
) -> _ThreadResult:
    out = _ThreadResult()
    try:
        if is_async_function(func):
            out.value = asyncio.run(_run_coroutine(func, kwargs, time_limit, control))
        else:
            out.value = func(**kwargs)
    except BaseException as exc:  # the job's own error, reported as its outcome
        out.exc = exc
        out.tb = "".join(traceback.format_exception(exc))
    return out


class ThreadedExecutor(Executor):
    """Runs sync and async job functions in a thread pool."""

    name = "threaded"

    def __init__(self, concurrency: int, **options: Any) -> None:
        super().__init__(concurrency)
        if options:
            raise TypeError(
                "the threaded executor takes no options, got: "
                + ", ".join(sorted(options))
            )
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="chancy-job"
        )

    @staticmethod
    def default_concurrency() -> int:
        return min(32, (os.cpu_count() or 1) + 4)

    async def run(self, job: QueuedJob) -> Outcome:
        time_limit: float | None = None
        try:
            func = resolve_function(job.func)
            time_limit, memory_limit = job_limits(job)
            if memory_limit is not None:
                raise JobFunctionError(
                    "the threaded executor cannot enforce a memory limit; "
                    "use the 'process' executor for this job"
                )
            if (
                time_limit is not None
                and not is_async_function(func)
                and not context_parameters(func)
            ):
                raise JobFunctionError(
                    f"{job.func} has a time limit but takes no QueuedJob parameter; "
                    "on the threaded executor a sync job keeps its time limit by "
                    "calling job.checkpoint(), so it must accept its QueuedJob"
                )
            kwargs = call_kwargs(func, job)
        except Exception as exc:
            return Outcome(exc=exc, error=error_record(exc))

        control = ExecutionControl(
            deadline=None if time_limit is None else time.monotonic() + time_limit
        )
        bind_control(job, control)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            self._pool, _call_in_thread, func, kwargs, time_limit, control
        )
        try:
            out = await asyncio.shield(future)
        except asyncio.CancelledError:
            control.cancelled.set()
            raise
        if out.exc is None:
            return Outcome(result=out.value)
        err = out.exc
        if isinstance(err, TimeoutError) and not str(err):
            err = TimeoutError(f"the job ran past its time limit of {time_limit} s")
        return Outcome(exc=err, error=error_record(err, out.tb))

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
