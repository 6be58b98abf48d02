"""Job functions the benchmark's worker runs (imported by name in the worker)."""

from __future__ import annotations


async def noop() -> None:
    """Does nothing: the benchmark measures the queue, not the job."""
    return None
