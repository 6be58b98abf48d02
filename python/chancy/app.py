"""The :class:`Chancy` application: connection pools and calls to the SQL engine.

Every method calls a ``chancy.*`` SQL function (or reads a table) through
a short constant query with bound parameters. Each has an async form and a
blocking ``sync_`` form. Methods that take ``conn=`` run on the caller's
psycopg connection or cursor, inside the caller's transaction, and never
open Chancy's pools; without it they borrow a connection from the pool
(opened on first use if the application was not entered as a context
manager) and commit before returning.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import importlib.util
import json
import time
from collections.abc import (
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager, contextmanager
from functools import cached_property
from types import TracebackType
from typing import Any, LiteralString, Self

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from chancy import migrate as _migrate
from chancy.errors import (
    ConfigurationError,
    InvalidQueueError,
    SchemaVersionError,
    UnknownQueueError,
    from_psycopg,
)
from chancy.job import FINISHED_STATES, Job, QueuedJob, Reference, as_job
from chancy.plugin import Plugin
from chancy.queue import Executor, Queue

__all__ = ["Chancy"]

AsyncConnLike = psycopg.AsyncConnection[Any] | psycopg.AsyncCursor[Any]
SyncConnLike = psycopg.Connection[Any] | psycopg.Cursor[Any]
JobLike = Job | Callable[..., Any]
RefLike = Reference | str | Any

_DEFAULT_PLUGINS = (
    ("chancy.plugins.leadership", "Leadership"),
    ("chancy.plugins.pruner", "Pruner"),
    ("chancy.plugins.recovery", "Recovery"),
)

# -- queries ----------------------------------------------------------------

_PUSH = """
SELECT chancy.push(
    func => %(func)s::text,
    kwargs => %(kwargs)s::jsonb,
    queue => %(queue)s::text,
    priority => %(priority)s::integer,
    scheduled_at => %(scheduled_at)s::timestamptz,
    max_attempts => %(max_attempts)s::integer,
    unique_key => %(unique_key)s::text,
    meta => %(meta)s::jsonb,
    limits => %(limits)s::jsonb,
    create_queue => %(create_queue)s::boolean
) AS id
"""
_PUSH_MANY = """
SELECT array_agg(id ORDER BY ord) AS ids FROM chancy.push_many(
    jobs => %(jobs)s::jsonb, create_queue => %(create_queue)s::boolean
)
"""
_GET_JOB = "SELECT * FROM chancy.jobs WHERE id = %(id)s::uuid"
_GET_JOBS = "SELECT * FROM chancy.jobs WHERE id = ANY(%(ids)s::uuid[])"
_CANCEL = "SELECT id FROM chancy.cancel(job_ids => %(ids)s::uuid[]) AS id"
_RETRY = "SELECT id FROM chancy.retry(job_ids => %(ids)s::uuid[]) AS id"
_DELETE_JOBS = "SELECT id FROM chancy.delete_jobs(job_ids => %(ids)s::uuid[]) AS id"
_DECLARE = """
SELECT * FROM chancy.declare_queue(
    name => %(name)s::text,
    concurrency => %(concurrency)s::integer,
    executor => %(executor)s::text,
    executor_options => %(executor_options)s::jsonb,
    polling_interval => %(polling_interval)s::double precision,
    rate_limit => %(rate_limit)s::integer,
    rate_limit_window => %(rate_limit_window)s::integer,
    tags => %(tags)s::text[],
    retry_settings => %(retry_settings)s::jsonb,
    state => %(state)s::text,
    upsert => %(upsert)s::boolean
)
"""
_GET_QUEUE = "SELECT * FROM chancy.queues WHERE name = %(name)s"
_GET_ALL_QUEUES = "SELECT * FROM chancy.queues ORDER BY name"
_PAUSE = """
SELECT * FROM chancy.pause_queue(
    name => %(name)s::text,
    resume_at => coalesce(%(at)s::timestamptz, now() + %(delta)s::interval)
)
"""
_RESUME = "SELECT * FROM chancy.resume_queue(name => %(name)s::text)"
_DELETE_QUEUE = "SELECT chancy.delete_queue(name => %(name)s::text) AS deleted"
_GET_ALL_WORKERS = """
SELECT w.*, (l.worker_id IS NOT NULL) AS is_leader
FROM chancy.workers AS w
LEFT JOIN chancy.leader AS l
    ON l.worker_id = w.worker_id AND l.expires_at > now()
ORDER BY w.worker_id
"""
_GET_LEADER = """
SELECT l.worker_id, l.term, l.elected_at, l.renewed_at, l.expires_at
FROM chancy.leader AS l
WHERE l.expires_at > now()
"""


def _dsn_from_mapping(settings: Mapping[str, Any]) -> str:
    """A conninfo string from Django-style ``DATABASES`` settings."""
    engine = str(settings.get("ENGINE", "postgresql"))
    if "postgres" not in engine:
        raise ConfigurationError(f"Chancy needs PostgreSQL, not ENGINE={engine!r}")
    params: dict[str, Any] = {
        "dbname": settings.get("NAME"),
        "user": settings.get("USER"),
        "password": settings.get("PASSWORD"),
        "host": settings.get("HOST"),
        "port": settings.get("PORT") or "5432",
    }
    options = settings.get("OPTIONS") or {}
    if not isinstance(options, Mapping):
        raise ConfigurationError("OPTIONS in the database settings must be a mapping")
    params.update(options)
    return make_conninfo("", **{k: v for k, v in params.items() if v not in (None, "")})


def _ids(refs: Iterable[RefLike]) -> list[Any]:
    return [Reference(r).identifier for r in refs]


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.utcoffset() is None:
        raise InvalidQueueError(f"{name} must be a timezone-aware datetime")
    return value


def _check_states(states: Iterable[str] | None) -> frozenset[QueuedJob.State]:
    if states is None:
        return FINISHED_STATES
    return frozenset(QueuedJob.State(s) for s in states)


class Chancy:
    """A Chancy application: a DSN, plugins, and the pools to reach Postgres.

    Use it as ``async with Chancy(dsn) as chancy:`` (opens :attr:`pool`) or
    ``with Chancy(dsn) as chancy:`` (opens :attr:`sync_pool`). ``plugins``
    holds :class:`~chancy.plugin.Plugin` instances and :class:`Queue`
    objects; the queues are declared when a worker starts (or on
    :meth:`declare_pending`). Unless ``no_default_plugins``, Leadership,
    Pruner and Recovery are added for identifiers not supplied.
    ``notifications=False`` makes workers rely on polling alone (the SQL
    functions still send their NOTIFY hints).
    """

    Executor = Executor

    def __init__(
        self,
        dsn: str | Mapping[str, Any],
        *,
        plugins: Iterable[Plugin | Queue] | None = None,
        no_default_plugins: bool = False,
        min_connection_pool_size: int = 1,
        max_connection_pool_size: int = 10,
        poll_reconnect_timeout: float = 300,
        notifications: bool = True,
    ) -> None:
        if isinstance(dsn, Mapping):
            dsn = _dsn_from_mapping(dsn)
        if not isinstance(dsn, str):
            raise ConfigurationError(f"dsn must be a str or a mapping, not {dsn!r}")
        try:
            conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:
            # psycopg's message names the bad part; the DSN itself may hold a
            # password, so it is not repeated.
            raise ConfigurationError(
                f"the DSN is not valid ({exc}); give one such as "
                "postgresql://user@host:5432/dbname"
            ) from exc
        if not 0 <= min_connection_pool_size <= max_connection_pool_size:
            raise ConfigurationError(
                "min_connection_pool_size must be between 0 and "
                "max_connection_pool_size"
            )
        self.dsn: str = dsn
        self.min_connection_pool_size = min_connection_pool_size
        self.max_connection_pool_size = max_connection_pool_size
        self.poll_reconnect_timeout = poll_reconnect_timeout
        self.notifications = notifications
        self.no_default_plugins = no_default_plugins
        self._pool_loop: asyncio.AbstractEventLoop | None = None

        self.plugins: dict[str, Plugin] = {}
        self.queues: list[Queue] = []
        for item in plugins or ():
            if isinstance(item, Queue):
                if any(q.name == item.name for q in self.queues):
                    raise ValueError(f"queue {item.name!r} is given twice")
                self.queues.append(item)
            elif isinstance(item, Plugin):
                identifier = item.get_identifier()
                if identifier in self.plugins:
                    raise ValueError(f"two plugins have the identifier {identifier!r}")
                self.plugins[identifier] = item
            else:
                raise TypeError(
                    f"plugins may hold Plugin instances and Queue objects, not {item!r}"
                )
        if not no_default_plugins:
            self._add_default_plugins()

    def _add_default_plugins(self) -> None:
        for module_name, class_name in _DEFAULT_PLUGINS:
            # A default plugin whose module is not part of this build is skipped.
            if importlib.util.find_spec(module_name) is None:
                continue
            cls = getattr(importlib.import_module(module_name), class_name)
            identifier = cls.get_identifier()
            if identifier not in self.plugins:
                self.plugins[identifier] = cls()

    def __repr__(self) -> str:
        return f"<Chancy plugins={sorted(self.plugins)}>"

    # -- pools ----------------------------------------------------------------

    @cached_property
    def pool(self) -> AsyncConnectionPool:
        """The async connection pool (opened by ``async with`` or on first use)."""
        return AsyncConnectionPool(
            self.dsn,
            min_size=self.min_connection_pool_size,
            max_size=self.max_connection_pool_size,
            reconnect_timeout=self.poll_reconnect_timeout,
            open=False,
        )

    @cached_property
    def sync_pool(self) -> ConnectionPool:
        """The blocking connection pool (opened by ``with`` or on first use)."""
        return ConnectionPool(
            self.dsn,
            min_size=self.min_connection_pool_size,
            max_size=self.max_connection_pool_size,
            reconnect_timeout=self.poll_reconnect_timeout,
            open=False,
        )

    async def __aenter__(self) -> Self:
        await self._open_pool()
        if self.queues and await self._schema_is_current():
            await self.declare_pending()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        self._open_sync_pool()
        if self.queues and self._sync_schema_is_current():
            self.sync_declare_pending()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def aclose(self) -> None:
        """Close whichever pools were opened; a later use opens new ones."""
        pool = self.__dict__.pop("pool", None)
        opened_in, self._pool_loop = self._pool_loop, None
        if pool is not None and not pool.closed:
            if opened_in is not None and opened_in.is_closed():
                # Its event loop is gone: nothing can close it cleanly any more.
                pass
            else:
                await pool.close()
        self.close()

    def close(self) -> None:
        """Close the blocking pool (an async pool needs :meth:`aclose`)."""
        sync_pool = self.__dict__.pop("sync_pool", None)
        if sync_pool is not None and not sync_pool.closed:
            sync_pool.close()

    async def _open_pool(self) -> AsyncConnectionPool:
        loop = asyncio.get_running_loop()
        if self._pool_loop is not None and self._pool_loop is not loop:
            raise ConfigurationError(
                "Chancy's async pool was opened in another event loop; use the "
                "application as `async with Chancy(...)` (or `await "
                "chancy.aclose()`) inside each event loop, or the sync_ methods"
            )
        pool = self.pool
        if pool.closed:
            await pool.open(wait=True)
            self._pool_loop = loop
        return pool

    def _open_sync_pool(self) -> ConnectionPool:
        pool = self.sync_pool
        if pool.closed:
            pool.open(wait=True)
        return pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """Borrow a pool connection; the block is one transaction, committed at exit."""
        pool = await self._open_pool()
        async with pool.connection() as conn:
            yield conn

    @contextmanager
    def sync_connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The blocking form of :meth:`connection`."""
        pool = self._open_sync_pool()
        with pool.connection() as conn:
            yield conn

    # -- running queries ----------------------------------------------------

    async def _rows(
        self,
        query: LiteralString,
        params: Mapping[str, Any],
        conn: AsyncConnLike | None,
        *,
        single: bool = False,
    ) -> list[dict[str, Any]]:
        """Run ``query`` on ``conn``, or on a pool connection committed at the
        end; ``single``: the query is one statement that needs no transaction
        block of its own, so without ``conn`` it runs in autocommit (one round
        trip instead of BEGIN, the query and COMMIT)."""
        try:
            if conn is None:
                async with self.connection() as own:
                    if single and not own.autocommit:
                        await own.set_autocommit(True)
                        try:
                            return await self._rows_on(own, query, params)
                        finally:
                            if not own.closed:
                                await own.set_autocommit(False)
                    return await self._rows_on(own, query, params)
            if isinstance(conn, psycopg.AsyncCursor):
                conn = conn.connection
            if not isinstance(conn, psycopg.AsyncConnection):
                raise TypeError(
                    "conn must be a psycopg AsyncConnection or AsyncCursor, "
                    f"not {conn!r}"
                )
            return await self._rows_on(conn, query, params)
        except psycopg.Error as exc:
            mapped = from_psycopg(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    @staticmethod
    async def _rows_on(
        conn: psycopg.AsyncConnection[Any],
        query: LiteralString,
        params: Mapping[str, Any],
    ) -> list[dict[str, Any]]:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            return await cur.fetchall() if cur.description else []

    def _sync_rows(
        self,
        query: LiteralString,
        params: Mapping[str, Any],
        conn: SyncConnLike | None,
        *,
        single: bool = False,
    ) -> list[dict[str, Any]]:
        """The blocking form of :meth:`_rows`."""
        try:
            if conn is None:
                with self.sync_connection() as own:
                    if single and not own.autocommit:
                        own.autocommit = True
                        try:
                            return self._sync_rows_on(own, query, params)
                        finally:
                            if not own.closed:
                                own.autocommit = False
                    return self._sync_rows_on(own, query, params)
            if isinstance(conn, psycopg.Cursor):
                conn = conn.connection
            if not isinstance(conn, psycopg.Connection):
                raise TypeError(
                    f"conn must be a psycopg Connection or Cursor, not {conn!r}"
                )
            return self._sync_rows_on(conn, query, params)
        except psycopg.Error as exc:
            mapped = from_psycopg(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    @staticmethod
    def _sync_rows_on(
        conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    # -- schema ---------------------------------------------------------------

    async def migrate(self) -> list[int]:
        """Install or upgrade Chancy's schema; returns the migrations applied."""
        async with await psycopg.AsyncConnection.connect(
            self.dsn, autocommit=True
        ) as conn:
            applied = await _migrate.migrate(conn)
        await self.declare_pending()
        return applied

    def sync_migrate(self) -> list[int]:
        """The blocking form of :meth:`migrate`."""
        with psycopg.Connection.connect(self.dsn, autocommit=True) as conn:
            applied = _migrate.sync_migrate(conn)
        self.sync_declare_pending()
        return applied

    async def schema_version(self) -> int | None:
        """The installed schema version, or ``None`` if Chancy is not installed."""
        async with self.connection() as conn:
            return await _migrate.schema_version(conn)

    def sync_schema_version(self) -> int | None:
        """The blocking form of :meth:`schema_version`."""
        with self.sync_connection() as conn:
            return _migrate.sync_schema_version(conn)

    async def _schema_is_current(self) -> bool:
        """Whether the installed schema is the one this Chancy knows.

        Opening the application declares the queues given in ``plugins`` only
        then; :meth:`migrate` declares them after installing the schema.
        """
        try:
            await self.check_schema()
        except SchemaVersionError:
            return False
        return True

    def _sync_schema_is_current(self) -> bool:
        try:
            self.sync_check_schema()
        except SchemaVersionError:
            return False
        return True

    async def check_schema(self) -> int:
        """Raise :class:`~chancy.errors.SchemaVersionError` (saying what to run)
        unless the schema is exactly the version this Chancy knows."""
        async with self.connection() as conn:
            return await _migrate.check_schema(conn)

    def sync_check_schema(self) -> int:
        """The blocking form of :meth:`check_schema`."""
        with self.sync_connection() as conn:
            return _migrate.sync_check_schema(conn)

    async def is_up_to_date(self) -> bool:
        """Whether the schema is exactly the version this Chancy knows."""
        version = await self.schema_version()
        return version == _migrate.EXPECTED_VERSION

    # -- queues ---------------------------------------------------------------

    async def declare(
        self,
        queue: Queue,
        *,
        upsert: bool = True,
        keep_state: bool = False,
        conn: AsyncConnLike | None = None,
    ) -> Queue:
        """Create ``queue`` (or, with ``upsert``, update it); returns it as stored.

        With ``keep_state`` an existing queue keeps its active/paused state.
        """
        params = queue.declare_params(upsert=upsert, keep_state=keep_state)
        rows = await self._rows(_DECLARE, params, conn)
        return Queue.from_row(rows[0])

    def sync_declare(
        self,
        queue: Queue,
        *,
        upsert: bool = True,
        keep_state: bool = False,
        conn: SyncConnLike | None = None,
    ) -> Queue:
        """The blocking form of :meth:`declare`."""
        params = queue.declare_params(upsert=upsert, keep_state=keep_state)
        rows = self._sync_rows(_DECLARE, params, conn)
        return Queue.from_row(rows[0])

    async def declare_pending(self) -> list[Queue]:
        """Declare (upsert) the queues given in ``plugins``; returns them as stored.

        Their settings follow the code; whether they are paused stays the
        operator's choice (``keep_state``).
        """
        return [await self.declare(queue, keep_state=True) for queue in self.queues]

    def sync_declare_pending(self) -> list[Queue]:
        """The blocking form of :meth:`declare_pending`."""
        return [self.sync_declare(queue, keep_state=True) for queue in self.queues]

    async def get_queue(self, name: str, *, conn: AsyncConnLike | None = None) -> Queue:
        """The queue ``name``; :class:`~chancy.errors.UnknownQueueError` if missing."""
        rows = await self._rows(_GET_QUEUE, {"name": name}, conn)
        if not rows:
            raise UnknownQueueError(f"queue {name!r} does not exist")
        return Queue.from_row(rows[0])

    def sync_get_queue(self, name: str, *, conn: SyncConnLike | None = None) -> Queue:
        """The blocking form of :meth:`get_queue`."""
        rows = self._sync_rows(_GET_QUEUE, {"name": name}, conn)
        if not rows:
            raise UnknownQueueError(f"queue {name!r} does not exist")
        return Queue.from_row(rows[0])

    async def get_all_queues(self, *, conn: AsyncConnLike | None = None) -> list[Queue]:
        """Every queue, by name."""
        return [Queue.from_row(r) for r in await self._rows(_GET_ALL_QUEUES, {}, conn)]

    def sync_get_all_queues(self, *, conn: SyncConnLike | None = None) -> list[Queue]:
        """The blocking form of :meth:`get_all_queues`."""
        return [Queue.from_row(r) for r in self._sync_rows(_GET_ALL_QUEUES, {}, conn)]

    @staticmethod
    def _pause_params(
        name: str, resume_at: dt.datetime | dt.timedelta | None
    ) -> dict[str, Any]:
        if isinstance(resume_at, dt.timedelta):
            return {"name": name, "at": None, "delta": resume_at}
        if isinstance(resume_at, dt.datetime):
            return {"name": name, "at": _aware(resume_at, "resume_at"), "delta": None}
        if resume_at is None:
            return {"name": name, "at": None, "delta": None}
        raise InvalidQueueError(
            f"resume_at must be a datetime, a timedelta or None, not {resume_at!r}"
        )

    async def pause_queue(
        self,
        name: str,
        *,
        resume_at: dt.datetime | dt.timedelta | None = None,
        conn: AsyncConnLike | None = None,
    ) -> Queue:
        """Pause a queue, until ``resume_at`` (a time, or a delay from the
        database's now) if given; returns the queue as stored."""
        rows = await self._rows(_PAUSE, self._pause_params(name, resume_at), conn)
        return Queue.from_row(rows[0])

    def sync_pause_queue(
        self,
        name: str,
        *,
        resume_at: dt.datetime | dt.timedelta | None = None,
        conn: SyncConnLike | None = None,
    ) -> Queue:
        """The blocking form of :meth:`pause_queue`."""
        rows = self._sync_rows(_PAUSE, self._pause_params(name, resume_at), conn)
        return Queue.from_row(rows[0])

    async def resume_queue(
        self, name: str, *, conn: AsyncConnLike | None = None
    ) -> Queue:
        """Resume a paused queue; returns the queue as stored."""
        rows = await self._rows(_RESUME, {"name": name}, conn)
        return Queue.from_row(rows[0])

    def sync_resume_queue(
        self, name: str, *, conn: SyncConnLike | None = None
    ) -> Queue:
        """The blocking form of :meth:`resume_queue`."""
        rows = self._sync_rows(_RESUME, {"name": name}, conn)
        return Queue.from_row(rows[0])

    async def delete_queue(
        self, name: str, *, conn: AsyncConnLike | None = None
    ) -> bool:
        """Delete a queue and all its jobs; returns whether it existed."""
        rows = await self._rows(_DELETE_QUEUE, {"name": name}, conn)
        return bool(rows[0]["deleted"])

    def sync_delete_queue(self, name: str, *, conn: SyncConnLike | None = None) -> bool:
        """The blocking form of :meth:`delete_queue`."""
        rows = self._sync_rows(_DELETE_QUEUE, {"name": name}, conn)
        return bool(rows[0]["deleted"])

    # -- pushing ----------------------------------------------------------

    @staticmethod
    def _push_params(job: JobLike, create_queue: bool) -> dict[str, Any]:
        params = as_job(job).push_params()
        params["create_queue"] = create_queue
        return params

    @staticmethod
    def _push_many_params(
        jobs: Iterable[JobLike], create_queue: bool
    ) -> dict[str, Any]:
        payload = []
        for index, item in enumerate(jobs):
            try:
                payload.append(as_job(item).push_many_entry())
            except ValueError as exc:
                raise type(exc)(f"jobs[{index}]: {exc}") from exc
        return {
            "jobs": json.dumps(payload, allow_nan=False, separators=(",", ":")),
            "create_queue": create_queue,
        }

    async def push(
        self,
        job: JobLike,
        *,
        conn: AsyncConnLike | None = None,
        create_queue: bool = False,
    ) -> Reference:
        """Push one job (a :class:`Job`, or a function decorated with ``@job``).

        With ``conn`` (a psycopg ``AsyncConnection`` or ``AsyncCursor``) the
        push joins the caller's transaction: it exists only if that commits.
        Raises :class:`~chancy.errors.UnknownQueueError` if the queue does not
        exist (unless ``create_queue``), and
        :class:`~chancy.errors.InvalidJobError` for kwargs JSON cannot hold
        exactly, naming the key. A push whose ``unique_key`` matches an
        unfinished job returns that job's reference and changes nothing.
        """
        rows = await self._rows(
            _PUSH, self._push_params(job, create_queue), conn, single=True
        )
        return Reference(rows[0]["id"])

    def sync_push(
        self,
        job: JobLike,
        *,
        conn: SyncConnLike | None = None,
        create_queue: bool = False,
    ) -> Reference:
        """The blocking form of :meth:`push` (``conn``: ``Connection``/``Cursor``)."""
        rows = self._sync_rows(
            _PUSH, self._push_params(job, create_queue), conn, single=True
        )
        return Reference(rows[0]["id"])

    async def push_many(
        self,
        jobs: Iterable[JobLike],
        *,
        conn: AsyncConnLike | None = None,
        create_queue: bool = False,
    ) -> list[Reference]:
        """Push many jobs in one round trip; references in input order.

        All or nothing: if one job is refused, none is stored.
        """
        params = self._push_many_params(jobs, create_queue)
        if params["jobs"] == "[]":
            return []
        rows = await self._rows(_PUSH_MANY, params, conn, single=True)
        return Reference.of_ids(rows[0]["ids"])

    def sync_push_many(
        self,
        jobs: Iterable[JobLike],
        *,
        conn: SyncConnLike | None = None,
        create_queue: bool = False,
    ) -> list[Reference]:
        """The blocking form of :meth:`push_many`."""
        params = self._push_many_params(jobs, create_queue)
        if params["jobs"] == "[]":
            return []
        rows = self._sync_rows(_PUSH_MANY, params, conn, single=True)
        return Reference.of_ids(rows[0]["ids"])

    # -- reading jobs -------------------------------------------------------

    async def get_job(
        self, ref: RefLike, *, conn: AsyncConnLike | None = None
    ) -> QueuedJob | None:
        """The job as stored now, or ``None`` if it does not exist (any more)."""
        rows = await self._rows(_GET_JOB, {"id": Reference(ref).identifier}, conn)
        return QueuedJob.from_row(rows[0]) if rows else None

    def sync_get_job(
        self, ref: RefLike, *, conn: SyncConnLike | None = None
    ) -> QueuedJob | None:
        """The blocking form of :meth:`get_job`."""
        rows = self._sync_rows(_GET_JOB, {"id": Reference(ref).identifier}, conn)
        return QueuedJob.from_row(rows[0]) if rows else None

    @staticmethod
    def _in_order(refs: Sequence[Any], rows: list[dict[str, Any]]) -> list[QueuedJob]:
        by_id = {row["id"]: QueuedJob.from_row(row) for row in rows}
        return [by_id[i] for i in dict.fromkeys(refs) if i in by_id]

    async def get_jobs(
        self, refs: Iterable[RefLike], *, conn: AsyncConnLike | None = None
    ) -> list[QueuedJob]:
        """The jobs that exist among ``refs``, in the order given (missing ones
        are left out)."""
        ids = _ids(refs)
        return self._in_order(ids, await self._rows(_GET_JOBS, {"ids": ids}, conn))

    def sync_get_jobs(
        self, refs: Iterable[RefLike], *, conn: SyncConnLike | None = None
    ) -> list[QueuedJob]:
        """The blocking form of :meth:`get_jobs`."""
        ids = _ids(refs)
        return self._in_order(ids, self._sync_rows(_GET_JOBS, {"ids": ids}, conn))

    async def wait_for_job(
        self,
        ref: RefLike,
        *,
        interval: float = 0.1,
        timeout: float | None = None,  # noqa: ASYNC109 (the documented API)
        states: Iterable[str] | None = None,
    ) -> QueuedJob | None:
        """Poll until the job reaches one of ``states`` (default: finished).

        Returns the job, or ``None`` if it was deleted meanwhile. Raises
        :class:`TimeoutError` after ``timeout`` seconds.
        """
        wanted = _check_states(states)
        async with asyncio.timeout(timeout):
            while True:
                found = await self.get_job(ref)
                if found is None or found.state in wanted:
                    return found
                await asyncio.sleep(interval)

    def sync_wait_for_job(
        self,
        ref: RefLike,
        *,
        interval: float = 0.1,
        timeout: float | None = None,
        states: Iterable[str] | None = None,
    ) -> QueuedJob | None:
        """The blocking form of :meth:`wait_for_job`."""
        wanted = _check_states(states)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            found = self.sync_get_job(ref)
            if found is None or found.state in wanted:
                return found
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"job {Reference(ref)} did not finish in {timeout}s")
            time.sleep(interval)

    async def wait_for_jobs(
        self,
        refs: Iterable[RefLike],
        *,
        interval: float = 0.1,
        timeout: float | None = None,  # noqa: ASYNC109 (the documented API)
        states: Iterable[str] | None = None,
    ) -> list[QueuedJob]:
        """Poll until every job reached ``states`` or was deleted; returns the
        jobs that still exist, in the order given."""
        wanted = _check_states(states)
        ids = _ids(refs)
        async with asyncio.timeout(timeout):
            while True:
                found = await self.get_jobs(ids)
                if all(j.state in wanted for j in found):
                    return found
                await asyncio.sleep(interval)

    def sync_wait_for_jobs(
        self,
        refs: Iterable[RefLike],
        *,
        interval: float = 0.1,
        timeout: float | None = None,
        states: Iterable[str] | None = None,
    ) -> list[QueuedJob]:
        """The blocking form of :meth:`wait_for_jobs`."""
        wanted = _check_states(states)
        ids = _ids(refs)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            found = self.sync_get_jobs(ids)
            if all(j.state in wanted for j in found):
                return found
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"{len(ids)} jobs did not finish in {timeout}s")
            time.sleep(interval)

    # -- changing jobs ------------------------------------------------------

    async def cancel_jobs(
        self, refs: Iterable[RefLike], *, conn: AsyncConnLike | None = None
    ) -> list[Reference]:
        """Cancel pending, retrying and running jobs; returns those cancelled.

        A running job's worker is notified so it can interrupt it.
        """
        rows = await self._rows(_CANCEL, {"ids": _ids(refs)}, conn)
        return [Reference(r["id"]) for r in rows]

    def sync_cancel_jobs(
        self, refs: Iterable[RefLike], *, conn: SyncConnLike | None = None
    ) -> list[Reference]:
        """The blocking form of :meth:`cancel_jobs`."""
        rows = self._sync_rows(_CANCEL, {"ids": _ids(refs)}, conn)
        return [Reference(r["id"]) for r in rows]

    async def cancel_job(
        self, ref: RefLike, *, conn: AsyncConnLike | None = None
    ) -> bool:
        """Cancel one job; returns whether it was cancelled (it was unfinished)."""
        return bool(await self.cancel_jobs([ref], conn=conn))

    def sync_cancel_job(
        self, ref: RefLike, *, conn: SyncConnLike | None = None
    ) -> bool:
        """The blocking form of :meth:`cancel_job`."""
        return bool(self.sync_cancel_jobs([ref], conn=conn))

    async def retry_jobs(
        self, refs: Iterable[RefLike], *, conn: AsyncConnLike | None = None
    ) -> list[Reference]:
        """Run finished jobs again (pending now, attempts reset, errors kept);
        returns those changed."""
        rows = await self._rows(_RETRY, {"ids": _ids(refs)}, conn)
        return [Reference(r["id"]) for r in rows]

    def sync_retry_jobs(
        self, refs: Iterable[RefLike], *, conn: SyncConnLike | None = None
    ) -> list[Reference]:
        """The blocking form of :meth:`retry_jobs`."""
        rows = self._sync_rows(_RETRY, {"ids": _ids(refs)}, conn)
        return [Reference(r["id"]) for r in rows]

    async def delete_jobs(
        self, refs: Iterable[RefLike], *, conn: AsyncConnLike | None = None
    ) -> list[Reference]:
        """Delete jobs in any state; returns those deleted."""
        rows = await self._rows(_DELETE_JOBS, {"ids": _ids(refs)}, conn)
        return [Reference(r["id"]) for r in rows]

    def sync_delete_jobs(
        self, refs: Iterable[RefLike], *, conn: SyncConnLike | None = None
    ) -> list[Reference]:
        """The blocking form of :meth:`delete_jobs`."""
        rows = self._sync_rows(_DELETE_JOBS, {"ids": _ids(refs)}, conn)
        return [Reference(r["id"]) for r in rows]

    # -- workers ------------------------------------------------------------

    async def get_all_workers(
        self, *, conn: AsyncConnLike | None = None
    ) -> list[dict[str, Any]]:
        """Every worker row, with an ``is_leader`` flag."""
        return await self._rows(_GET_ALL_WORKERS, {}, conn)

    def sync_get_all_workers(
        self, *, conn: SyncConnLike | None = None
    ) -> list[dict[str, Any]]:
        """The blocking form of :meth:`get_all_workers`."""
        return self._sync_rows(_GET_ALL_WORKERS, {}, conn)

    async def get_leader(
        self, *, conn: AsyncConnLike | None = None
    ) -> dict[str, Any] | None:
        """The live leadership lease (worker_id, term, ...), or ``None``."""
        rows = await self._rows(_GET_LEADER, {}, conn)
        return rows[0] if rows else None

    def sync_get_leader(
        self, *, conn: SyncConnLike | None = None
    ) -> dict[str, Any] | None:
        """The blocking form of :meth:`get_leader`."""
        rows = self._sync_rows(_GET_LEADER, {}, conn)
        return rows[0] if rows else None
