"""The async executor: coroutine jobs run as tasks on the worker's loop.

Time limits use :func:`asyncio.timeout`; cancelling a job cancels its task.
Only coroutine functions are accepted: a sync function would block the
worker's event loop, so such a job fails with a clear error instead of
running. A coroutine that does long CPU work without awaiting blocks the
loop just the same; the worker's heartbeat runs in its own thread so leases
are still kept, but fetching and completing wait until the job awaits.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from chancy.executors.base import (
    Executor,
    JobFunctionError,
    Outcome,
    call_kwargs,
    error_record,
    is_async_function,
    job_limits,
    resolve_function,
)

if TYPE_CHECKING:
    from chancy.job import QueuedJob


class AsyncExecutor(Executor):
    """Runs coroutine functions as asyncio tasks in the worker process."""

    name = "async"

    def __init__(self, concurrency: int, **options: Any) -> None:
        super().__init__(concurrency)
        if options:
            raise TypeError(
                "the async executor takes no options, got: "
                + ", ".join(sorted(options))
            )

    @staticmethod
    def default_concurrency() -> int:
        return 100

    async def run(self, job: QueuedJob) -> Outcome:
        try:
            func = resolve_function(job.func)
            if not is_async_function(func):
                raise JobFunctionError(
                    f"{job.func} is a sync function; the async executor runs only "
                    "coroutine functions (async def). Put it on a queue whose "
                    "executor is 'threaded' or 'process'."
                )
            kwargs = call_kwargs(func, job)
            time_limit, memory_limit = job_limits(job)
            if memory_limit is not None:
                raise JobFunctionError(
                    "the async executor cannot enforce a memory limit; "
                    "use the 'process' executor for this job"
                )
            if time_limit is None:
                result = await func(**kwargs)
            else:
                async with asyncio.timeout(time_limit):
                    result = await func(**kwargs)
        except asyncio.CancelledError:
            raise
        except TimeoutError as exc:
            if not str(exc):
                exc = TimeoutError(f"the job ran past its time limit of {time_limit} s")
            return Outcome(exc=exc, error=error_record(exc))
        except (Exception, SystemExit) as exc:
            return Outcome(exc=exc, error=error_record(exc))
        return Outcome(result=result)
