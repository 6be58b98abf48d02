"""Chancy's plugins: leadership, recovery, pruner, rules, cron and the web UI.

Import each plugin from its own module (``chancy.plugins.pruner`` and so on);
this package holds only the small helpers they share, so importing one plugin
stays cheap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from chancy.errors import NotLeaderError

if TYPE_CHECKING:
    from chancy.worker import Worker


async def _sleep_unless_shutdown(worker: Worker, seconds: float) -> bool:
    """Sleep ``seconds``; return True early if the worker starts shutting down."""
    try:
        await asyncio.wait_for(worker.shutdown_event.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def _each_poll_while_leading(
    worker: Worker,
    poll_interval: float,
    log: logging.Logger,
    label: str,
    act: Callable[[int], Awaitable[None]],
) -> None:
    """Call ``act(term)`` every ``poll_interval`` seconds until the worker stops.

    A pass is skipped while this worker holds no term (never act unfenced); a
    term the database refuses is logged, and Leadership steps the worker down
    within one poll.
    """
    while True:
        term = worker.term
        if term is not None:
            try:
                await act(term)
            except NotLeaderError as exc:
                log.warning(
                    "%s: the database refused term %s: %s",
                    label,
                    term,
                    exc,
                    extra={"worker_id": worker.worker_id},
                )
        if await _sleep_unless_shutdown(worker, poll_interval):
            return
