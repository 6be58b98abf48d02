"""Chancy's plugins: leadership, recovery, pruner, rules, cron and the web UI.

Import each plugin from its own module (``chancy.plugins.pruner`` and so on);
this package imports nothing itself so that importing one plugin stays cheap.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chancy.worker import Worker


async def _sleep_unless_shutdown(worker: Worker, seconds: float) -> bool:
    """Sleep ``seconds``; return True early if the worker starts shutting down."""
    try:
        await asyncio.wait_for(worker.shutdown_event.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
