"""The ``chancy`` console script.

``chancy --app module:attr COMMAND`` loads the application (a ``Chancy``
instance, or a callable returning one); commands that need no job code also
accept ``--dsn`` (or ``$CHANCY_DSN``) instead. Commands:

- ``migrate``: install or upgrade the schema.
- ``worker start [--queue NAME ...] [--concurrency N]``: run a worker.
- ``push FUNC [--kwargs JSON] [--queue] [--priority] [--delay SECONDS]``.
- ``queue list|declare|pause|resume|delete``.
- ``job get|cancel|retry ID``.

Plugins add their own groups: ``chancy cron ...`` comes from the click
command ``command`` of ``chancy.plugins.cron.cli`` and ``chancy web`` from
``chancy.plugins.web.cli``, imported only when used. Such a command reads the
application with ``load_chancy(click.get_current_context())``.

Errors a user can fix (bad DSN, server down, schema missing, unknown
function or queue) end the command with one line saying what to do and exit
status 1, never a traceback.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import importlib
import importlib.util
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import click
import psycopg

from chancy.errors import ChancyError, SchemaVersionError

#: Plugin command groups, imported on first use: name -> module.
PLUGIN_COMMANDS = {
    "cron": "chancy.plugins.cron.cli",
    "web": "chancy.plugins.web.cli",
}


class _Group(click.Group):
    """A group that also offers the plugins' commands, imported lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        for name, module in PLUGIN_COMMANDS.items():
            if importlib.util.find_spec(module.rpartition(".")[0]) is not None:
                names.add(name)
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None or name not in PLUGIN_COMMANDS:
            return command
        try:
            module = importlib.import_module(PLUGIN_COMMANDS[name])
        except ModuleNotFoundError:
            return None
        found = getattr(module, "command", None) or getattr(module, "cli", None)
        return found if isinstance(found, click.Command) else None


class _State:
    def __init__(self, app: str | None, dsn: str | None) -> None:
        self.app_path = app
        self.dsn = dsn
        self._chancy: Any = None


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _fail(message: str) -> click.ClickException:
    return click.ClickException(_one_line(message))


def _load_app(path: str) -> Any:
    from chancy.app import Chancy

    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise _fail(f"--app {path!r} must look like 'package.module:attribute'")
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _fail(f"cannot import {module_name!r} for --app: {exc}") from exc
    try:
        obj = getattr(module, attr)
    except AttributeError as exc:
        raise _fail(
            f"module {module_name!r} has no attribute {attr!r} (--app)"
        ) from exc
    if not isinstance(obj, Chancy) and callable(obj):
        obj = obj()
    if not isinstance(obj, Chancy):
        raise _fail(
            f"--app {path!r} is neither a Chancy instance nor a callable returning one"
        )
    return obj


def load_chancy(ctx: click.Context, *, need_schema: bool = True) -> Any:
    """The application of this invocation, checked to answer (and, by default,
    to have the schema this Chancy expects)."""
    from chancy.app import Chancy

    state: _State = ctx.find_object(_State)  # type: ignore[assignment]
    if state is None:
        raise _fail("internal error: no chancy state")
    if state._chancy is None:
        if state.app_path:
            state._chancy = _load_app(state.app_path)
        elif state.dsn:
            state._chancy = Chancy(state.dsn)
        else:
            raise _fail(
                "say which database to use: --app module:attr, --dsn DSN or $CHANCY_DSN"
            )
        _preflight(state._chancy.dsn)
        if need_schema:
            try:
                state._chancy.sync_check_schema()
            except SchemaVersionError as exc:
                raise _fail(str(exc)) from exc
            except psycopg.Error as exc:
                raise _fail(f"cannot read the schema version: {exc}") from exc
        ctx.call_on_close(state._chancy.close)
    return state._chancy


def _preflight(dsn: str) -> None:
    try:
        with psycopg.connect(dsn, connect_timeout=5, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.ProgrammingError as exc:
        raise _fail(
            f"the DSN is not valid ({exc}); give one such as "
            "postgresql://user@host:5432/dbname"
        ) from exc
    except psycopg.OperationalError as exc:
        raise _fail(
            f"cannot connect to the database ({exc}); check the DSN and "
            "that the server is running"
        ) from exc


def _guard(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors a user can fix into one-line messages."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from chancy.executors import JobFunctionError

        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except (ChancyError, JobFunctionError) as exc:
            raise _fail(str(exc)) from exc
        except psycopg.OperationalError as exc:
            raise _fail(
                f"the database connection failed ({exc}); check that the "
                "server is running"
            ) from exc
        except psycopg.Error as exc:
            raise _fail(f"the database refused the command: {exc}") from exc

    return wrapper


@click.group(cls=_Group)
@click.option(
    "--app",
    "-a",
    "app",
    metavar="MODULE:ATTR",
    envvar="CHANCY_APP",
    help="The Chancy application (instance or factory).",
)
@click.option(
    "--dsn",
    "-d",
    "dsn",
    metavar="DSN",
    envvar="CHANCY_DSN",
    help="The database, for commands that need no job code.",
)
@click.pass_context
def cli(ctx: click.Context, app: str | None, dsn: str | None) -> None:
    """Chancy: a job queue and scheduler inside PostgreSQL."""
    ctx.obj = _State(app, dsn)


@cli.command()
@click.pass_context
@_guard
def migrate(ctx: click.Context) -> None:
    """Install or upgrade Chancy's schema."""
    chancy = load_chancy(ctx, need_schema=False)
    applied = chancy.sync_migrate()
    if applied:
        click.echo("applied migrations: " + ", ".join(str(v) for v in applied))
    else:
        click.echo("the schema is up to date")


# -- worker ------------------------------------------------------------------


@cli.group()
def worker() -> None:
    """Run workers."""


@worker.command("start")
@click.option(
    "--queue",
    "-q",
    "queues",
    multiple=True,
    metavar="NAME",
    help="Serve this queue (repeatable); default: every queue whose tags match.",
)
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(min=1),
    help="Jobs at once per queue on this worker (overrides the queues').",
)
@click.option("--worker-id", "-w", help="The worker's id (default: host.pid.random).")
@click.option("--tags", "-t", multiple=True, help="Extra worker tags (repeatable).")
@click.option(
    "--shutdown-timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds running jobs get to finish on SIGTERM/SIGINT.",
)
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
@click.pass_context
@_guard
def worker_start(
    ctx: click.Context,
    queues: tuple[str, ...],
    concurrency: int | None,
    worker_id: str | None,
    tags: tuple[str, ...],
    shutdown_timeout: float,
    log_level: str,
) -> None:
    """Run a worker until SIGTERM or SIGINT (twice: exit at once)."""
    from chancy.worker import Worker

    logging.basicConfig(
        level=log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    chancy = load_chancy(ctx)

    async def run() -> None:
        async with chancy:
            await Worker(
                chancy,
                worker_id=worker_id,
                queues=list(queues) or None,
                concurrency=concurrency,
                tags=set(tags),
                shutdown_timeout=shutdown_timeout,
            ).start()

    asyncio.run(run())
    _exit_past_job_threads()


def _exit_past_job_threads() -> None:
    """End the process even if threaded jobs it handed back still run.

    Python cannot stop a thread, and it waits for pool threads at exit; a
    thread job the worker already handed back would otherwise go on running
    while another worker runs the same job again.
    """
    lingering = [
        t.name
        for t in threading.enumerate()
        if t.name.startswith("chancy-job") and t.is_alive()
    ]
    if not lingering:
        return
    logging.getLogger(__name__).warning(
        "exiting with %d threaded job(s) still running; they were handed back "
        "and will run again elsewhere",
        len(lingering),
    )
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# -- push ----------------------------------------------------------------------


@cli.command()
@click.argument("func")
@click.option(
    "--kwargs",
    "-k",
    "kwargs_json",
    default="{}",
    metavar="JSON",
    help="Keyword arguments as a JSON object.",
)
@click.option("--queue", "-q", help="[default: the @job's queue, else 'default']")
@click.option("--priority", "-p", type=int, help="[default: the @job's, else 0]")
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Run no earlier than this many seconds from now.",
)
@click.option("--max-attempts", "-m", type=int, help="[default: the @job's, else 1]")
@click.option("--unique-key", "-u", default=None)
@click.option(
    "--no-check", is_flag=True, help="Push even if FUNC cannot be imported here."
)
@click.pass_context
@_guard
def push(
    ctx: click.Context,
    func: str,
    kwargs_json: str,
    queue: str | None,
    priority: int | None,
    delay: float,
    max_attempts: int | None,
    unique_key: str | None,
    no_check: bool,
) -> None:
    """Push a job running FUNC (an importable 'package.module.function').

    A FUNC decorated with @job lends its options as defaults.
    """
    from chancy.executors.base import resolve_function
    from chancy.job import Job

    try:
        kwargs = json.loads(kwargs_json)
    except ValueError as exc:
        raise _fail(f"--kwargs is not valid JSON: {exc}") from exc
    if not isinstance(kwargs, dict):
        raise _fail('--kwargs must be a JSON object such as \'{"name": "x"}\'')
    chancy = load_chancy(ctx)
    base = Job(func=func)
    if not no_check:
        if "" not in sys.path:
            sys.path.insert(0, "")
        decorated = getattr(resolve_function(func), "job", None)
        if isinstance(decorated, Job):
            base = dataclasses.replace(decorated, func=func)
    given: dict[str, Any] = {
        "queue": queue,
        "priority": priority,
        "max_attempts": max_attempts,
        "unique_key": unique_key,
    }
    options = {name: value for name, value in given.items() if value is not None}
    if delay:
        options["scheduled_at"] = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
    ref = chancy.sync_push(dataclasses.replace(base, kwargs=kwargs, **options))
    click.echo(str(ref))


# -- queues --------------------------------------------------------------------


@cli.group()
def queue() -> None:
    """List, declare, pause, resume and delete queues."""


@queue.command("list")
@click.pass_context
@_guard
def queue_list(ctx: click.Context) -> None:
    """List every queue."""
    chancy = load_chancy(ctx)
    rows = chancy.sync_get_all_queues()
    click.echo(f"{'name':<24} {'state':<8} {'executor':<10} {'concurrency':>11} tags")
    for q in rows:
        state = str(q.state) + (
            f" until {q.resume_at.isoformat()}" if q.resume_at else ""
        )
        click.echo(
            f"{q.name:<24} {state:<8} {q.executor:<10} "
            f"{q.concurrency if q.concurrency is not None else '-':>11} "
            f"{','.join(sorted(q.tags)) or '-'}"
        )


@queue.command("declare")
@click.argument("name")
@click.option("--concurrency", "-c", type=int, default=None)
@click.option(
    "--executor",
    "-e",
    default="process",
    show_default=True,
    help="async, threaded, process, or an import path.",
)
@click.option("--executor-options", default="{}", metavar="JSON")
@click.option("--polling-interval", "-p", type=float, default=1.0, show_default=True)
@click.option("--rate-limit", "-r", type=int, default=None)
@click.option("--rate-limit-window", "-w", type=int, default=None)
@click.option("--tags", "-t", multiple=True)
@click.pass_context
@_guard
def queue_declare(
    ctx: click.Context,
    name: str,
    concurrency: int | None,
    executor: str,
    executor_options: str,
    polling_interval: float,
    rate_limit: int | None,
    rate_limit_window: int | None,
    tags: tuple[str, ...],
) -> None:
    """Create queue NAME, or update it if it exists."""
    from chancy.queue import Queue

    try:
        options = json.loads(executor_options)
    except ValueError as exc:
        raise _fail(f"--executor-options is not valid JSON: {exc}") from exc
    chancy = load_chancy(ctx)
    stored = chancy.sync_declare(
        Queue(
            name,
            concurrency=concurrency,
            executor=executor,
            executor_options=options,
            polling_interval=polling_interval,
            rate_limit=rate_limit,
            rate_limit_window=rate_limit_window,
            tags=frozenset(tags),
        )
    )
    click.echo(f"declared queue {stored.name}")


@queue.command("pause")
@click.argument("name")
@click.option(
    "--for",
    "duration",
    type=click.FloatRange(min=0),
    default=None,
    help="Resume by itself after this many seconds.",
)
@click.pass_context
@_guard
def queue_pause(ctx: click.Context, name: str, duration: float | None) -> None:
    """Pause queue NAME."""
    chancy = load_chancy(ctx)
    resume_at = None if duration is None else dt.timedelta(seconds=duration)
    stored = chancy.sync_pause_queue(name, resume_at=resume_at)
    suffix = f" until {stored.resume_at.isoformat()}" if stored.resume_at else ""
    click.echo(f"paused queue {name}{suffix}")


@queue.command("resume")
@click.argument("name")
@click.pass_context
@_guard
def queue_resume(ctx: click.Context, name: str) -> None:
    """Resume queue NAME."""
    load_chancy(ctx).sync_resume_queue(name)
    click.echo(f"resumed queue {name}")


@queue.command("delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@_guard
def queue_delete(ctx: click.Context, name: str, yes: bool) -> None:
    """Delete queue NAME and all its jobs."""
    chancy = load_chancy(ctx)
    if not yes:
        click.confirm(f"Delete queue {name} and all its jobs?", abort=True)
    if chancy.sync_delete_queue(name):
        click.echo(f"deleted queue {name}")
    else:
        raise _fail(f"queue {name!r} does not exist")


# -- jobs ----------------------------------------------------------------------


@cli.group()
def job() -> None:
    """Inspect, cancel and retry jobs."""


def _job_json(found: Any) -> str:
    import dataclasses

    data = dataclasses.asdict(found)
    return json.dumps(data, indent=2, default=str)


@job.command("get")
@click.argument("job_id")
@click.pass_context
@_guard
def job_get(ctx: click.Context, job_id: str) -> None:
    """Print job JOB_ID as JSON."""
    found = load_chancy(ctx).sync_get_job(job_id)
    if found is None:
        raise _fail(f"job {job_id} does not exist")
    click.echo(_job_json(found))


@job.command("cancel")
@click.argument("job_id")
@click.pass_context
@_guard
def job_cancel(ctx: click.Context, job_id: str) -> None:
    """Cancel job JOB_ID (pending, retrying or running)."""
    chancy = load_chancy(ctx)
    if chancy.sync_cancel_job(job_id):
        click.echo(f"cancelled job {job_id}")
        return
    found = chancy.sync_get_job(job_id)
    if found is None:
        raise _fail(f"job {job_id} does not exist")
    raise _fail(f"job {job_id} is {found.state}; only unfinished jobs can be cancelled")


@job.command("retry")
@click.argument("job_id")
@click.pass_context
@_guard
def job_retry(ctx: click.Context, job_id: str) -> None:
    """Run finished job JOB_ID again."""
    chancy = load_chancy(ctx)
    if chancy.sync_retry_jobs([job_id]):
        click.echo(f"job {job_id} will run again")
        return
    found = chancy.sync_get_job(job_id)
    if found is None:
        raise _fail(f"job {job_id} does not exist")
    raise _fail(f"job {job_id} is {found.state}; only finished jobs can be retried")


def main() -> None:
    """Entry point of the ``chancy`` console script."""
    cli(prog_name="chancy")


if __name__ == "__main__":
    main()
