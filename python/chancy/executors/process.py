"""The process executor: each job runs in a child process.

Children are started with the ``spawn`` method and reused for up to
``max_jobs_per_child`` jobs; at most ``concurrency`` exist at once. Sync and
coroutine functions both run (a coroutine in a fresh event loop in the
child). Limits:

- time: the child arms a timer (``SIGALRM``) for sync functions and
  :func:`asyncio.timeout` for coroutines, so the job gets a ``TimeoutError``
  it can clean up after; a child still busy ``kill_grace`` seconds after the
  limit is killed, and the job fails with ``TimeoutError``.
- memory: ``RLIMIT_AS`` (address space, in bytes) is lowered in the child
  while the job runs, so allocations past it raise ``MemoryError``.

Cancelling a job sends ``SIGUSR1`` to its child, which raises
``JobCancelled`` in the job; a child that has not stopped ``kill_grace``
seconds later is killed. A child that dies while running a job (``os._exit``,
a signal, the kernel's out-of-memory killer) never takes the worker down:
that job's attempt fails with ``WorkerProcessDied`` and a new child is
started for the next job. Job functions must be importable by the child
(module-level functions of an importable module). POSIX only.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import pickle
import resource
import signal
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any

from chancy.executors.base import (
    ExecutionControl,
    Executor,
    JobCancelled,
    Outcome,
    WorkerProcessDied,
    bind_control,
    call_kwargs,
    error_record,
    is_async_function,
    job_limits,
    resolve_function,
)

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from chancy.job import QueuedJob

#: prctl(2) option: the signal a child gets when its parent dies.
_PR_SET_PDEATHSIG = 1


class RemoteJobError(Exception):
    """Stands for a job's exception that could not be sent back from its child."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name


# --- the child side -------------------------------------------------------

_job_running = False


def _on_cancel_signal(signum: int, frame: Any) -> None:
    if _job_running:
        raise JobCancelled("the job was cancelled")


def _on_alarm(signum: int, frame: Any) -> None:
    if _job_running:
        raise TimeoutError("the job ran past its time limit")


async def _run_coroutine(func: Any, kwargs: dict[str, Any], limit: float | None) -> Any:
    async with asyncio.timeout(limit):
        return await func(**kwargs)


def _run_in_child(
    job: QueuedJob, time_limit: float | None, memory_limit: int | None
) -> tuple[Any, ...]:
    global _job_running
    control = ExecutionControl(
        deadline=None if time_limit is None else time.monotonic() + time_limit
    )
    bind_control(job, control)
    saved_rlimit: tuple[int, int] | None = None
    try:
        func = resolve_function(job.func)
        kwargs = call_kwargs(func, job)
        if memory_limit is not None:
            saved_rlimit = resource.getrlimit(resource.RLIMIT_AS)
            hard = saved_rlimit[1]
            soft = (
                memory_limit
                if hard == resource.RLIM_INFINITY
                else min(memory_limit, hard)
            )
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        _job_running = True
        try:
            if is_async_function(func):
                result = asyncio.run(_run_coroutine(func, kwargs, time_limit))
            else:
                if time_limit is not None:
                    signal.setitimer(signal.ITIMER_REAL, time_limit)
                result = func(**kwargs)
        finally:
            _job_running = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            if saved_rlimit is not None:
                resource.setrlimit(resource.RLIMIT_AS, saved_rlimit)
    except BaseException as exc:  # the job's own error, reported as its outcome
        if (
            isinstance(exc, TimeoutError)
            and time_limit is not None
            and (
                not str(exc)
                or _on_alarm.__name__ in "".join(traceback.format_tb(exc.__traceback__))
            )
        ):
            exc = TimeoutError(f"the job ran past its time limit of {time_limit} s")
        elif isinstance(exc, MemoryError) and memory_limit is not None:
            exc = MemoryError(
                f"the job exceeded its memory limit of {memory_limit} bytes"
            )
        tb = "".join(traceback.format_exception(exc))
        try:
            exc_bytes: bytes | None = pickle.dumps(exc)
        except Exception:
            exc_bytes = None
        return ("error", error_record(exc, tb), exc_bytes, job.meta)
    try:
        result_bytes: bytes | None = pickle.dumps(result)
    except Exception:
        result_bytes = None
    return ("ok", result_bytes, job.meta)


def _die_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this child when its worker dies (Linux only).

    A worker killed with SIGKILL cannot stop its children; without this an
    orphaned child would finish its job while Recovery hands the same job to
    another worker once the lease expires. Elsewhere the child runs on alone
    until its job ends or the pipe closes.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)  # the worker died before the request took effect


def _child_main(conn: multiprocessing.connection.Connection, parent_pid: int) -> None:
    _die_with_parent(parent_pid)
    # The parent decides what a Ctrl-C means; the child only obeys the parent.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGUSR1, _on_cancel_signal)
    signal.signal(signal.SIGALRM, _on_alarm)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        job, time_limit, memory_limit = message
        conn.send(_run_in_child(job, time_limit, memory_limit))


# --- the parent side ------------------------------------------------------


class _Child:
    __slots__ = ("process", "conn", "jobs_run")

    def __init__(
        self, process: BaseProcess, conn: multiprocessing.connection.Connection
    ) -> None:
        self.process = process
        self.conn = conn
        self.jobs_run = 0

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def discard(self) -> None:
        self.signal(signal.SIGKILL)
        self.process.join(timeout=5)
        self.conn.close()
        with contextlib.suppress(ValueError):
            self.process.close()


class _ChildDied(Exception):
    pass


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "exit code unknown"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class ProcessExecutor(Executor):
    """Runs sync and async job functions in reusable child processes."""

    name = "process"

    def __init__(
        self,
        concurrency: int,
        *,
        max_jobs_per_child: int = 100,
        kill_grace: float = 5.0,
        start_method: str = "spawn",
    ) -> None:
        super().__init__(concurrency)
        if max_jobs_per_child < 1:
            raise ValueError("max_jobs_per_child must be at least 1")
        if kill_grace < 0:
            raise ValueError("kill_grace must not be negative")
        self.max_jobs_per_child = max_jobs_per_child
        self.kill_grace = kill_grace
        self._context: Any = multiprocessing.get_context(start_method)
        self._idle: list[_Child] = []
        self._children: set[_Child] = set()
        self._retiring: list[_Child] = []
        self._closed = False

    @staticmethod
    def default_concurrency() -> int:
        return os.cpu_count() or 1

    def _spawn(self) -> _Child:
        parent_conn, child_conn = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_child_main,
            args=(child_conn, os.getpid()),
            name="chancy-job",
            daemon=True,
        )
        process.start()
        child_conn.close()
        child = _Child(process, parent_conn)
        self._children.add(child)
        return child

    def _reap(self) -> None:
        still = []
        for child in self._retiring:
            if child.process.is_alive():
                still.append(child)
            else:
                child.process.join(timeout=0)
                child.conn.close()
        self._retiring = still

    def _take(self) -> _Child:
        self._reap()
        while self._idle:
            child = self._idle.pop()
            if child.process.is_alive():
                return child
            self._drop(child)
        return self._spawn()

    def _give_back(self, child: _Child) -> None:
        if self._closed or child.jobs_run >= self.max_jobs_per_child:
            self._retire(child)
        else:
            self._idle.append(child)

    def _retire(self, child: _Child) -> None:
        with contextlib.suppress(OSError):
            child.conn.send(None)
        self._children.discard(child)
        self._retiring.append(child)

    def _drop(self, child: _Child) -> None:
        self._children.discard(child)
        child.discard()

    async def _receive(self, child: _Child, timeout: float | None) -> Any:
        """Wait for the child's reply; TimeoutError if none in time."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        conn_fd = child.conn.fileno()
        sentinel = child.process.sentinel
        loop.add_reader(conn_fd, wake)
        loop.add_reader(sentinel, wake)
        try:
            if not child.conn.poll():
                async with asyncio.timeout(timeout):
                    await ready
        finally:
            loop.remove_reader(conn_fd)
            loop.remove_reader(sentinel)
        if child.conn.poll():
            try:
                return child.conn.recv()
            except (EOFError, OSError):
                pass
        child.process.join(timeout=5)
        raise _ChildDied(_describe_exit(child.process.exitcode))

    async def run(self, job: QueuedJob) -> Outcome:
        time_limit, memory_limit = job_limits(job)
        child = self._take()
        child.jobs_run += 1
        try:
            child.conn.send((job, time_limit, memory_limit))
        except (OSError, EOFError):
            self._drop(child)
            exc: BaseException = WorkerProcessDied(
                "the process for the job could not be reached"
            )
            return Outcome(exc=exc, error=error_record(exc))

        hard_deadline = None if time_limit is None else time_limit + self.kill_grace
        try:
            reply = await self._receive(child, hard_deadline)
        except asyncio.CancelledError:
            await self._interrupt(child)
            raise
        except TimeoutError:
            self._drop(child)
            exc = TimeoutError(
                f"the job ran past its time limit of {time_limit} s and was killed"
            )
            return Outcome(exc=exc, error=error_record(exc))
        except _ChildDied as died:
            self._drop(child)
            exc = WorkerProcessDied(
                f"the process running {job.func} died ({died}) before the job finished"
            )
            return Outcome(exc=exc, error=error_record(exc))

        self._give_back(child)
        return self._outcome(job, reply)

    async def _interrupt(self, child: _Child) -> None:
        """Interrupt a cancelled job; kill its child if it does not stop."""
        child.signal(signal.SIGUSR1)
        try:
            await asyncio.shield(self._receive(child, self.kill_grace))
        except (TimeoutError, _ChildDied, asyncio.CancelledError):
            self._drop(child)
        else:
            self._give_back(child)

    def _outcome(self, job: QueuedJob, reply: tuple[Any, ...]) -> Outcome:
        meta = reply[-1]
        if (
            isinstance(meta, dict)
            and isinstance(job.meta, dict)
            and meta is not job.meta
        ):
            job.meta.clear()
            job.meta.update(meta)
        if reply[0] == "ok":
            result = None if reply[1] is None else _loads(reply[1])
            return Outcome(result=result)
        error: dict[str, Any] = reply[1]
        exc: BaseException | None = None
        if reply[2] is not None:
            loaded = _loads(reply[2])
            if isinstance(loaded, BaseException):
                exc = loaded
        if exc is None:
            exc = RemoteJobError(error["type"], error["message"])
        return Outcome(exc=exc, error=error)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for child in idle:
            self._retire(child)
        deadline = time.monotonic() + 5
        for child in list(self._children) + self._retiring:
            while child.process.is_alive() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            if child.process.is_alive():
                child.discard()
            else:
                child.process.join(timeout=0)
                child.conn.close()
        self._children.clear()
        self._retiring.clear()

    def kill(self) -> None:
        for child in list(self._children) + self._retiring:
            child.signal(signal.SIGKILL)


def _loads(data: bytes) -> Any:
    try:
        return pickle.loads(data)
    except Exception:
        return None
