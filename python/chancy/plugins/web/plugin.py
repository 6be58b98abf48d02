"""The ``Web`` plugin: serves the dashboard and API from inside a worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import uvicorn

from chancy.plugin import Plugin
from chancy.plugins.web.app import build_app
from chancy.plugins.web.security import Credentials

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from chancy.app import Chancy
    from chancy.worker import Worker

logger = logging.getLogger(__name__)

#: How long a stopping server may take to finish the requests it is serving.
SHUTDOWN_GRACE = 5.0


class _Server(uvicorn.Server):
    """A uvicorn server that says when it listens and, when embedded in a
    worker, leaves the host process's signal handlers alone."""

    def __init__(self, config: uvicorn.Config, *, embedded: bool) -> None:
        super().__init__(config)
        self.embedded = embedded
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if self.embedded:
            yield
            return
        with super().capture_signals():
            yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.listening.set()


class Web(Plugin):
    """The web dashboard and JSON API, served by uvicorn.

    ``Web(host="127.0.0.1", port=8000, users={"admin": "pw"}, token=...)``.
    Without ``users`` or ``token``, random credentials are generated and
    logged once; read them from :attr:`credentials`. ``port=0`` picks a free
    port, readable from :attr:`url` once the server is listening.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        users: Mapping[str, str] | None = None,
        token: str | None = None,
        secret_key: str | None = None,
        *,
        root_path: str = "",
        https_only: bool = False,
        log_level: str = "warning",
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is not between 0 and 65535")
        self.host = host
        self.port = port
        self.secret_key = secret_key
        self.root_path = root_path.rstrip("/")
        self.https_only = https_only
        self.log_level = log_level
        self.credentials = Credentials.resolve(users, token)
        self.started = asyncio.Event()
        self._bound_port: int | None = None

    @staticmethod
    def get_identifier() -> str:
        return "chancy.web"

    @property
    def url(self) -> str:
        """Where the dashboard answers (the bound port once listening)."""
        port = self._bound_port if self._bound_port is not None else self.port
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}{self.root_path}/"

    def build(self, chancy: Chancy) -> Starlette:
        """The ASGI application this plugin serves."""
        return build_app(
            chancy,
            credentials=self.credentials,
            secret_key=self.secret_key,
            https_only=self.https_only,
        )

    async def run(self, worker: Worker | None, chancy: Chancy) -> None:
        """Serve until cancelled, then let open requests finish briefly."""
        await self.serve(chancy, embedded=True)

    async def serve(self, chancy: Chancy, *, embedded: bool = True) -> None:
        """Serve the app on :attr:`host`/:attr:`port` until cancelled.

        ``embedded`` leaves signal handling to the host process (the worker);
        the standalone command lets uvicorn stop on SIGINT/SIGTERM.
        """
        sock = self._bind()
        config = uvicorn.Config(
            self.build(chancy),
            log_level=self.log_level,
            root_path=self.root_path,
            lifespan="off",
            proxy_headers=False,
        )
        server = _Server(config, embedded=embedded)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        listening = asyncio.create_task(server.listening.wait())
        try:
            await asyncio.wait({task, listening}, return_when=asyncio.FIRST_COMPLETED)
            if server.started:
                self.started.set()
                logger.info("web dashboard listening on %s", self.url)
            await asyncio.shield(task)
        except asyncio.CancelledError:
            server.should_exit = True
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), SHUTDOWN_GRACE)
            if not task.done():
                server.force_exit = True
                task.cancel()
            raise
        finally:
            listening.cancel()
            self.started.clear()
            sock.close()

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        sock.setblocking(False)
        self._bound_port = sock.getsockname()[1]
        return sock

    def banner(self) -> str:
        """Where the dashboard is and how to log in, as lines to print."""
        lines = [f"Chancy dashboard: {self.url}"]
        for name, password in self.credentials.users.items():
            lines.append(f"  user {name!r}, password {password!r}")
        if self.credentials.token:
            lines.append(f"  API token: {self.credentials.token}")
        return "\n".join(lines)

    def describe(self) -> dict[str, Any]:
        """URL and credentials, for printing by a launcher such as ``make demo``."""
        return {
            "url": self.url,
            "users": dict(self.credentials.users),
            "token": self.credentials.token,
        }
