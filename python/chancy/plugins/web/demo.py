"""The dashboard in ``make demo``: an extension for ``chancy.demo.EXTENSIONS``.

``EXTENSIONS.append(WebDemo())`` adds the Web plugin to the demo's worker,
prints the dashboard's URL and credentials as soon as it listens, and prints
them again in the summary. ``$CHANCY_DEMO_WEB_PORT`` picks the port (default
8000, or a free one if 8000 is taken); ``$CHANCY_DEMO_WEB_LINGER`` keeps the
dashboard up for that many seconds after the workload is done (default 0;
Ctrl-C ends it sooner).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from typing import TYPE_CHECKING, Any

from chancy.plugins.web.plugin import Web

if TYPE_CHECKING:
    from chancy.app import Chancy


def _free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class WebDemo:
    """Serves the dashboard during the demo and says how to reach it."""

    def __init__(self, port: int | None = None, linger: float | None = None) -> None:
        wanted = (
            port
            if port is not None
            else int(os.environ.get("CHANCY_DEMO_WEB_PORT", "8000"))
        )
        if wanted and not _free("127.0.0.1", wanted):
            wanted = 0
        self.linger = (
            linger
            if linger is not None
            else float(os.environ.get("CHANCY_DEMO_WEB_LINGER", "0"))
        )
        self.web = Web(host="127.0.0.1", port=wanted, users={"admin": _password()})
        self._announce: asyncio.Task[None] | None = None

    def plugins(self) -> list[Any]:
        return [self.web]

    async def setup(self, chancy: Chancy) -> None:
        self._announce = asyncio.create_task(self._say_when_listening())

    async def _say_when_listening(self) -> None:
        await self.web.started.wait()
        print(self.web.banner(), flush=True)

    async def report(self, chancy: Chancy) -> None:
        if self._announce is not None and not self._announce.done():
            self._announce.cancel()
        print(self.web.banner(), flush=True)
        if self.linger <= 0:
            return
        print(f"dashboard stays up for {self.linger:g} s (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.web.serve(chancy), self.linger)


def _password() -> str:
    import secrets

    return os.environ.get("CHANCY_DEMO_WEB_PASSWORD") or secrets.token_urlsafe(9)
