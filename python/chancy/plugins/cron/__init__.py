"""The Cron plugin: jobs on cron schedules, each tick fired exactly once.

Schedules live in ``chancy.cron_schedules`` under a stable name. The plugin
runs on the leader only: it reads the database clock, computes with
croniter which ticks are due (in each schedule's IANA time zone, see
:mod:`chancy.plugins.cron.ticks` for the daylight-saving rule) and calls
``chancy.cron_fire`` with its leadership term. That function records each
tick in the ledger ``chancy.cron_ticks`` and pushes its job in one
transaction, refuses a stale term, and never fires a recorded tick again,
so two would-be leaders, skewed worker clocks, crashes and restarts cannot
double a tick, and pruning jobs cannot make one fire again.

Firing happens in the plugin loop, not in an executor slot, so workers busy
with long jobs never delay the creation of scheduled jobs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, overload

import psycopg
from psycopg.rows import dict_row

from chancy.errors import (
    ChancyError,
    InvalidScheduleError,
    NotLeaderError,
    from_psycopg,
)
from chancy.job import Job, Limit, as_job
from chancy.plugin import Plugin
from chancy.plugins import _sleep_unless_shutdown
from chancy.plugins.cron.ticks import CronSpec, Missed, Plan, parse, plan

if TYPE_CHECKING:
    from collections.abc import Callable

    from chancy.app import Chancy
    from chancy.worker import Worker

__all__ = ["Cron", "Missed", "Schedule", "default_name"]

log = logging.getLogger(__name__)

_SCHEDULE = """
SELECT * FROM chancy.schedule(
    name => %(name)s, expression => %(expression)s, func => %(func)s,
    kwargs => %(kwargs)s::jsonb, queue => %(queue)s, priority => %(priority)s,
    max_attempts => %(max_attempts)s, unique_key => %(unique_key)s,
    meta => %(meta)s::jsonb, limits => %(limits)s::jsonb,
    timezone => %(timezone)s, missed => %(missed)s)
"""
_UNSCHEDULE = "SELECT chancy.unschedule(name => %(name)s) AS removed"
_LIST = "SELECT s.* FROM chancy.cron_schedules AS s ORDER BY s.name"
_LIST_SOME = (
    "SELECT s.* FROM chancy.cron_schedules AS s"
    " WHERE s.name = ANY(%(names)s) ORDER BY s.name"
)
_NOW = (
    "SELECT now() AS now,"
    " (SELECT min(s.next_run) FROM chancy.cron_schedules AS s) AS wake"
)
_DUE = """
SELECT s.name, s.expression, s.timezone, s.missed, s.revision, s.revised_at,
       s.next_run
  FROM chancy.cron_schedules AS s
 WHERE s.next_run IS NULL OR s.next_run <= %(now)s
 ORDER BY s.next_run NULLS FIRST, s.name
"""
_FIRE = """
SELECT f.tick_at, f.job_id
  FROM chancy.cron_fire(term => %(term)s, name => %(name)s,
                        revision => %(revision)s, ticks => %(ticks)s::timestamptz[],
                        next_run => %(next_run)s) AS f
"""
_PRUNE_TICKS = (
    "SELECT chancy.cron_prune_ticks(keep => %(keep)s, max_rows => %(max_rows)s,"
    " term => %(term)s) AS deleted"
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Schedule:
    """A cron schedule as stored: its timing, its job, its last and next run."""

    name: str
    expression: str
    timezone: str
    missed: Missed
    job: Job
    revision: int
    revised_at: dt.datetime
    #: The latest tick that fired (None before the first).
    last_run: dt.datetime | None
    #: The next tick to fire; None until the leader has computed it.
    next_run: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Schedule:
        """A Schedule from a row of ``chancy.cron_schedules``."""
        job = Job(
            func=row["func"],
            queue=row["queue"],
            kwargs=dict(row["kwargs"]),
            priority=row["priority"],
            max_attempts=row["max_attempts"],
            limits=[Limit.deserialize(item) for item in row["limits"]],
            unique_key=row["unique_key"],
            meta=dict(row["meta"]),
        )
        return cls(
            name=row["name"],
            expression=row["expression"],
            timezone=row["timezone"],
            missed=Missed(row["missed"]),
            job=job,
            revision=row["revision"],
            revised_at=row["revised_at"],
            last_run=row["last_run"],
            next_run=row["next_run"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


def default_name(job: Job, expression: str) -> str:
    """The name a schedule gets when none is given.

    The job's ``unique_key`` if it has one, else its function and the
    expression, plus a digest of the kwargs when there are any (so one
    function scheduled with different kwargs makes different schedules).
    A default-named schedule whose expression changes is a new schedule;
    give a name to change a schedule's timing in place.
    """
    if job.unique_key:
        return job.unique_key
    name = f"{job.func} {' '.join(expression.split())}"
    if job.kwargs:
        text = json.dumps(job.kwargs, sort_keys=True, separators=(",", ":"))
        name += " " + hashlib.sha256(text.encode()).hexdigest()[:12]
    return name


def _raise_mapped(exc: BaseException) -> None:
    mapped = from_psycopg(exc)
    if mapped is exc:
        raise exc
    raise mapped from exc


class Cron(Plugin):
    """Fires jobs on cron schedules, on the leader, each tick exactly once.

    ``poll_interval`` caps how long the loop sleeps; it otherwise wakes at the
    next due tick, so six-field (per-second) schedules fire on time.
    ``grace``: a due tick at most this many seconds old is late, not missed,
    and fires whatever the schedule's missed policy. ``catch_up_limit``: the
    most ticks of one schedule fired in one pass (``missed="all"`` keeps the
    most recent ones). Ledger rows of ticks fired more than ``keep_ticks``
    ago are pruned every ``prune_interval`` seconds.
    """

    leader_only = True

    def __init__(
        self,
        poll_interval: float = 1,
        *,
        grace: float = 10,
        catch_up_limit: int = 100,
        keep_ticks: dt.timedelta = dt.timedelta(days=7),  # noqa: B008 - immutable
        prune_interval: float = 3600,
    ) -> None:
        for label, value in (
            ("poll_interval", poll_interval),
            ("prune_interval", prune_interval),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{label} must be a number, not {value!r}")
            if not value > 0:
                raise ValueError(f"{label} must be positive, not {value!r}")
        if isinstance(grace, bool) or not isinstance(grace, int | float) or grace < 0:
            raise ValueError(f"grace must be a number >= 0, not {grace!r}")
        if (
            isinstance(catch_up_limit, bool)
            or not isinstance(catch_up_limit, int)
            or catch_up_limit < 1
        ):
            raise ValueError(
                f"catch_up_limit must be an int >= 1, not {catch_up_limit!r}"
            )
        if not isinstance(keep_ticks, dt.timedelta) or keep_ticks < dt.timedelta(0):
            raise ValueError(f"keep_ticks must be a timedelta >= 0, not {keep_ticks!r}")
        self.poll_interval = float(poll_interval)
        self.grace = float(grace)
        self.catch_up_limit = catch_up_limit
        self.keep_ticks = keep_ticks
        self.prune_interval = float(prune_interval)
        self._specs: dict[tuple[str, str], CronSpec] = {}
        # (name, revision) of schedules already reported as not computable.
        self._reported: set[tuple[str, int]] = set()

    @staticmethod
    def get_identifier() -> str:
        return "chancy.cron"

    def get_dependencies(self) -> list[str]:
        return ["chancy.leadership"]

    # -- the API --------------------------------------------------------------

    @overload
    @staticmethod
    async def schedule(
        chancy: Chancy,
        cron: str,
        job: Job | Callable[..., Any],
        /,
        *,
        name: str | None = None,
        timezone: str = "UTC",
        missed: Missed | str = Missed.LATEST,
    ) -> str: ...

    @overload
    @staticmethod
    async def schedule(
        chancy: Chancy,
        cron: str,
        job: Job | Callable[..., Any],
        other: Job | Callable[..., Any],
        /,
        *jobs: Job | Callable[..., Any],
        timezone: str = "UTC",
        missed: Missed | str = Missed.LATEST,
    ) -> list[str]: ...

    @staticmethod
    async def schedule(
        chancy: Chancy,
        cron: str,
        *jobs: Job | Callable[..., Any],
        name: str | None = None,
        timezone: str = "UTC",
        missed: Missed | str = Missed.LATEST,
    ) -> str | list[str]:
        """Create or update the schedule running ``job`` at each tick of ``cron``.

        ``cron`` has five fields, or six with the seconds first, or is an
        @alias; it is matched against wall-clock time in ``timezone`` (an
        IANA name). ``missed`` is ``"latest"``, ``"all"`` or ``"skip"``.
        Returns the schedule's name: ``name``, or :func:`default_name`.
        Registering the same schedule again changes nothing; a changed job
        applies from the next tick, a changed expression or time zone from
        its first tick after the change. Several jobs make several schedules
        (default names only) and return their names, all in one transaction.
        Raises :class:`~chancy.errors.InvalidScheduleError` naming the field
        or the time zone that is wrong.
        """
        if not jobs:
            raise TypeError("schedule() needs a job")
        if name is not None and len(jobs) > 1:
            raise TypeError("name can only be given when scheduling one job")
        spec = parse(cron, timezone)
        try:
            policy = Missed(missed)
        except ValueError as exc:
            raise InvalidScheduleError(
                f"invalid missed policy {missed!r}: use latest, all or skip"
            ) from exc

        params = []
        for value in jobs:
            job = as_job(value)
            if job.scheduled_at is not None:
                raise InvalidScheduleError(
                    f"job {job.func} has scheduled_at set; a scheduled job runs "
                    "at its ticks, so leave scheduled_at unset"
                )
            pushed = job.push_params()
            params.append(
                {
                    "name": name
                    if name is not None
                    else default_name(job, spec.expression),
                    "expression": spec.expression,
                    "func": job.func,
                    "kwargs": pushed["kwargs"],
                    "queue": job.queue,
                    "priority": job.priority,
                    "max_attempts": job.max_attempts,
                    "unique_key": job.unique_key,
                    "meta": pushed["meta"],
                    "limits": pushed["limits"],
                    "timezone": timezone,
                    "missed": policy.value,
                }
            )

        names: list[str] = []
        try:
            async with chancy.connection() as conn:
                for one in params:
                    cur = await conn.execute(_SCHEDULE, one)
                    row = await cur.fetchone()
                    assert row is not None
                    names.append(one["name"])
        except psycopg.Error as exc:
            _raise_mapped(exc)
        return names[0] if len(jobs) == 1 else names

    @staticmethod
    async def unschedule(chancy: Chancy, *names: str) -> int:
        """Delete the schedules with these names; return how many existed.

        Jobs they already pushed stay; their tick ledger goes with them.
        """
        removed = 0
        try:
            async with chancy.connection() as conn:
                for name in names:
                    cur = await conn.execute(_UNSCHEDULE, {"name": name})
                    row = await cur.fetchone()
                    removed += bool(row and row[0])
        except psycopg.Error as exc:
            _raise_mapped(exc)
        return removed

    @staticmethod
    async def get_schedules(
        chancy: Chancy, *, names: list[str] | None = None
    ) -> list[Schedule]:
        """Every schedule (or those named), sorted by name."""
        try:
            async with chancy.connection() as conn:
                async with conn.cursor(row_factory=dict_row) as cur:
                    if names is None:
                        await cur.execute(_LIST)
                    else:
                        await cur.execute(_LIST_SOME, {"names": list(names)})
                    rows = await cur.fetchall()
        except psycopg.Error as exc:
            _raise_mapped(exc)
        return [Schedule.from_row(row) for row in rows]

    # -- the leader's loop ----------------------------------------------------

    def _spec(self, expression: str, timezone: str) -> CronSpec:
        key = (expression, timezone)
        spec = self._specs.get(key)
        if spec is None:
            spec = self._specs[key] = parse(expression, timezone)
        return spec

    async def fire_due(self, chancy: Chancy, *, term: int | None) -> float:
        """Fire every due tick of every schedule once; return seconds to the next tick.

        Reads the database clock, computes each schedule's due ticks and
        calls ``chancy.cron_fire`` with ``term``, one transaction per
        schedule. A schedule that cannot fire now (its queue was deleted,
        its time zone is unknown here) is logged and tried again next time.
        Raises :class:`~chancy.errors.NotLeaderError` if the database
        refuses the term. The result is capped by ``poll_interval``.
        """
        if term is None:
            raise NotLeaderError("the cron plugin fires only with a leadership term")
        started = time.monotonic()
        try:
            async with chancy.connection() as conn:
                async with conn.cursor(row_factory=dict_row) as cur:
                    await cur.execute(_NOW)
                    now_row = await cur.fetchone()
                    assert now_row is not None
                    await cur.execute(_DUE, {"now": now_row["now"]})
                    rows = await cur.fetchall()
        except psycopg.Error as exc:
            _raise_mapped(exc)
        assert now_row is not None
        now: dt.datetime = now_row["now"]

        wake = now + dt.timedelta(seconds=self.poll_interval)
        if now_row["wake"] is not None and now_row["wake"] > now:
            wake = min(wake, now_row["wake"])
        for row in rows:
            next_run: dt.datetime | None = row["next_run"]
            if next_run is not None and next_run > now:
                wake = min(wake, next_run)
                continue
            upcoming = await self._fire_one(chancy, row, now, term)
            if upcoming is not None:
                wake = min(wake, upcoming)

        elapsed = time.monotonic() - started
        delay = (wake - now).total_seconds() - elapsed
        return min(max(delay, 0.0), self.poll_interval)

    async def _fire_one(
        self, chancy: Chancy, row: Mapping[str, Any], now: dt.datetime, term: int
    ) -> dt.datetime | None:
        name: str = row["name"]
        extra = {"schedule": name}
        try:
            spec = self._spec(row["expression"], row["timezone"])
            first = row["next_run"] or spec.next_after(row["revised_at"])
            todo: Plan
            if first > now:
                todo = Plan(ticks=[], next_run=first, skipped=False)
            else:
                todo = plan(
                    spec,
                    next_run=first,
                    now=now,
                    missed=row["missed"],
                    grace=self.grace,
                    catch_up_limit=self.catch_up_limit,
                )
        except (InvalidScheduleError, ValueError) as exc:
            # Once per revision of the schedule: it is retried every pass, and
            # a fix (a new revision) is reported afresh if it is still wrong.
            revision = (name, int(row["revision"]))
            level = logging.DEBUG if revision in self._reported else logging.WARNING
            self._reported.add(revision)
            log.log(
                level,
                "cron: schedule %s cannot be computed: %s",
                name,
                exc,
                extra=extra,
            )
            return None

        params = {
            "term": term,
            "name": name,
            "revision": row["revision"],
            "ticks": todo.ticks,
            "next_run": todo.next_run,
        }
        try:
            async with chancy.connection() as conn:
                cur = await conn.execute(_FIRE, params)
                fired = await cur.fetchall()
        except psycopg.Error as exc:
            mapped = from_psycopg(exc)
            if isinstance(mapped, NotLeaderError):
                raise mapped from exc
            if isinstance(mapped, ChancyError):
                log.warning(
                    "cron: schedule %s did not fire: %s", name, mapped, extra=extra
                )
                return None
            raise

        for tick_at, job_id in fired:
            log.info(
                "cron: schedule %s fired its tick %s as job %s",
                name,
                tick_at.isoformat(),
                job_id,
                extra={**extra, "tick": tick_at.isoformat(), "job_id": str(job_id)},
            )
        if todo.skipped:
            log.info(
                "cron: schedule %s skipped missed ticks before %s (missed=%s)",
                name,
                todo.ticks[0].isoformat() if todo.ticks else now.isoformat(),
                row["missed"],
                extra=extra,
            )
        return todo.next_run

    async def prune_ticks(self, chancy: Chancy, *, term: int | None) -> int:
        """Delete ledger rows of ticks fired more than ``keep_ticks`` ago."""
        total = 0
        while True:
            try:
                async with chancy.connection() as conn:
                    cur = await conn.execute(
                        _PRUNE_TICKS,
                        {"keep": self.keep_ticks, "max_rows": 10000, "term": term},
                    )
                    row = await cur.fetchone()
            except psycopg.Error as exc:
                _raise_mapped(exc)
            deleted = int(row[0]) if row is not None else 0
            total += deleted
            if deleted < 10000:
                return total

    async def run(self, worker: Worker, chancy: Chancy) -> None:
        next_prune = time.monotonic()
        while True:
            try:
                delay = await self.fire_due(chancy, term=worker.term)
                if time.monotonic() >= next_prune:
                    await self.prune_ticks(chancy, term=worker.term)
                    next_prune = time.monotonic() + self.prune_interval
            except NotLeaderError as exc:
                # Leadership renews the lease or steps this worker down; the
                # database refused every write meanwhile, so nothing fired.
                log.warning(
                    "cron: the database refused term %s: %s",
                    worker.term,
                    exc,
                    extra={"worker_id": worker.worker_id},
                )
                delay = min(self.poll_interval, 0.5)
            if await _sleep_unless_shutdown(worker, delay):
                return
