"""Jobs the bad-input tests run on an in-process worker (async executor)."""

from __future__ import annotations

from chancy.job import QueuedJob


async def ok(n: int = 0) -> int:
    return n


async def raise_nul() -> None:
    raise ValueError("bad\x00byte in the message")


async def raise_huge() -> None:
    raise ValueError("x" * (8 << 20))


async def meta_unstorable(job: QueuedJob) -> None:
    job.meta["handle"] = object()


async def meta_nul(job: QueuedJob) -> None:
    job.meta["note"] = "nul\x00here"
