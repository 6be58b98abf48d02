"""Job functions the worker tests run (importable by spawned children)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from chancy.job import QueuedJob


async def async_add(a: int, b: int) -> int:
    return a + b


def sync_add(a: int, b: int) -> int:
    return a + b


def record(path: str, value: str) -> None:
    with open(path, "a") as fh:
        fh.write(value + "\n")


async def async_record(path: str, value: str) -> None:
    record(path, value)


def with_context(*, job: QueuedJob, note: str) -> str:
    """Annotated under PEP 563 (this module uses postponed annotations)."""
    job.meta["note"] = note
    job.meta["seen_id"] = str(job.id)
    return note


async def async_with_context(job: QueuedJob, note: str) -> str:
    job.meta["note"] = note
    job.meta["attempt"] = job.attempts
    return note


def fail_always(message: str = "kaboom") -> None:
    raise ValueError(message)


async def async_sleep(seconds: float, marker: str | None = None) -> str:
    if marker:
        Path(marker).write_text("started")
    await asyncio.sleep(seconds)
    return "slept"


def sync_sleep(seconds: float, marker: str | None = None) -> str:
    if marker:
        Path(marker).write_text("started")
    time.sleep(seconds)
    return "slept"


def sync_sleep_noting_pid(seconds: float, marker: str) -> str:
    Path(marker).write_text(str(os.getpid()))
    time.sleep(seconds)
    return "slept"


def cooperative_sleep(seconds: float, *, job: QueuedJob) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.checkpoint()
        time.sleep(0.05)
    return "done"


def exit_process() -> None:
    os._exit(7)


def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def allocate(nbytes: int) -> int:
    return len(bytearray(nbytes))


def cpu_spin(seconds: float) -> int:
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
    return n


async def async_cpu_spin(seconds: float) -> int:
    """Blocks the event loop (what async jobs must not do) to test heartbeats."""
    return cpu_spin(seconds)


async def raise_nul() -> None:
    raise ValueError("bad\x00byte")


async def meta_unstorable(job: QueuedJob) -> None:
    job.meta["handle"] = object()


async def meta_nul(job: QueuedJob) -> None:
    job.meta["note"] = "nul\x00here"
