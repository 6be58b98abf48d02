"""``chancy ... web``: serve the dashboard and API alone, without a worker."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING

import click

from chancy.plugins.web.plugin import Web

if TYPE_CHECKING:
    from chancy.app import Chancy


def _chancy_from_context(ctx: click.Context) -> Chancy:
    """The Chancy application the parent ``chancy`` group resolved."""
    from chancy.cli import load_chancy

    chancy: Chancy = load_chancy(ctx)
    return chancy


def _configured_web(chancy: Chancy) -> Web | None:
    for plugin in chancy.plugins.values():
        if isinstance(plugin, Web):
            return plugin
    return None


@click.command("web")
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option(
    "--port", type=int, default=None, help="Port to listen on [default: 8000]."
)
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="NAME:PASSWORD",
    help="A user who may log in (repeatable).",
)
@click.option(
    "--token",
    envvar="CHANCY_WEB_TOKEN",
    default=None,
    help="API bearer token (env CHANCY_WEB_TOKEN).",
)
@click.option(
    "--secret-key",
    envvar="CHANCY_WEB_SECRET_KEY",
    default=None,
    help="Session signing key (env CHANCY_WEB_SECRET_KEY).",
)
@click.option("--root-path", default="", help="Path prefix when served behind a proxy.")
@click.pass_context
def web(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    users: tuple[str, ...],
    token: str | None,
    secret_key: str | None,
    root_path: str,
) -> None:
    """Serve the dashboard and JSON API alone (no jobs are run).

    Uses the app's configured Web plugin if it has one; options given here
    override its address. Without users or a token, random credentials are
    generated and printed.
    """
    chancy = _chancy_from_context(ctx)
    configured = _configured_web(chancy)
    parsed: dict[str, str] = {}
    for entry in users:
        name, sep, password = entry.partition(":")
        if not sep or not name or not password:
            raise click.BadParameter(
                f"{entry!r} is not NAME:PASSWORD", param_hint="--user"
            )
        parsed[name] = password
    if configured is not None and not parsed and token is None:
        plugin = Web(
            host=host or configured.host,
            port=port if port is not None else configured.port,
            users=configured.credentials.users or None,
            token=configured.credentials.token,
            secret_key=secret_key or configured.secret_key,
            root_path=root_path or configured.root_path,
        )
    else:
        plugin = Web(
            host=host or "127.0.0.1",
            port=port if port is not None else 8000,
            users=parsed or None,
            token=token,
            secret_key=secret_key,
            root_path=root_path,
        )
    asyncio.run(_serve(chancy, plugin))


async def _serve(chancy: Chancy, plugin: Web) -> None:
    """Serve until SIGINT or SIGTERM, then stop gracefully and return."""
    loop = asyncio.get_running_loop()
    async with chancy:
        task = asyncio.create_task(plugin.serve(chancy))
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        listening = asyncio.create_task(plugin.started.wait())
        await asyncio.wait({task, listening}, return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        if plugin.started.is_set():
            info = plugin.describe()
            click.echo(f"Chancy dashboard on {info['url']}")
            if plugin.credentials.generated:
                click.echo(f"  user admin, password {info['users']['admin']}")
                click.echo(f"  API token {info['token']}")
        with contextlib.suppress(asyncio.CancelledError):
            await task


#: The name the ``chancy`` console script looks for.
command = web
