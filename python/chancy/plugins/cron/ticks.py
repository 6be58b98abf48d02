"""Cron ticks: which instants a schedule fires at, in its own time zone.

A cron expression is matched against *wall-clock* time in the schedule's
IANA time zone (croniter iterates naive local times, so it never sees an
offset). Each matching wall time becomes one instant by this rule:

* a wall time that exists once is that instant;
* a wall time that exists twice (clocks go back) is its **first** occurrence,
  so it fires once; the repeated hour fires nothing a second time;
* a wall time that does not exist (clocks go forward) moves to the **first
  instant after the gap**, the moment the clocks jump; wall times that land
  on the same instant are one tick, so it fires once.

The mapping never goes backwards in time, so the ticks of a schedule are a
sorted sequence of distinct UTC instants. Every function here takes the
current time as an argument (the leader passes the database clock), so the
rule is testable with a fixed clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import zoneinfo
from collections.abc import Iterator

from croniter import (  # type: ignore[import-untyped]
    CroniterBadDateError,
    CroniterError,
    croniter,
)

from chancy.errors import InvalidScheduleError

__all__ = ["CronSpec", "Missed", "Plan", "parse", "plan"]

UTC = dt.UTC

_FIELDS_5 = ("minute", "hour", "day of month", "month", "day of week")
_FIELDS_6 = ("second", *_FIELDS_5)
_ALIASES = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
# Wall times skipped while looking for the first tick after an instant; the
# longest run is one repeated hour of a per-second schedule.
_MAX_SKIPPED = 200_000


class Missed(enum.StrEnum):
    """What to do with ticks that were due while no leader fired them."""

    #: Fire once, for the latest missed tick.
    LATEST = "latest"
    #: Fire every missed tick (at most the plugin's ``catch_up_limit``).
    ALL = "all"
    #: Fire none of them.
    SKIP = "skip"


@dataclasses.dataclass(frozen=True)
class CronSpec:
    """A validated cron expression in one time zone."""

    expression: str
    timezone: str
    zone: zoneinfo.ZoneInfo
    seconds: bool

    def _iter(self, start: dt.datetime) -> croniter:
        return croniter(
            self.expression,
            start,
            ret_type=dt.datetime,
            second_at_beginning=self.seconds,
        )

    def wall(self, instant: dt.datetime) -> dt.datetime:
        """The naive wall-clock time of ``instant`` in this zone."""
        return instant.astimezone(self.zone).replace(tzinfo=None)

    def instant(self, wall: dt.datetime) -> dt.datetime:
        """The UTC instant a matching wall time fires at (see the module rule)."""
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if self.wall(first) == wall:
            return first  # exists: once, or the first of two occurrences

        # In a gap: fold=1 reads the wall time with the offset after the jump
        # (an instant before it), fold=0 with the one before (after it).
        low = int(wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC).timestamp())
        high = int(first.timestamp())
        after = first.astimezone(self.zone).utcoffset()
        while low + 1 < high:
            mid = (low + high) // 2
            moment = dt.datetime.fromtimestamp(mid, UTC).astimezone(self.zone)
            if moment.utcoffset() == after:
                high = mid
            else:
                low = mid
        return dt.datetime.fromtimestamp(high, UTC)

    def next_after(self, after: dt.datetime) -> dt.datetime:
        """The first tick strictly after the instant ``after``."""
        try:
            walls = self._iter(self.wall(after))
            for _ in range(_MAX_SKIPPED):
                tick = self.instant(walls.get_next())
                if tick > after:
                    return tick
        except CroniterBadDateError as exc:
            raise InvalidScheduleError(
                f"cron expression {self.expression!r} has no time after {after}"
            ) from exc
        raise InvalidScheduleError(
            f"cron expression {self.expression!r}: no tick found after {after}"
        )

    def ticks_back(self, now: dt.datetime) -> Iterator[dt.datetime]:
        """Ticks at or before ``now``, latest first, each instant once."""
        start = self.wall(now)
        # When now is in the second pass of a repeated hour, wall times up to
        # the end of that hour already had their (first) instant.
        earlier = start.replace(tzinfo=self.zone, fold=0).utcoffset()
        later = start.replace(tzinfo=self.zone, fold=1).utcoffset()
        if earlier is not None and later is not None and earlier > later:
            start += earlier - later
        walls = self._iter(start + dt.timedelta(seconds=1))
        previous: dt.datetime | None = None
        while True:
            try:
                tick = self.instant(walls.get_prev())
            except CroniterBadDateError:
                return
            if tick > now or tick == previous:
                continue
            previous = tick
            yield tick


def parse(expression: str, timezone: str = "UTC") -> CronSpec:
    """Validate ``expression`` in ``timezone``, naming the part that is wrong.

    Five fields (minute hour day-of-month month day-of-week), six with the
    seconds first, or one of the @aliases (@hourly, @daily, ...).
    """
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidScheduleError("cron expression is empty")
    text = " ".join(expression.split())

    if not isinstance(timezone, str) or not timezone:
        raise InvalidScheduleError(f"time zone must be an IANA name, not {timezone!r}")
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidScheduleError(
            f"unknown time zone {timezone!r}: use an IANA name such as "
            "Europe/Berlin or UTC"
        ) from exc

    if text.startswith("@"):
        if text.lower() not in _ALIASES:
            raise InvalidScheduleError(
                f"invalid cron expression {expression!r}: unknown alias (use "
                + ", ".join(sorted(_ALIASES))
                + ")"
            )
        spec = CronSpec(text.lower(), timezone, zone, False)
    else:
        fields = text.split(" ")
        names: tuple[str, ...]
        if len(fields) == 5:
            names = _FIELDS_5
        elif len(fields) == 6:
            names = _FIELDS_6
        else:
            raise InvalidScheduleError(
                f"invalid cron expression {expression!r}: it has {len(fields)} "
                "fields, expected 5 (minute hour day-of-month month day-of-week) "
                "or 6 (second first)"
            )
        seconds = len(fields) == 6
        # Each field alone, the others "*", so the error names the field.
        for i, (name, field) in enumerate(zip(names, fields, strict=True)):
            probe = ["*"] * len(fields)
            probe[i] = field
            try:
                croniter(" ".join(probe), second_at_beginning=seconds)
            except CroniterError as exc:
                raise InvalidScheduleError(
                    f"invalid cron expression {expression!r}: {name} field "
                    f"{field!r} is not valid ({exc})"
                ) from exc
        try:
            croniter(text, second_at_beginning=seconds)
        except CroniterError as exc:
            raise InvalidScheduleError(
                f"invalid cron expression {expression!r}: {exc}"
            ) from exc
        spec = CronSpec(text, timezone, zone, seconds)

    # An expression that never matches (30 February) is refused now.
    try:
        spec._iter(dt.datetime(2000, 1, 1)).get_next()
    except CroniterBadDateError as exc:
        raise InvalidScheduleError(
            f"invalid cron expression {expression!r}: it never matches a date"
        ) from exc
    return spec


@dataclasses.dataclass(frozen=True)
class Plan:
    """What the leader fires for one schedule now, and its next tick."""

    ticks: list[dt.datetime]
    next_run: dt.datetime
    #: Some due ticks were not fired (by policy or beyond the catch-up limit).
    skipped: bool


def plan(
    spec: CronSpec,
    *,
    next_run: dt.datetime,
    now: dt.datetime,
    missed: Missed | str = Missed.LATEST,
    grace: float = 10.0,
    catch_up_limit: int = 100,
) -> Plan:
    """The ticks to fire at ``now`` for a schedule whose next tick is ``next_run``.

    Due ticks are those in ``[next_run, now]``. A due tick at most ``grace``
    seconds old is late, not missed, and always fires. Older ones are
    missed: ``latest`` fires the latest of them unless a late tick fires
    anyway, ``all`` fires them (the most recent ``catch_up_limit`` in all),
    ``skip`` fires none. ``now`` must be timezone-aware.
    """
    policy = Missed(missed)
    cutoff = now - dt.timedelta(seconds=grace)
    chosen: list[dt.datetime] = []
    skipped = False
    if next_run <= now:
        for tick in spec.ticks_back(now):
            if tick < next_run:
                break
            if len(chosen) >= catch_up_limit:
                skipped = True
                break
            if tick >= cutoff:
                chosen.append(tick)
            elif policy is Missed.ALL or (policy is Missed.LATEST and not chosen):
                chosen.append(tick)
                if policy is Missed.LATEST:
                    skipped = tick > next_run  # next_run is itself a tick
                    break
            else:
                skipped = True
                break
    ticks = sorted(chosen)
    return Plan(ticks=ticks, next_run=spec.next_after(now), skipped=skipped)
