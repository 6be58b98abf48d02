"""Tick computation with a fixed clock: time zones, DST, month ends, weekdays.

These exercise :mod:`chancy.plugins.cron.ticks` directly with explicit
instants (the leader passes the database clock the same way).
"""

from __future__ import annotations

import datetime as dt

import pytest

from chancy.errors import InvalidScheduleError
from chancy.plugins.cron.ticks import CronSpec, Missed, parse, plan

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def ticks(spec: CronSpec, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    out: list[dt.datetime] = []
    tick = spec.next_after(start)
    while tick <= end:
        out.append(tick)
        tick = spec.next_after(tick)
    return out


def walls(spec: CronSpec, instants: list[dt.datetime]) -> list[str]:
    return [spec.wall(t).strftime("%m-%d %H:%M") for t in instants]


# -- clocks go forward: a wall time that does not exist fires once, at the jump


def test_berlin_daily_in_the_spring_gap_fires_once_at_the_jump() -> None:
    spec = parse("30 2 * * *", "Europe/Berlin")
    got = ticks(spec, at(2026, 3, 27), at(2026, 3, 31))
    # 29 March 2026: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
    assert got == [
        at(2026, 3, 27, 1, 30),
        at(2026, 3, 28, 1, 30),
        at(2026, 3, 29, 1, 0),
        at(2026, 3, 30, 0, 30),
    ]


def test_new_york_daily_in_the_spring_gap_fires_once_at_the_jump() -> None:
    spec = parse("30 2 * * *", "America/New_York")
    got = ticks(spec, at(2026, 3, 7), at(2026, 3, 10))
    # 8 March 2026: 02:00 EST jumps to 03:00 EDT at 07:00 UTC.
    assert got == [at(2026, 3, 7, 7, 30), at(2026, 3, 8, 7, 0), at(2026, 3, 9, 6, 30)]


def test_quarter_hours_in_the_gap_merge_into_one_tick() -> None:
    spec = parse("*/15 * * * *", "Europe/Berlin")
    got = ticks(spec, at(2026, 3, 29, 0, 30), at(2026, 3, 29, 1, 20))
    assert got == [
        at(2026, 3, 29, 0, 45),
        at(2026, 3, 29, 1, 0),
        at(2026, 3, 29, 1, 15),
    ]
    assert walls(spec, got) == ["03-29 01:45", "03-29 03:00", "03-29 03:15"]


def test_hourly_on_the_short_day_has_23_ticks() -> None:
    spec = parse("0 * * * *", "Europe/Berlin")
    # The local day 29 March 2026 runs from 23:00 UTC to 22:00 UTC.
    got = ticks(spec, at(2026, 3, 28, 22, 59), at(2026, 3, 29, 21, 59))
    assert len(got) == 23
    assert len(set(got)) == 23 and got == sorted(got)


# -- clocks go back: a wall time that happens twice fires once, the first time


def test_berlin_daily_in_the_repeated_hour_fires_once() -> None:
    spec = parse("30 2 * * *", "Europe/Berlin")
    got = ticks(spec, at(2026, 10, 23), at(2026, 10, 27))
    # 25 October 2026: 03:00 CEST goes back to 02:00 CET at 01:00 UTC, so
    # 02:30 happens at 00:30 UTC and again at 01:30 UTC.
    assert got == [
        at(2026, 10, 23, 0, 30),
        at(2026, 10, 24, 0, 30),
        at(2026, 10, 25, 0, 30),
        at(2026, 10, 26, 1, 30),
    ]


def test_new_york_daily_in_the_repeated_hour_fires_once() -> None:
    spec = parse("30 1 * * *", "America/New_York")
    got = ticks(spec, at(2026, 10, 31), at(2026, 11, 3))
    # 1 November 2026: 01:30 happens at 05:30 UTC (EDT) and 06:30 UTC (EST).
    assert got == [
        at(2026, 10, 31, 5, 30),
        at(2026, 11, 1, 5, 30),
        at(2026, 11, 2, 6, 30),
    ]


def test_hourly_on_the_long_day_fires_each_wall_hour_once() -> None:
    spec = parse("0 * * * *", "Europe/Berlin")
    # The local day 25 October 2026 runs from 22:00 UTC to 23:00 UTC (25 h).
    got = ticks(spec, at(2026, 10, 24, 21, 59), at(2026, 10, 25, 22, 59))
    assert len(got) == 24
    assert walls(spec, got).count("10-25 02:00") == 1
    assert got == sorted(set(got))


def test_half_hour_shift_of_lord_howe() -> None:
    spec = parse("45 1 * * *", "Australia/Lord_Howe")
    # 5 April 2026: 02:00 (+11) goes back to 01:30 (+10:30); 01:45 twice.
    got = ticks(spec, at(2026, 4, 3), at(2026, 4, 6))
    assert walls(spec, got) == ["04-04 01:45", "04-05 01:45", "04-06 01:45"]
    assert got[1] == dt.datetime(2026, 4, 5, 1, 45, tzinfo=spec.zone).astimezone(UTC)
    assert got[1] == at(2026, 4, 4, 14, 45)


def test_looking_back_from_the_second_pass_of_the_repeated_hour() -> None:
    spec = parse("*/30 * * * *", "Europe/Berlin")
    now = at(2026, 10, 25, 1, 40)  # 02:40 CET, the second 02:40 of the night
    back = spec.ticks_back(now)
    got = [next(back) for _ in range(3)]
    # 02:00 and 02:30 CET are not new ticks: they fired during CEST.
    assert got == [
        at(2026, 10, 25, 0, 30),
        at(2026, 10, 25, 0, 0),
        at(2026, 10, 24, 23, 30),
    ]
    assert spec.next_after(now) == at(2026, 10, 25, 2, 0)  # 03:00 CET


def test_plan_across_both_transitions_fires_each_tick_once() -> None:
    for zone, start, end in (
        ("Europe/Berlin", at(2026, 3, 28, 20), at(2026, 3, 29, 4)),
        ("Europe/Berlin", at(2026, 10, 24, 20), at(2026, 10, 25, 4)),
        ("America/New_York", at(2026, 3, 8, 4), at(2026, 3, 8, 10)),
        ("America/New_York", at(2026, 11, 1, 3), at(2026, 11, 1, 9)),
    ):
        spec = parse("*/20 * * * *", zone)
        fired: list[dt.datetime] = []
        next_run = spec.next_after(start)
        now = start
        while now < end:  # a leader waking every 7 minutes
            now += dt.timedelta(minutes=7)
            if next_run <= now:
                todo = plan(spec, next_run=next_run, now=now, missed="all")
                fired += todo.ticks
                next_run = todo.next_run
        assert fired == ticks(spec, start, fired[-1]), zone
        assert len(set(walls(spec, fired))) == len(fired), zone


# -- month ends, 29 February, days of the week


def test_month_ends() -> None:
    spec = parse("0 0 31 * *")
    got = ticks(spec, at(2026, 1, 1), at(2026, 12, 31, 23))
    assert [t.month for t in got] == [1, 3, 5, 7, 8, 10, 12]
    last = parse("0 0 L * *")
    got = ticks(last, at(2027, 12, 31, 1), at(2028, 4, 1))
    assert got == [at(2028, 1, 31), at(2028, 2, 29), at(2028, 3, 31)]


def test_month_end_in_a_time_zone() -> None:
    spec = parse("59 23 L * *", "Asia/Tokyo")
    assert spec.next_after(at(2026, 2, 1)) == at(2026, 2, 28, 14, 59)


def test_29_february_fires_only_in_leap_years() -> None:
    spec = parse("0 12 29 2 *", "UTC")
    assert spec.next_after(at(2026, 1, 1)) == at(2028, 2, 29, 12)
    assert spec.next_after(at(2028, 2, 29, 12)) == at(2032, 2, 29, 12)


def test_day_of_week_0_and_7_are_both_sunday() -> None:
    zero = ticks(parse("0 9 * * 0"), at(2026, 3, 1), at(2026, 3, 31))
    seven = ticks(parse("0 9 * * 7"), at(2026, 3, 1), at(2026, 3, 31))
    sun = ticks(parse("0 9 * * sun"), at(2026, 3, 1), at(2026, 3, 31))
    assert zero == seven == sun
    assert [t.day for t in zero] == [1, 8, 15, 22, 29]
    assert all(t.weekday() == 6 for t in zero)


def test_six_fields_have_seconds_first() -> None:
    spec = parse("*/10 * * * * *")
    assert spec.seconds
    assert ticks(spec, at(2026, 1, 1), at(2026, 1, 1, 0, 0, 30)) == [
        at(2026, 1, 1, 0, 0, 10),
        at(2026, 1, 1, 0, 0, 20),
        at(2026, 1, 1, 0, 0, 30),
    ]


def test_aliases() -> None:
    assert parse("@hourly").next_after(at(2026, 1, 1, 0, 30)) == at(2026, 1, 1, 1)
    assert parse("@DAILY", "Europe/Berlin").next_after(at(2026, 1, 1, 12)) == at(
        2026, 1, 1, 23
    )


# -- validation: the error names the part that is wrong


@pytest.mark.parametrize(
    ("expression", "timezone", "words"),
    [
        ("61 * * * *", "UTC", "minute field '61'"),
        ("* 24 * * *", "UTC", "hour field '24'"),
        ("* * 32 * *", "UTC", "day of month field '32'"),
        ("* * * 13 *", "UTC", "month field '13'"),
        ("* * * * 8", "UTC", "day of week field '8'"),
        ("60 * * * * *", "UTC", "second field '60'"),
        ("* * * *", "UTC", "it has 4 fields"),
        ("* * * * * * *", "UTC", "it has 7 fields"),
        ("", "UTC", "empty"),
        ("@often", "UTC", "unknown alias"),
        ("0 0 30 2 *", "UTC", "never matches"),
        ("* * * * *", "Europe/Atlantis", "unknown time zone 'Europe/Atlantis'"),
        ("* * * * *", "../../etc/passwd", "unknown time zone"),
        ("* * * * *", "", "time zone"),
    ],
)
def test_invalid_schedules_are_refused_naming_the_part(
    expression: str, timezone: str, words: str
) -> None:
    with pytest.raises(InvalidScheduleError, match=words.replace("*", r"\*")):
        parse(expression, timezone)


# -- missed ticks


def test_missed_latest_fires_the_latest_missed_tick_only() -> None:
    spec = parse("0 * * * *")
    todo = plan(spec, next_run=at(2026, 1, 1, 0), now=at(2026, 1, 1, 5, 30))
    assert todo.ticks == [at(2026, 1, 1, 5)]
    assert todo.skipped
    assert todo.next_run == at(2026, 1, 1, 6)


def test_missed_all_fires_every_missed_tick_up_to_the_limit() -> None:
    spec = parse("0 * * * *")
    todo = plan(
        spec, next_run=at(2026, 1, 1, 0), now=at(2026, 1, 1, 5, 30), missed="all"
    )
    assert todo.ticks == [at(2026, 1, 1, h) for h in range(6)]
    assert not todo.skipped
    capped = plan(
        spec,
        next_run=at(2026, 1, 1, 0),
        now=at(2026, 1, 1, 5, 30),
        missed=Missed.ALL,
        catch_up_limit=2,
    )
    assert capped.ticks == [at(2026, 1, 1, 4), at(2026, 1, 1, 5)]
    assert capped.skipped


def test_missed_skip_fires_nothing_old() -> None:
    spec = parse("0 * * * *")
    todo = plan(
        spec, next_run=at(2026, 1, 1, 0), now=at(2026, 1, 1, 5, 30), missed="skip"
    )
    assert todo.ticks == []
    assert todo.next_run == at(2026, 1, 1, 6)


def test_late_ticks_within_grace_always_fire() -> None:
    spec = parse("* * * * * *")
    now = at(2026, 1, 1, 0, 0, 3)
    for missed in Missed:
        todo = plan(
            spec, next_run=at(2026, 1, 1, 0, 0, 0), now=now, missed=missed, grace=5
        )
        assert todo.ticks == [at(2026, 1, 1, 0, 0, s) for s in range(4)], missed
        assert not todo.skipped


def test_nothing_due_fires_nothing() -> None:
    spec = parse("0 * * * *")
    todo = plan(spec, next_run=at(2026, 1, 1, 1), now=at(2026, 1, 1, 0, 59, 59))
    assert todo.ticks == [] and todo.next_run == at(2026, 1, 1, 1)
