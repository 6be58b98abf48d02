"""Firing: each tick exactly once, whoever fires, whatever fails."""

from __future__ import annotations

import asyncio
import datetime as dt

import psycopg
import pytest

from chancy import Chancy, Job
from chancy.errors import NotLeaderError
from chancy.plugins.cron import Cron

from ._helpers import backdate, cron_jobs, db_now, elect, execute, ledger, resign

SECOND = dt.timedelta(seconds=1)


def contiguous(ticks: list[dt.datetime], step: dt.timedelta = SECOND) -> bool:
    return all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))


async def test_a_due_tick_fires_once_with_its_tick_in_meta(chancy: Chancy) -> None:
    await Cron.schedule(chancy, "0 0 * * *", Job(func="app.daily"), name="m")
    await backdate(chancy, "m", seconds=86401)
    term = await elect(chancy, "w1")
    cron = Cron(grace=0)

    await cron.fire_due(chancy, term=term)
    await cron.fire_due(chancy, term=term)

    ticks = await cron_jobs(chancy, "m")
    assert len(ticks) == 1
    assert ticks[0].time() == dt.time(0) and ticks[0] <= await db_now(chancy)
    assert await ledger(chancy, "m") == ticks
    (schedule,) = await Cron.get_schedules(chancy)
    assert schedule.last_run == ticks[0]
    assert schedule.next_run == ticks[0] + dt.timedelta(days=1)


async def test_a_new_schedule_first_fires_at_its_first_tick(chancy: Chancy) -> None:
    await Cron.schedule(chancy, "0 0 1 1 *", Job(func="app.yearly"), name="y")
    term = await elect(chancy, "w1")
    await Cron().fire_due(chancy, term=term)
    assert await cron_jobs(chancy, "y") == []
    (schedule,) = await Cron.get_schedules(chancy)
    now = await db_now(chancy)
    assert schedule.next_run == dt.datetime(now.year + 1, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("missed", "expected"), [("latest", {1}), ("all", {60, 61}), ("skip", {0})]
)
async def test_missed_ticks_follow_the_policy(
    chancy: Chancy, missed: str, expected: set[int]
) -> None:
    await Cron.schedule(chancy, "* * * * *", Job(func="app.m"), name="m", missed=missed)
    await backdate(chancy, "m", seconds=3600.5)  # no leader for an hour
    term = await elect(chancy, "w1")
    await Cron(grace=0).fire_due(chancy, term=term)
    ticks = await cron_jobs(chancy, "m")
    assert len(ticks) in expected
    assert contiguous(ticks, dt.timedelta(minutes=1))
    if missed == "latest":
        now = await db_now(chancy)
        assert now - ticks[0] < dt.timedelta(minutes=1)
    (schedule,) = await Cron.get_schedules(chancy)
    assert (
        schedule.next_run is not None
        and schedule.next_run > (ticks or [schedule.revised_at])[-1]
    )


async def test_late_ticks_within_grace_fire_even_with_skip(chancy: Chancy) -> None:
    await Cron.schedule(
        chancy, "* * * * * *", Job(func="app.s"), name="s", missed="skip"
    )
    await backdate(chancy, "s", seconds=3.5)
    term = await elect(chancy, "w1")
    await Cron(grace=30).fire_due(chancy, term=term)
    ticks = await cron_jobs(chancy, "s")
    assert len(ticks) >= 3 and contiguous(ticks)


async def test_two_schedules_with_one_expression_each_fire(chancy: Chancy) -> None:
    await Cron.schedule(chancy, "* * * * * *", Job(func="app.a"), name="a")
    await Cron.schedule(chancy, "* * * * * *", Job(func="app.b"), name="b")
    await backdate(chancy, "a", "b", seconds=2.5)
    term = await elect(chancy, "w1")
    await Cron().fire_due(chancy, term=term)
    a, b = await cron_jobs(chancy, "a"), await cron_jobs(chancy, "b")
    assert len(a) >= 2 and a == b
    funcs = await execute(
        chancy, "SELECT DISTINCT j.func FROM chancy.jobs AS j ORDER BY 1"
    )
    assert funcs == [("app.a",), ("app.b",)]


async def test_racing_firers_with_one_term_give_one_job_per_tick(
    chancy: Chancy, dsn: str
) -> None:
    await Cron.schedule(
        chancy, "* * * * * *", Job(func="app.s"), name="s", missed="all"
    )
    await backdate(chancy, "s", seconds=0)
    term = await elect(chancy, "w1")
    async with Chancy(dsn, no_default_plugins=True) as other:
        firers = [(Cron(), chancy), (Cron(), other), (Cron(), other)]
        deadline = asyncio.get_running_loop().time() + 4
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.gather(*(c.fire_due(app, term=term) for c, app in firers))
            await asyncio.sleep(0.05)
    ticks = await cron_jobs(chancy, "s")
    assert len(ticks) >= 3
    assert len(set(ticks)) == len(ticks), "a tick fired twice"
    assert contiguous(ticks), "a tick is missing"
    assert await ledger(chancy, "s") == ticks


async def test_a_deposed_leader_is_refused_and_no_tick_doubles(
    chancy: Chancy, dsn: str
) -> None:
    await Cron.schedule(
        chancy, "* * * * * *", Job(func="app.s"), name="s", missed="all"
    )
    await backdate(chancy, "s", seconds=0)
    old = await elect(chancy, "w1")
    await Cron().fire_due(chancy, term=old)
    await resign(chancy, "w1")
    new = await elect(chancy, "w2")
    assert new > old

    refused = 0
    async with Chancy(dsn, no_default_plugins=True) as other:
        deadline = asyncio.get_running_loop().time() + 3
        while asyncio.get_running_loop().time() < deadline:
            results = await asyncio.gather(
                Cron().fire_due(chancy, term=old),
                Cron().fire_due(other, term=new),
                return_exceptions=True,
            )
            assert not isinstance(results[1], BaseException), results[1]
            if isinstance(results[0], NotLeaderError):
                refused += 1
            await asyncio.sleep(0.05)
    assert refused > 0
    ticks = await cron_jobs(chancy, "s")
    assert len(set(ticks)) == len(ticks) and contiguous(ticks)
    terms = await execute(
        chancy, "SELECT DISTINCT k.term FROM chancy.cron_ticks AS k ORDER BY 1"
    )
    assert {t for (t,) in terms} <= {old, new}


async def test_pruned_jobs_never_fire_again(chancy: Chancy) -> None:
    await Cron.schedule(
        chancy, "* * * * * *", Job(func="app.s"), name="s", missed="all"
    )
    await backdate(chancy, "s", seconds=3.5)
    term = await elect(chancy, "w1")
    await Cron().fire_due(chancy, term=term)
    fired = await cron_jobs(chancy, "s")
    assert len(fired) >= 3

    await execute(
        chancy, "SELECT chancy.delete_jobs(array_agg(j.id)) FROM chancy.jobs AS j"
    )
    # A firer that computed its ticks before they fired arrives late.
    rows = await execute(
        chancy,
        "SELECT count(*) FROM chancy.cron_fire(%s, 's', 1, %s::timestamptz[], %s)",
        (term, fired, fired[-1] + SECOND),
    )
    assert rows == [(0,)]
    # And a schedule whose next_run was lost recomputes without refiring.
    await execute(chancy, "UPDATE chancy.cron_schedules SET next_run = NULL")
    await Cron().fire_due(chancy, term=term)
    again = await cron_jobs(chancy, "s")
    assert not set(again) & set(fired)


async def test_a_crash_before_commit_fires_nothing_and_the_tick_fires_later(
    chancy: Chancy, dsn: str
) -> None:
    await Cron.schedule(chancy, "0 0 * * *", Job(func="app.daily"), name="d")
    await backdate(chancy, "d", seconds=86401)
    term = await elect(chancy, "w1")
    now = await db_now(chancy)
    tick = now.replace(hour=0, minute=0, second=0, microsecond=0)

    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM chancy.cron_fire(%s, 'd', 1,"
            " ARRAY[%s]::timestamptz[], %s)",
            (term, tick, tick + dt.timedelta(days=1)),
        )
        assert await cur.fetchone() == (1,)
        await conn.rollback()  # the worker died before committing

    assert await cron_jobs(chancy, "d") == []
    assert await ledger(chancy, "d") == []
    await Cron().fire_due(chancy, term=term)
    assert await cron_jobs(chancy, "d") == [tick]


async def test_fire_due_wakes_for_the_next_second(chancy: Chancy) -> None:
    await Cron.schedule(chancy, "* * * * * *", Job(func="app.s"), name="s")
    term = await elect(chancy, "w1")
    cron = Cron(poll_interval=5)
    await cron.fire_due(chancy, term=term)
    delay = await cron.fire_due(chancy, term=term)
    assert 0 <= delay <= 1.0


async def test_fire_due_needs_a_live_term(chancy: Chancy) -> None:
    await Cron.schedule(chancy, "* * * * * *", Job(func="app.s"), name="s")
    await backdate(chancy, "s", seconds=2)
    with pytest.raises(NotLeaderError):
        await Cron().fire_due(chancy, term=None)
    with pytest.raises(NotLeaderError):
        await Cron().fire_due(chancy, term=12345)
    assert await cron_jobs(chancy, "s") == []


async def test_a_schedule_whose_queue_was_deleted_does_not_stop_the_others(
    chancy: Chancy,
) -> None:
    await execute(chancy, "SELECT chancy.declare_queue('doomed')")
    await Cron.schedule(
        chancy, "* * * * * *", Job(func="app.a", queue="doomed"), name="a"
    )
    await Cron.schedule(chancy, "* * * * * *", Job(func="app.b"), name="b")
    await execute(chancy, "SELECT chancy.delete_queue('doomed')")
    await backdate(chancy, "a", "b", seconds=2.5)
    term = await elect(chancy, "w1")
    await Cron().fire_due(chancy, term=term)
    assert await cron_jobs(chancy, "a") == []
    assert len(await cron_jobs(chancy, "b")) >= 2


async def test_prune_ticks_keeps_recent_rows(chancy: Chancy) -> None:
    await Cron.schedule(chancy, "* * * * * *", Job(func="app.s"), name="s")
    await backdate(chancy, "s", seconds=2.5)
    term = await elect(chancy, "w1")
    await Cron().fire_due(chancy, term=term)
    kept = await ledger(chancy, "s")
    assert await Cron().prune_ticks(chancy, term=term) == 0
    assert await Cron(keep_ticks=dt.timedelta(0)).prune_ticks(chancy, term=term) == len(
        kept
    )


async def test_a_schedule_croniter_refuses_is_reported_once_per_revision(
    chancy: Chancy, caplog: pytest.LogCaptureFixture
) -> None:
    # The SQL check accepts the shape; croniter refuses minute 61.
    await execute(chancy, "SELECT chancy.schedule('bad', '61 * * * *', 'app.s')")
    await Cron.schedule(chancy, "* * * * * *", Job(func="app.s"), name="good")
    await backdate(chancy, "good", seconds=1.5)
    term = await elect(chancy, "w1")
    cron = Cron()
    with caplog.at_level("DEBUG", logger="chancy.plugins.cron"):
        for _ in range(3):
            await cron.fire_due(chancy, term=term)
    warnings = [
        r for r in caplog.records if r.levelname == "WARNING" and "bad" in r.message
    ]
    assert len(warnings) == 1, warnings
    assert await cron_jobs(chancy, "good") != []
