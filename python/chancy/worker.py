"""The worker: fetches jobs from the queues it serves and runs them.

``await Worker(chancy).start()`` runs until the worker is stopped (by
:meth:`Worker.stop`, SIGTERM or SIGINT); ``async with Worker(chancy) as
worker: await worker.wait_for_shutdown()`` does the same in the background.

What a started worker does:

- Queues live in the database. The worker reloads them on every
  ``queue.changed`` notification and at least every ``queue_reload_interval``
  seconds, and serves the ones named in ``queues`` (or, by default, every
  queue whose tags match the worker's tags; a queue without tags matches
  every worker). Each served queue gets one fetch loop and one executor.
- A fetch loop claims as many jobs as the queue has free slots in one call.
  A ``queue.pushed`` notification wakes it at once; otherwise it polls every
  ``polling_interval`` seconds of the queue.
- Outcomes are buffered and written in batches (one ``complete`` and one
  ``fail`` call per batch) as soon as the previous batch is written. An
  outcome the database refuses (the job was cancelled, recovered or claimed
  again meanwhile) is logged and dropped.
- Notifications arrive on a dedicated connection outside the pool; when it
  breaks, the worker reconnects with backoff, listens again and polls every
  queue at once.
- Heartbeats are sent from a thread with its own connection, so a job that
  blocks the event loop does not stop them. Each heartbeat extends the lease
  of every job the worker holds and returns the jobs it still validly holds;
  a local execution of any other job is cancelled.
- Plugins' loops run in supervised tasks, restarted with capped backoff when
  they fail; leader-only ones run only while :meth:`set_leadership` says this
  worker leads.
- On stop: no more fetching; running jobs get up to ``shutdown_timeout``
  seconds to finish; unfinished ones are cancelled and handed back
  (retrying, error "worker shutdown"); every outcome is written; the worker
  row is removed. A second SIGTERM/SIGINT exits the process at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import re
import secrets
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.adapt import Loader
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from chancy import _json
from chancy.errors import ConfigurationError, from_psycopg
from chancy.executors import Executor, Outcome, resolve_executor
from chancy.job import QueuedJob
from chancy.queue import Queue

if TYPE_CHECKING:
    from chancy.app import Chancy
    from chancy.plugin import Plugin

__all__ = ["Worker"]

log = logging.getLogger(__name__)

CHANNEL = "chancy_events"

# -- the SQL functions the worker calls --------------------------------------

_FETCH = (
    "SELECT "
    + QueuedJob.CLAIM_COLUMNS
    + """ FROM chancy.fetch(
    queue => %(queue)s::text,
    worker_id => %(worker_id)s::text,
    max_jobs => %(max_jobs)s::integer,
    lease_seconds => %(lease_seconds)s::double precision
)
"""
)
_COMPLETE = """
SELECT id FROM chancy.complete(
    job_ids => %(ids)b::uuid[],
    claim_ids => %(claims)b::uuid[],
    metas => %(metas)b::jsonb[]
) AS id
"""
_FAIL = """
SELECT id, state, scheduled_at FROM chancy.fail(
    job_ids => %(ids)b::uuid[],
    claim_ids => %(claims)b::uuid[],
    errors => %(errors)b::jsonb[],
    retry_delays => NULL,
    metas => %(metas)b::jsonb[]
)
"""
_RELEASE = """
SELECT id FROM chancy.release(
    job_ids => %(ids)s::uuid[],
    claim_ids => %(claims)s::uuid[],
    reason => %(reason)s::text
) AS id
"""
_HEARTBEAT = """
SELECT id, claim_id FROM chancy.heartbeat(
    worker_id => %(worker_id)s::text,
    ttl_seconds => %(ttl)s::double precision,
    lease_seconds => %(lease_seconds)s::double precision,
    queues => %(queues)s::text[],
    tags => %(tags)s::text[],
    hostname => %(hostname)s::text,
    pid => %(pid)s::integer
)
"""
_UNREGISTER = "SELECT chancy.unregister_worker(worker_id => %(worker_id)s::text)"
_LISTEN = "LISTEN chancy_events"
# Fetches commit without waiting for the WAL flush: if the server crashes
# right after, a lost claim puts the job back in play (the late outcome of the
# run is refused by the fence), so at-least-once execution holds while each
# fetch avoids a disk flush. Outcomes commit durably: a success the database
# has shown must never turn back into a running job that recovery could
# then fail for want of attempts.
_RELAXED_COMMIT = "SET LOCAL synchronous_commit TO off"
_RELAXED_SESSION = "SET synchronous_commit TO off"

#: Seconds plugin loops get to end by themselves once the worker stops.
PLUGIN_STOP_GRACE = 5.0

#: Largest number of outcomes written by one call.
MAX_BATCH = 5000

#: Longest a freed slot waits for others before the queue is refilled.
REFILL_DELAY = 0.02


def _new_worker_id() -> str:
    return f"{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(4)}"


class _StoppedEarly(Exception):
    """The worker was asked to stop while it was still starting."""


def _is_connection_error(exc: BaseException) -> bool:
    """Errors worth retrying later: the connection or the pool failed."""
    from psycopg_pool import PoolTimeout

    return isinstance(
        exc, (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout, OSError)
    )


def _clean_text(value: Any) -> Any:
    """Text jsonb can hold: NUL characters are written as a visible escape."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\\x00")
    return value


def _error_payload(error: dict[str, Any] | None) -> dict[str, Any]:
    """The error record of an outcome, with text jsonb can hold."""
    record = dict(error or {})
    for key in ("type", "message", "traceback"):
        record[key] = _clean_text(str(record.get(key, "")))
    return record


def _meta_payload(job: QueuedJob) -> Jsonb | None:
    """The job's meta to store, or None (keep the stored meta) if a change the
    job made cannot be stored as JSON; the problem is logged."""
    try:
        _json.check(job.meta, "meta")
    except ValueError as exc:
        log.warning(
            "job %s changed its meta to something that cannot be stored (%s); "
            "the stored meta is kept",
            job.id,
            exc,
            extra={"job_id": str(job.id), "queue": job.queue},
        )
        return None
    return Jsonb(job.meta)


class _JobLogExtra(Mapping[str, str]):
    """The ``extra`` of a job's log records, built only if a record is made."""

    __slots__ = ("_job", "_worker_id")
    _KEYS = ("job_id", "queue", "worker_id")

    def __init__(self, job: QueuedJob, worker_id: str) -> None:
        self._job = job
        self._worker_id = worker_id

    def __getitem__(self, key: str) -> str:
        if key == "job_id":
            return str(self._job.id)
        if key == "queue":
            return self._job.queue
        if key == "worker_id":
            return self._worker_id
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return 3


class _JsonbLoader(Loader):
    """Binary jsonb loader for the worker's lines: empty objects and arrays
    (most kwargs, meta, limits and errors) are built without a JSON parse."""

    format = psycopg.pq.Format.BINARY

    def load(self, data: Any) -> Any:
        if not isinstance(data, bytes):
            data = bytes(data)
        if data == b"\x01{}":
            return {}
        if data == b"\x01[]":
            return []
        if not data or data[0] != 1:
            raise psycopg.DataError(f"unknown jsonb binary format: {data[:1]!r}")
        return json.loads(data[1:].decode())


class _Line:
    """One autocommit connection the worker owns for one kind of call.

    Fetches and outcome writes each go through their own line: every call is
    one statement, sent as one round trip (no BEGIN/COMMIT, prepared on first
    use, binary parameters and results); a ``relaxed`` line commits without
    waiting for the WAL flush (see ``_RELAXED_COMMIT``). A connection that
    breaks, or a call that is cancelled midway, drops the connection; the
    next call opens a new one.
    """

    def __init__(self, dsn: str, name: str, *, relaxed: bool) -> None:
        self.dsn = dsn
        self.name = name
        self.relaxed = relaxed
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._opening = asyncio.Lock()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        conn = self._conn
        if conn is not None and not conn.closed:
            return conn
        async with self._opening:
            conn = self._conn
            if conn is None or conn.closed:
                conn = await psycopg.AsyncConnection.connect(
                    self.dsn, autocommit=True, connect_timeout=10
                )
                conn.adapters.register_loader("jsonb", _JsonbLoader)
                if self.relaxed:
                    try:
                        await conn.execute(_RELAXED_SESSION)
                    except BaseException:
                        await conn.close()
                        raise
                self._conn = conn
            return conn

    async def rows(self, query: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        conn = await self._connection()
        try:
            cur = await conn.execute(query, params, prepare=True, binary=True)
            return await cur.fetchall() if cur.description else []
        except BaseException as exc:
            if (
                isinstance(exc, asyncio.CancelledError)
                or _is_connection_error(exc)
                or conn.broken
            ):
                self._drop(conn)
            if isinstance(exc, psycopg.Error):
                mapped = from_psycopg(exc)
                if mapped is not exc:
                    raise mapped from exc
            raise

    def _drop(self, conn: psycopg.AsyncConnection[Any]) -> None:
        if self._conn is conn:
            self._conn = None
        with contextlib.suppress(Exception):
            conn.pgconn.finish()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()


def _db_error(exc: BaseException) -> BaseException:
    mapped = from_psycopg(exc)
    return mapped


@dataclass(eq=False)
class _Execution:
    job: QueuedJob
    runner: _QueueRunner
    executor: Executor
    registered_at: float
    task: asyncio.Task[None] | None = None
    cancel_reason: str | None = None
    #: The job's meta was empty when it was fetched.
    meta_was_empty: bool = False


@dataclass(eq=False)
class _QueueRunner:
    queue: Queue
    executor: Executor
    executor_key: tuple[Any, ...]
    concurrency: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    running: dict[uuid.UUID, _Execution] = field(default_factory=dict)
    more: bool = False
    task: asyncio.Task[None] | None = None
    retired: bool = False
    refill_timer: asyncio.TimerHandle | None = None

    @property
    def refill_at(self) -> int:
        """Free slots that make a fetch worth it while the queue has more."""
        return max(1, min(self.concurrency // 4, 250))


class Worker:
    """Runs the jobs of the queues it serves; see the module docstring.

    ``worker_id`` must be unique among live workers (the default adds the
    host name, the process id and a random part). ``queues`` names the
    queues to serve (``None``: all declared queues whose tags match
    ``tags``). ``concurrency`` overrides every served queue's concurrency for
    this worker. ``heartbeat_interval`` must be well under ``lease_seconds``
    (at most a third of it).
    """

    def __init__(
        self,
        chancy: Chancy,
        *,
        worker_id: str | None = None,
        tags: set[str] | frozenset[str] | list[str] | None = None,
        queues: list[str] | tuple[str, ...] | set[str] | None = None,
        concurrency: int | None = None,
        heartbeat_interval: float = 5.0,
        lease_seconds: float = 60.0,
        shutdown_timeout: float = 30.0,
        queue_reload_interval: float = 1.0,
        register_signal_handlers: bool = True,
    ) -> None:
        if heartbeat_interval <= 0 or lease_seconds <= 0:
            raise ConfigurationError(
                "heartbeat_interval and lease_seconds must be positive"
            )
        if heartbeat_interval * 3 > lease_seconds:
            raise ConfigurationError(
                f"heartbeat_interval ({heartbeat_interval} s) must be at most a third "
                f"of lease_seconds ({lease_seconds} s), or leases could lapse"
            )
        if concurrency is not None and concurrency < 1:
            raise ConfigurationError("concurrency must be at least 1")
        if shutdown_timeout < 0:
            raise ConfigurationError("shutdown_timeout must not be negative")
        if isinstance(queues, str):
            queues = [queues]
        self.chancy = chancy
        self.worker_id: str = worker_id or _new_worker_id()
        self.hostname = socket.gethostname()
        self.queue_names: frozenset[str] | None = (
            None if queues is None else frozenset(queues)
        )
        self.concurrency = concurrency
        self.heartbeat_interval = heartbeat_interval
        self.lease_seconds = lease_seconds
        self.shutdown_timeout = shutdown_timeout
        self.queue_reload_interval = queue_reload_interval
        self.register_signal_handlers = register_signal_handlers
        self.tags: frozenset[str] = frozenset(tags or ()) | {
            "*",
            f"hostname={self.hostname}",
            f"worker_id={self.worker_id}",
            f"python={platform.python_version()}",
            f"os={platform.system().lower()}",
            f"arch={platform.machine()}",
        }

        #: Set while this worker holds a live leadership term.
        self.is_leader = asyncio.Event()
        #: The live leadership term this worker holds, if any.
        self.term: int | None = None
        #: Set as soon as the worker is asked to stop.
        self.shutdown_event = asyncio.Event()
        #: Set once the worker has started (heartbeat sent, loops running).
        self.started_event = asyncio.Event()
        self._stopped = asyncio.Event()
        self._runners: dict[str, _QueueRunner] = {}
        self._retired_runners: list[_QueueRunner] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._plugin_tasks: dict[str, asyncio.Task[None]] = {}
        self._leader_tasks: dict[str, asyncio.Task[None]] = {}
        self._outbox: list[tuple[QueuedJob, Outcome]] = []
        self._outbox_event = asyncio.Event()
        self._writer_idle = asyncio.Event()
        self._queues_changed = asyncio.Event()
        self._released: list[tuple[uuid.UUID, uuid.UUID]] = []
        self._accepting = False
        self._running = False
        self._signals_seen = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hb_stop = threading.Event()
        self._hb_thread: threading.Thread | None = None
        self._hb_first = threading.Event()
        self._hb_error: BaseException | None = None
        self._notification_handlers: list[Callable[[dict[str, Any]], Any]] = []
        self._warned_missing: set[str] = set()
        self._bad_executors: dict[str, tuple[Any, ...]] = {}
        self._main_task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        self._fetch_line = _Line(chancy.dsn, "fetch", relaxed=True)
        self._outcome_line = _Line(chancy.dsn, "outcomes", relaxed=False)

    def __repr__(self) -> str:
        return f"<Worker {self.worker_id}>"

    # -- public API -----------------------------------------------------------

    async def start(self) -> None:
        """Run until stopped; then hand back unfinished jobs and return."""
        if self._running:
            raise RuntimeError("this worker is already running")
        self._running = True
        self._loop = asyncio.get_running_loop()
        try:
            await self._start()
            await self.shutdown_event.wait()
        except _StoppedEarly:
            log.info("worker %s was stopped while starting", self.worker_id)
        finally:
            try:
                await self._shutdown()
            finally:
                self._running = False
                self._stopped.set()

    async def stop(self) -> None:
        """Ask the worker to stop and wait until it has (no-op if not running)."""
        self.shutdown_event.set()
        if self._running:
            current = asyncio.current_task()
            if current is not None and current in self._tasks:
                return  # a loop of this worker asked; it is cancelled during shutdown
            await self._stopped.wait()

    async def wait_for_shutdown(self) -> None:
        """Wait until the worker has stopped."""
        await self._stopped.wait()

    async def __aenter__(self) -> Worker:
        self._main_task = asyncio.create_task(
            self.start(), name=f"chancy-worker {self.worker_id}"
        )
        started = asyncio.create_task(self.started_event.wait())
        await asyncio.wait(
            {self._main_task, started}, return_when=asyncio.FIRST_COMPLETED
        )
        if self._main_task.done():
            started.cancel()
            self._main_task.result()  # raises the start-up error
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()
        if self._main_task is not None:
            await self._main_task

    def set_leadership(self, term: int | None) -> None:
        """Record a gained (``term``) or lost (``None``) leadership term.

        Called by the leadership plugin. Gaining starts the leader-only
        plugins' loops; losing cancels them at once.
        """
        if term is not None and not self.shutdown_event.is_set():
            self.term = term
            if not self.is_leader.is_set():
                log.info(
                    "worker %s leads (term %s)",
                    self.worker_id,
                    term,
                    extra={"worker_id": self.worker_id, "term": term},
                )
            self.is_leader.set()
            for plugin in self._plugins():
                ident = plugin.get_identifier()
                if plugin.leader_only and ident not in self._leader_tasks:
                    self._leader_tasks[ident] = self._spawn(
                        self._supervise(plugin), f"plugin {ident}"
                    )
        else:
            if self.term is not None:
                log.info(
                    "worker %s no longer leads",
                    self.worker_id,
                    extra={"worker_id": self.worker_id},
                )
            self.term = None
            self.is_leader.clear()
            tasks, self._leader_tasks = self._leader_tasks, {}
            for task in tasks.values():
                task.cancel()

    def add_notification_handler(
        self, handler: Callable[[dict[str, Any]], Any]
    ) -> None:
        """Call ``handler(payload)`` for every notification on ``chancy_events``."""
        self._notification_handlers.append(handler)

    def cancel_execution(self, job_id: uuid.UUID, reason: str) -> bool:
        """Interrupt the local execution of a job; returns whether there was one."""
        for runner in self._all_runners():
            execution = runner.running.get(job_id)
            if execution is not None and execution.task is not None:
                if execution.cancel_reason is None:
                    execution.cancel_reason = reason
                    execution.task.cancel(reason)
                return True
        return False

    @property
    def running_jobs(self) -> list[QueuedJob]:
        """The jobs running on this worker right now."""
        return [e.job for r in self._all_runners() for e in r.running.values()]

    @property
    def served_queues(self) -> list[str]:
        return sorted(self._runners)

    # -- start-up -------------------------------------------------------------

    def _plugins(self) -> list[Plugin]:
        plugins = getattr(self.chancy, "plugins", {})
        return list(plugins.values() if isinstance(plugins, dict) else plugins)

    async def _start(self) -> None:
        plugins = self._plugins()
        known = {p.get_identifier() for p in plugins}
        for plugin in plugins:
            missing = [d for d in plugin.get_dependencies() if d not in known]
            if missing:
                raise ConfigurationError(
                    f"plugin {plugin.get_identifier()} needs "
                    + ", ".join(missing)
                    + "; add it to Chancy(plugins=[...])"
                )

        if (
            self.register_signal_handlers
            and threading.current_thread() is threading.main_thread()
        ):
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(signum, self._on_signal, signum)  # type: ignore[union-attr]
        await self._prepare_database()

        self._hb_thread = threading.Thread(
            target=self._heartbeat_thread,
            name=f"chancy-heartbeat {self.worker_id}",
            daemon=True,
        )
        self._hb_thread.start()
        while not self._hb_first.is_set():
            if self.shutdown_event.is_set():
                raise _StoppedEarly
            await asyncio.sleep(0.02)
        if self._hb_error is not None:
            raise self._hb_error

        self._accepting = True
        if getattr(self.chancy, "notifications", True):
            self._spawn(self._listen(), "listener")
        self._spawn(self._manage_queues(), "queues")
        self._spawn(self._write_outcomes(), "outcomes")
        for plugin in plugins:
            if not plugin.leader_only:
                ident = plugin.get_identifier()
                self._plugin_tasks[ident] = self._spawn(
                    self._supervise(plugin), f"plugin {ident}"
                )
        log.info(
            "worker %s started", self.worker_id, extra={"worker_id": self.worker_id}
        )
        self.started_event.set()

    async def _prepare_database(self) -> None:
        """Check the schema and declare the app's queues, waiting for the
        database while it cannot be reached (a schema error ends the start)."""
        delay = 0.5
        while True:
            try:
                await self.chancy.check_schema()
                declared = list(getattr(self.chancy, "queues", []))
                for queue in declared:
                    await self.chancy.declare(queue, keep_state=True)
                if not declared and (
                    self.queue_names is None or "default" in self.queue_names
                ):
                    await self.chancy.declare(Queue("default"), upsert=False)
                return
            except Exception as exc:
                if not _is_connection_error(exc) or self.shutdown_event.is_set():
                    raise
                log.warning(
                    "worker %s cannot reach the database (%s); retrying in %.1f s",
                    self.worker_id,
                    exc,
                    delay,
                    extra={"worker_id": self.worker_id},
                )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self.shutdown_event.wait()
            if self.shutdown_event.is_set():
                raise _StoppedEarly
            delay = min(delay * 2, 10.0)

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=f"chancy {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _on_signal(self, signum: int) -> None:
        self._signals_seen += 1
        name = signal.Signals(signum).name
        if self._signals_seen == 1:
            log.info(
                "worker %s got %s; stopping (send it again to exit at once)",
                self.worker_id,
                name,
                extra={"worker_id": self.worker_id},
            )
            self.shutdown_event.set()
            return
        log.warning(
            "worker %s got a second %s; exiting at once",
            self.worker_id,
            name,
            extra={"worker_id": self.worker_id},
        )
        for runner in self._all_runners():
            runner.executor.kill()
        os._exit(128 + signum)

    # -- supervision ----------------------------------------------------------

    async def _supervise(self, plugin: Plugin) -> None:
        ident = plugin.get_identifier()
        delay = 1.0
        while True:
            began = time.monotonic()
            try:
                await plugin.run(self, self.chancy)
                log.debug("plugin %s ended", ident)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                if time.monotonic() - began > 60:
                    delay = 1.0
                log.exception(
                    "plugin %s failed; restarting it in %.0f s",
                    ident,
                    delay,
                    extra={"worker_id": self.worker_id, "plugin": ident},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    # -- heartbeat ------------------------------------------------------------

    def _heartbeat_thread(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        wait = 0.0
        failures = 0
        while not self._hb_stop.wait(wait):
            try:
                if conn is None or conn.closed:
                    conn = psycopg.Connection.connect(
                        self.chancy.dsn, autocommit=True, connect_timeout=10
                    )
                began = time.monotonic()
                rows = conn.execute(_HEARTBEAT, self._heartbeat_params()).fetchall()
            except Exception as exc:
                failures += 1
                if conn is not None:
                    conn.close()
                    conn = None
                if not self._hb_first.is_set() and not _is_connection_error(exc):
                    mapped = _db_error(exc)
                    self._hb_error = mapped
                    self._hb_first.set()
                    return
                log.warning(
                    "heartbeat of worker %s failed (%s); retrying",
                    self.worker_id,
                    exc,
                    extra={"worker_id": self.worker_id},
                )
                wait = min(1.0 * failures, self.heartbeat_interval)
                continue
            failures = 0
            wait = self.heartbeat_interval
            held = {(r[0], r[1]) for r in rows}
            self._hb_first.set()
            if self._loop is not None and not self._loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(self._on_heartbeat, held, began)
        if conn is not None:
            conn.close()

    def _heartbeat_params(self) -> dict[str, Any]:
        return {
            "worker_id": self.worker_id,
            "ttl": self.lease_seconds,
            "lease_seconds": self.lease_seconds,
            "queues": sorted(self._runners),
            "tags": sorted(self.tags),
            "hostname": self.hostname,
            "pid": os.getpid(),
        }

    def _on_heartbeat(
        self, held: set[tuple[uuid.UUID, uuid.UUID]], began: float
    ) -> None:
        for runner in self._all_runners():
            for execution in list(runner.running.values()):
                job = execution.job
                if execution.registered_at >= began:
                    continue  # claimed after the heartbeat looked
                if (job.id, job.claim_id) not in held:
                    log.warning(
                        "job %s is no longer held by worker %s (cancelled, "
                        "recovered or deleted); stopping its execution",
                        job.id,
                        self.worker_id,
                        extra={"job_id": str(job.id), "queue": job.queue},
                    )
                    self.cancel_execution(job.id, "no longer held by this worker")

    # -- notifications --------------------------------------------------------

    async def _listen(self) -> None:
        delay = 0.5
        first = True
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.chancy.dsn,
                    autocommit=True,
                    connect_timeout=10,
                    keepalives=1,
                    keepalives_idle=15,
                    keepalives_interval=5,
                    keepalives_count=3,
                )
                async with conn:
                    await conn.execute(_LISTEN)
                    if not first:
                        log.warning(
                            "worker %s is listening again; polling every queue",
                            self.worker_id,
                            extra={"worker_id": self.worker_id},
                        )
                        self._wake_all()
                    first = False
                    delay = 0.5
                    self.listening.set()
                    async for notify in conn.notifies():
                        self._dispatch(notify.payload)
                raise ConnectionError("the notification stream ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.listening.clear()
                log.warning(
                    "worker %s lost its notification connection (%s); "
                    "reconnecting in %.1f s",
                    self.worker_id,
                    exc,
                    delay,
                    extra={"worker_id": self.worker_id},
                )
                self._wake_all()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _wake_all(self) -> None:
        self._queues_changed.set()
        for runner in self._runners.values():
            runner.wake.set()

    def _dispatch(self, payload: str) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            log.debug("ignoring notification %r", payload)
            return
        if not isinstance(event, dict):
            return
        kind = event.get("t")
        log.debug("notification %s", event)
        if kind == "queue.pushed":
            runner = self._runners.get(str(event.get("q")))
            if runner is not None:
                runner.wake.set()
        elif kind == "queue.changed":
            self._queues_changed.set()
        elif kind == "job.cancelled":
            try:
                job_id = uuid.UUID(str(event.get("j")))
            except ValueError:
                return
            self.cancel_execution(job_id, "cancelled")
        for handler in self._notification_handlers:
            try:
                result = handler(event)
                if asyncio.iscoroutine(result):
                    self._spawn(result, "notification handler")
            except Exception:
                log.exception("notification handler %r failed", handler)

    # -- queues ---------------------------------------------------------------

    def _serves(self, queue: Queue) -> bool:
        if self.queue_names is not None:
            return queue.name in self.queue_names
        if not queue.tags:
            return True
        for pattern in queue.tags:
            try:
                compiled = re.compile(pattern)
            except re.error:
                compiled = re.compile(re.escape(pattern))
            if any(compiled.fullmatch(tag) for tag in self.tags):
                return True
        return False

    def _all_runners(self) -> list[_QueueRunner]:
        return list(self._runners.values()) + self._retired_runners

    async def _manage_queues(self) -> None:
        delay = 0.5
        while True:
            self._queues_changed.clear()
            try:
                queues = await self.chancy.get_all_queues()
            except Exception as exc:
                log.warning(
                    "worker %s could not load queues (%s); retrying in %.1f s",
                    self.worker_id,
                    exc,
                    delay,
                    extra={"worker_id": self.worker_id},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            delay = 0.5
            self._apply_queues(queues)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.queue_reload_interval):
                    await self._queues_changed.wait()

    def _executor_key(self, queue: Queue) -> tuple[Any, ...]:
        concurrency = self.concurrency or queue.concurrency
        return (
            queue.executor,
            json.dumps(queue.executor_options, sort_keys=True),
            concurrency,
        )

    def _build_executor(self, queue: Queue) -> tuple[Executor, int] | None:
        key = self._executor_key(queue)
        try:
            cls = resolve_executor(queue.executor)
            concurrency = (
                self.concurrency or queue.concurrency or cls.default_concurrency()
            )
            executor = cls(concurrency, **queue.executor_options)
        except Exception as exc:
            if self._bad_executors.get(queue.name) != key:
                self._bad_executors[queue.name] = key
                log.error(
                    "queue %s cannot be served: its executor %r could not be built: %s",
                    queue.name,
                    queue.executor,
                    exc,
                    extra={"queue": queue.name},
                )
            return None
        self._bad_executors.pop(queue.name, None)
        return executor, concurrency

    def _apply_queues(self, queues: list[Queue]) -> None:
        wanted = {q.name: q for q in queues if self._serves(q)}
        if self.queue_names is not None:
            for name in sorted(self.queue_names - wanted.keys()):
                if name not in self._warned_missing:
                    self._warned_missing.add(name)
                    log.warning(
                        "queue %s is not declared; worker %s waits for it",
                        name,
                        self.worker_id,
                        extra={"queue": name},
                    )
        for name in list(self._runners):
            if name not in wanted:
                gone = self._runners.pop(name)
                log.info(
                    "worker %s stops serving queue %s",
                    self.worker_id,
                    name,
                    extra={"queue": name},
                )
                self._retire(gone)
        for name, queue in wanted.items():
            self._warned_missing.discard(name)
            runner = self._runners.get(name)
            if runner is not None and runner.executor_key == self._executor_key(queue):
                if runner.queue != queue:
                    runner.queue = queue
                    runner.wake.set()
                continue
            built = self._build_executor(queue)
            if built is None:
                continue
            executor, concurrency = built
            if runner is None:
                runner = _QueueRunner(
                    queue, executor, self._executor_key(queue), concurrency
                )
                self._runners[name] = runner
                runner.task = self._spawn(self._fetch_loop(runner), f"queue {name}")
                log.info(
                    "worker %s serves queue %s (%s executor, concurrency %s)",
                    self.worker_id,
                    name,
                    executor.name,
                    concurrency,
                    extra={"queue": name},
                )
            else:
                old = runner.executor
                runner.queue = queue
                runner.executor = executor
                runner.executor_key = self._executor_key(queue)
                runner.concurrency = concurrency
                runner.wake.set()
                self._close_executor_later(old, runner)

    def _retire(self, runner: _QueueRunner) -> None:
        # The fetch loop ends by itself: cancelling it mid-fetch could lose
        # the claims of a fetch that committed.
        runner.retired = True
        runner.wake.set()
        self._retired_runners.append(runner)
        self._close_executor_later(runner.executor, runner)

    def _close_executor_later(self, executor: Executor, runner: _QueueRunner) -> None:
        async def close_when_idle() -> None:
            while any(e.executor is executor for e in runner.running.values()):
                await asyncio.sleep(0.1)
            await executor.close()
            if (
                runner.retired
                and not runner.running
                and runner in self._retired_runners
            ):
                self._retired_runners.remove(runner)

        self._spawn(close_when_idle(), "close executor")

    async def _fetch_loop(self, runner: _QueueRunner) -> None:
        delay = 0.5
        while self._accepting and not runner.retired:
            runner.wake.clear()
            if runner.refill_timer is not None:
                runner.refill_timer.cancel()
                runner.refill_timer = None
            queue = runner.queue
            free = runner.concurrency - len(runner.running)
            if free > 0 and not self._paused(queue):
                try:
                    jobs = await self._fetch(queue.name, free)
                except Exception as exc:
                    log.warning(
                        "fetching from queue %s failed (%s); retrying in %.1f s",
                        queue.name,
                        exc,
                        delay,
                        extra={"queue": queue.name},
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)
                    continue
                delay = 0.5
                for job in jobs:
                    self._start_execution(runner, job)
                runner.more = len(jobs) == free
                if runner.more and len(runner.running) < runner.concurrency:
                    await asyncio.sleep(0)
                    continue
            elif free <= 0:
                # Woken while full: jobs may be waiting, so refill as slots free.
                runner.more = True
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(queue.polling_interval):
                    await runner.wake.wait()

    def _refill_soon(self, runner: _QueueRunner) -> None:
        """A slot freed while the queue has more jobs: fetch once enough slots
        are free for a fetch to be worth its round trip, and at the latest
        REFILL_DELAY seconds after the first one freed (so long jobs never
        leave a slot idle for long)."""
        free = runner.concurrency - len(runner.running)
        if free >= runner.refill_at or not runner.running:
            runner.wake.set()
        elif runner.refill_timer is None and self._loop is not None:
            runner.refill_timer = self._loop.call_later(
                REFILL_DELAY, self._refill_now, runner
            )

    @staticmethod
    def _refill_now(runner: _QueueRunner) -> None:
        runner.refill_timer = None
        runner.wake.set()

    @staticmethod
    def _paused(queue: Queue) -> bool:
        if queue.state != Queue.State.PAUSED:
            return False
        # A pause with a resume time is lifted by the fetch itself.
        return queue.resume_at is None or queue.resume_at > dt.datetime.now(dt.UTC)

    # -- running jobs ---------------------------------------------------------

    def _start_execution(self, runner: _QueueRunner, job: QueuedJob) -> None:
        execution = _Execution(
            job, runner, runner.executor, time.monotonic(), meta_was_empty=not job.meta
        )
        runner.running[job.id] = execution
        execution.task = asyncio.create_task(
            self._execute(execution), name=f"chancy job {job.id}"
        )

    async def _execute(self, execution: _Execution) -> None:
        job = execution.job
        runner = execution.runner
        extra = _JobLogExtra(job, self.worker_id)
        plugins = self._plugins() if getattr(self.chancy, "plugins", None) else ()
        outcome: Outcome | None = None
        try:
            for plugin in plugins:
                await self._hook(
                    plugin.on_job_starting(job, self), plugin, "on_job_starting"
                )
            log.debug("job %s (%s) starting", job.id, job.func, extra=extra)
            outcome = await execution.executor.run(job)
            for plugin in plugins:
                await self._hook(
                    plugin.on_job_completed(job, self, outcome.exc, outcome.result),
                    plugin,
                    "on_job_completed",
                )
        except asyncio.CancelledError:
            if outcome is None:
                reason = execution.cancel_reason or "worker shutdown"
                if reason == "worker shutdown":
                    assert job.claim_id is not None
                    self._released.append((job.id, job.claim_id))
                log.info("job %s stopped: %s", job.id, reason, extra=extra)
                return
        finally:
            runner.running.pop(job.id, None)
            if runner.more:
                self._refill_soon(runner)

        if outcome.exc is None:
            log.info("job %s (%s) succeeded", job.id, job.func, extra=extra)
        elif job.attempts >= job.max_attempts:
            log.error(
                "job %s (%s) failed on its last attempt (%s/%s): %s\n%s",
                job.id,
                job.func,
                job.attempts,
                job.max_attempts,
                (outcome.error or {}).get("message"),
                (outcome.error or {}).get("traceback", ""),
                extra=extra,
            )
        else:
            log.warning(
                "job %s (%s) failed attempt %s/%s: %s; it will retry",
                job.id,
                job.func,
                job.attempts,
                job.max_attempts,
                (outcome.error or {}).get("message"),
                extra=extra,
            )
        if execution.meta_was_empty and not job.meta:
            outcome.meta_unchanged = True
        self._outbox.append((job, outcome))
        self._outbox_event.set()

    async def _hook(self, awaitable: Any, plugin: Plugin, name: str) -> None:
        try:
            await awaitable
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("plugin %s failed in %s", plugin.get_identifier(), name)

    # -- database calls -------------------------------------------------------

    async def _call(
        self, query: str, params: dict[str, Any], *, relaxed: bool = False
    ) -> list[dict[str, Any]]:
        try:
            async with self.chancy.connection() as conn:
                async with conn.cursor(row_factory=dict_row) as cur:
                    if relaxed:
                        await cur.execute(_RELAXED_COMMIT)
                    await cur.execute(query, params)
                    return await cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            mapped = from_psycopg(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    async def _fetch(self, queue: str, max_jobs: int) -> list[QueuedJob]:
        rows = await self._fetch_line.rows(
            _FETCH,
            {
                "queue": queue,
                "worker_id": self.worker_id,
                "max_jobs": max_jobs,
                "lease_seconds": self.lease_seconds,
            },
        )
        worker_id = self.worker_id
        return [QueuedJob.from_claim(row, worker_id) for row in rows]

    # -- writing outcomes -----------------------------------------------------

    async def _write_outcomes(self) -> None:
        delay = 0.5
        while True:
            if not self._outbox:
                self._writer_idle.set()
                self._outbox_event.clear()
                await self._outbox_event.wait()
            self._writer_idle.clear()
            try:
                await self._write_batch()
                delay = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "writing %s job outcomes failed (%s); retrying in %.1f s",
                    len(self._outbox),
                    exc,
                    delay,
                    extra={"worker_id": self.worker_id},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _write_batch(self) -> None:
        """Write up to MAX_BATCH outcomes: one complete and one fail call.

        A call that fails for a reason other than the connection (the
        database refused a value) is retried job by job, so one bad outcome
        never holds back the others.
        """
        batch = self._outbox[:MAX_BATCH]
        done = [item for item in batch if item[1].exc is None]
        failed = [item for item in batch if item[1].exc is not None]
        groups = [g for g in (done, failed) if g]
        results = await asyncio.gather(
            *(self._write_group(g) for g in groups), return_exceptions=True
        )
        written: set[int] = set()
        problem: BaseException | None = None
        for group, result in zip(groups, results, strict=True):
            if isinstance(result, BaseException):
                if _is_connection_error(result):
                    problem = result
                    continue
                for item in group:
                    await self._write_one(item, result)
            written.update(id(item) for item in group)
        self._outbox[:] = [item for item in self._outbox if id(item) not in written]
        if problem is not None:
            raise problem

    async def _write_group(
        self,
        group: list[tuple[QueuedJob, Outcome]],
        *,
        keep_meta: bool = True,
        error_override: dict[str, Any] | None = None,
    ) -> None:
        metas: list[Jsonb | None] | None = [
            None if not keep_meta or o.meta_unchanged else _meta_payload(job)
            for job, o in group
        ]
        if not any(metas):  # type: ignore[arg-type]
            metas = None  # keep every stored meta
        if group[0][1].exc is None and error_override is None:
            rows = await self._outcome_line.rows(
                _COMPLETE,
                {
                    "ids": [j.id for j, _ in group],
                    "claims": [j.claim_id for j, _ in group],
                    "metas": metas,
                },
            )
        else:
            rows = await self._outcome_line.rows(
                _FAIL,
                {
                    "ids": [j.id for j, _ in group],
                    "claims": [j.claim_id for j, _ in group],
                    "errors": [
                        Jsonb(error_override or _error_payload(o.error))
                        for _, o in group
                    ],
                    "metas": metas,
                },
            )
        accepted = {row[0] for row in rows}
        for job, _ in group:
            if job.id not in accepted:
                log.warning(
                    "the outcome of job %s was refused: its claim is no longer "
                    "current (cancelled, recovered or claimed again)",
                    job.id,
                    extra={"job_id": str(job.id), "queue": job.queue},
                )

    async def _write_one(
        self, item: tuple[QueuedJob, Outcome], first_problem: BaseException
    ) -> None:
        """Write one outcome the batch could not: as is, then without its meta
        change, then as a failure saying why; drop it only if all three fail."""
        job = item[0]
        attempts: list[dict[str, Any]] = [
            {},
            {"keep_meta": False},
            {
                "keep_meta": False,
                "error_override": {
                    "type": "OutcomeNotStored",
                    "message": _clean_text(
                        f"the database refused this job's outcome: {first_problem}"
                    ),
                    "traceback": "",
                },
            },
        ]
        for options in attempts:
            try:
                await self._write_group([item], **options)
            except Exception as exc:
                if _is_connection_error(exc):
                    raise
                log.warning(
                    "the database refused the outcome of job %s (%s)",
                    job.id,
                    exc,
                    extra={"job_id": str(job.id), "queue": job.queue},
                )
                continue
            return
        log.error(
            "the outcome of job %s could not be written; it stays running until "
            "this worker exits and recovery takes it",
            job.id,
            extra={"job_id": str(job.id), "queue": job.queue},
        )

    async def _flush(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.2
        while self._outbox and time.monotonic() < deadline:
            try:
                await self._write_batch()
            except Exception as exc:
                log.warning("writing job outcomes at shutdown failed (%s)", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        if self._outbox:
            log.error(
                "worker %s could not write %s job outcomes before exiting; "
                "their jobs are recovered when their leases expire",
                self.worker_id,
                len(self._outbox),
            )

    # -- shutdown -------------------------------------------------------------

    async def _shutdown(self) -> None:
        self.shutdown_event.set()
        self._accepting = False
        log.info(
            "worker %s stopping", self.worker_id, extra={"worker_id": self.worker_id}
        )
        if self._loop is not None and self.register_signal_handlers:
            # Keep handling signals (a second one exits at once) until the end.
            pass

        # Stop following queues, and let each fetch loop end by itself (a
        # fetch that was cancelled midway could have committed its claims).
        for task in list(self._tasks):
            if task.get_name() in ("chancy queues", "chancy listener"):
                task.cancel()
        fetchers = [r.task for r in self._all_runners() if r.task is not None]
        for runner in self._all_runners():
            runner.wake.set()
        if fetchers:
            await asyncio.wait(fetchers, timeout=60)

        # Let running jobs finish, then cancel the rest and hand them back.
        executions = [e for r in self._all_runners() for e in r.running.values()]
        tasks = [e.task for e in executions if e.task is not None]
        if tasks:
            log.info(
                "worker %s waits up to %s s for %s running jobs",
                self.worker_id,
                self.shutdown_timeout,
                len(tasks),
            )
            await asyncio.wait(tasks, timeout=self.shutdown_timeout)
        leftovers = [e for r in self._all_runners() for e in r.running.values()]
        for execution in leftovers:
            if execution.task is not None and execution.cancel_reason is None:
                execution.cancel_reason = "worker shutdown"
                execution.task.cancel("worker shutdown")
        left_tasks = [e.task for e in leftovers if e.task is not None]
        if left_tasks:
            await asyncio.wait(left_tasks, timeout=30)

        # Stop plugins: loops that watch shutdown_event get a few seconds to
        # finish by themselves (the leadership plugin resigns), then the rest
        # are cancelled.
        plugin_tasks = list(self._plugin_tasks.values()) + list(
            self._leader_tasks.values()
        )
        if plugin_tasks:
            await asyncio.wait(plugin_tasks, timeout=PLUGIN_STOP_GRACE)
        for task in plugin_tasks:
            task.cancel()
        if plugin_tasks:
            await asyncio.wait(plugin_tasks, timeout=10)

        # Write every outcome (the writer finishes its batch in flight, so
        # nothing is written twice), hand back unfinished jobs, leave.
        writer = [t for t in self._tasks if t.get_name() == "chancy outcomes"]
        deadline = time.monotonic() + 30
        while (
            writer
            and not writer[0].done()
            and time.monotonic() < deadline
            and (self._outbox or not self._writer_idle.is_set())
        ):
            await asyncio.sleep(0.01)
        for task in writer:
            task.cancel()
        if writer:
            await asyncio.wait(writer, timeout=5)
        await self._flush(timeout=30)
        await self._fetch_line.close()
        await self._outcome_line.close()
        self._hb_stop.set()
        if self._hb_thread is not None:
            await asyncio.to_thread(self._hb_thread.join, 15)
        if self._started_db():
            await self._release_and_unregister()

        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        for runner in self._all_runners():
            with contextlib.suppress(Exception):
                await runner.executor.close()
        if (
            self._loop is not None
            and self.register_signal_handlers
            and (threading.current_thread() is threading.main_thread())
        ):
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._loop.remove_signal_handler(signum)
        log.info(
            "worker %s stopped", self.worker_id, extra={"worker_id": self.worker_id}
        )

    def _started_db(self) -> bool:
        return self._hb_first.is_set() and self._hb_error is None

    async def _release_and_unregister(self) -> None:
        for attempt in range(5):
            try:
                if self._released:
                    ids = [i for i, _ in self._released]
                    claims = [c for _, c in self._released]
                    rows = await self._call(
                        _RELEASE,
                        {
                            "ids": ids,
                            "claims": claims,
                            "reason": "worker shutdown",
                        },
                    )
                    log.info(
                        "worker %s handed back %s unfinished jobs",
                        self.worker_id,
                        len(rows),
                        extra={"worker_id": self.worker_id},
                    )
                    self._released.clear()
                await self._call(_UNREGISTER, {"worker_id": self.worker_id})
                return
            except Exception as exc:
                log.warning(
                    "worker %s could not hand back its jobs (%s); retrying",
                    self.worker_id,
                    exc,
                )
                await asyncio.sleep(0.5 * (attempt + 1))
        log.error(
            "worker %s exits still holding %s jobs; they are recovered when "
            "their leases expire",
            self.worker_id,
            len(self._released),
        )
