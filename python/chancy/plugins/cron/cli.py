"""``chancy cron list|schedule|unschedule``: cron schedules from the command line.

Mounted by the ``chancy`` console script as ``chancy cron``; the database
comes from ``--app`` or ``--dsn`` like every other command.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import psycopg

from chancy.errors import ChancyError
from chancy.job import Job

T = TypeVar("T")


def _run(ctx: click.Context, call: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``call(chancy)`` on the invocation's application, errors as one line."""
    from chancy.cli import load_chancy

    chancy = load_chancy(ctx)

    async def go() -> T:
        try:
            return await call(chancy)
        finally:
            await chancy.aclose()

    try:
        return asyncio.run(go())
    except ChancyError as exc:
        raise click.ClickException(" ".join(str(exc).split())) from exc
    except psycopg.Error as exc:
        message = " ".join(str(exc).split())
        raise click.ClickException(
            f"the database refused the command: {message}"
        ) from exc


@click.group("cron")
def cron() -> None:
    """List, create and delete cron schedules."""


@cron.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def cron_list(ctx: click.Context, as_json: bool) -> None:
    """List every schedule with its last and next run."""
    from chancy.plugins.cron import Cron

    schedules = _run(ctx, Cron.get_schedules)
    if as_json:
        for s in schedules:
            click.echo(
                json.dumps(
                    {
                        "name": s.name,
                        "expression": s.expression,
                        "timezone": s.timezone,
                        "missed": str(s.missed),
                        "job": s.job.to_dict(),
                        "last_run": s.last_run.isoformat() if s.last_run else None,
                        "next_run": s.next_run.isoformat() if s.next_run else None,
                    }
                )
            )
        return
    click.echo(
        f"{'name':<32} {'expression':<18} {'timezone':<20} {'missed':<7} "
        f"{'next run':<26} {'last run':<26} job"
    )
    for s in schedules:
        next_run = s.next_run.isoformat() if s.next_run else "(leader computes)"
        last_run = s.last_run.isoformat() if s.last_run else "-"
        click.echo(
            f"{s.name:<32} {s.expression:<18} {s.timezone:<20} {s.missed!s:<7} "
            f"{next_run:<26} {last_run:<26} {s.job.func}"
        )


@cron.command("schedule")
@click.argument("expression")
@click.argument("func")
@click.option("--name", "-n", default=None, help="Default: derived from the job.")
@click.option("--kwargs", "-k", default="{}", metavar="JSON", show_default=True)
@click.option("--queue", "-q", default="default", show_default=True)
@click.option("--priority", "-p", type=int, default=0, show_default=True)
@click.option("--max-attempts", "-m", type=int, default=1, show_default=True)
@click.option("--unique-key", "-u", default=None)
@click.option("--timezone", "-z", default="UTC", show_default=True, help="IANA name.")
@click.option(
    "--missed",
    type=click.Choice(["latest", "all", "skip"]),
    default="latest",
    show_default=True,
)
@click.pass_context
def cron_schedule(
    ctx: click.Context,
    expression: str,
    func: str,
    name: str | None,
    kwargs: str,
    queue: str,
    priority: int,
    max_attempts: int,
    unique_key: str | None,
    timezone: str,
    missed: str,
) -> None:
    """Create or update the schedule running FUNC at each tick of EXPRESSION.

    EXPRESSION has five fields, or six with the seconds first (quote it).
    Prints the schedule's name.
    """
    from chancy.plugins.cron import Cron

    try:
        arguments = json.loads(kwargs)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--kwargs") from exc
    if not isinstance(arguments, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--kwargs")
    try:
        job = Job(
            func=func,
            kwargs=arguments,
            queue=queue,
            priority=priority,
            max_attempts=max_attempts,
            unique_key=unique_key,
        )
    except ChancyError as exc:
        raise click.ClickException(str(exc)) from exc

    stored = _run(
        ctx,
        lambda chancy: Cron.schedule(
            chancy, expression, job, name=name, timezone=timezone, missed=missed
        ),
    )
    click.echo(stored)


@cron.command("unschedule")
@click.argument("names", nargs=-1, required=True)
@click.pass_context
def cron_unschedule(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Delete the schedules NAMES (jobs they pushed stay)."""
    from chancy.plugins.cron import Cron

    removed = _run(ctx, lambda chancy: Cron.unschedule(chancy, *names))
    click.echo(f"removed {removed} of {len(names)} schedule(s)")
    if removed < len(names):
        raise click.ClickException("some of the names given had no schedule")


#: The command the ``chancy`` console script mounts as ``chancy cron``.
command = cron
