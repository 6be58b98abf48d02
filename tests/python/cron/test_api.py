"""Cron.schedule / unschedule / get_schedules against a real database."""

from __future__ import annotations

import pytest

from chancy import Chancy, Job, job
from chancy.errors import InvalidJobError, InvalidScheduleError, UnknownQueueError
from chancy.plugins.cron import Cron, Missed, default_name

from ._helpers import elect, execute


@job
def send_report(kind: str = "daily") -> None:
    """A job function for the tests (never run here)."""


async def test_schedule_stores_a_job_under_its_name(chancy: Chancy) -> None:
    name = await Cron.schedule(
        chancy,
        "*/5 * * * *",
        send_report.job.with_kwargs(kind="weekly").with_priority(3),
        name="reports",
        timezone="Europe/Berlin",
        missed="all",
    )
    assert name == "reports"
    (schedule,) = await Cron.get_schedules(chancy)
    assert schedule.name == "reports"
    assert schedule.expression == "*/5 * * * *"
    assert schedule.timezone == "Europe/Berlin"
    assert schedule.missed is Missed.ALL
    assert schedule.job.func == send_report.job.func
    assert schedule.job.kwargs == {"kind": "weekly"}
    assert schedule.job.priority == 3
    assert schedule.last_run is None
    assert schedule.next_run is None  # computed by the leader


async def test_default_names_are_stable(chancy: Chancy) -> None:
    plain = await Cron.schedule(chancy, "0  * * * *", send_report)
    assert plain == f"{send_report.job.func} 0 * * * *"
    keyed = await Cron.schedule(
        chancy, "0 * * * *", send_report.job.with_unique_key("report-hourly")
    )
    assert keyed == "report-hourly"
    a = await Cron.schedule(chancy, "0 * * * *", send_report.job.with_kwargs(kind="a"))
    b = await Cron.schedule(chancy, "0 * * * *", send_report.job.with_kwargs(kind="b"))
    assert len({plain, keyed, a, b}) == 4
    assert a == default_name(send_report.job.with_kwargs(kind="a"), "0 * * * *")
    names = [s.name for s in await Cron.get_schedules(chancy)]
    assert sorted(names) == sorted([plain, keyed, a, b])


async def test_several_jobs_make_several_schedules(chancy: Chancy) -> None:
    names = await Cron.schedule(
        chancy,
        "0 * * * *",
        Job(func="app.a"),
        Job(func="app.b"),
    )
    assert names == ["app.a 0 * * * *", "app.b 0 * * * *"]
    with pytest.raises(TypeError):
        await Cron.schedule(
            chancy, "0 * * * *", Job(func="app.a"), Job(func="b"), name="x"
        )  # type: ignore[call-overload]


async def test_registering_again_changes_nothing(chancy: Chancy) -> None:
    await Cron.schedule(chancy, "* * * * * *", Job(func="app.tick"), name="t")
    term = await elect(chancy, "w1")
    await Cron().fire_due(chancy, term=term)
    (before,) = await Cron.get_schedules(chancy)
    assert before.next_run is not None

    await Cron.schedule(chancy, "* * * * * *", Job(func="app.tick"), name="t")
    (after,) = await Cron.get_schedules(chancy)
    assert after == before


async def test_a_new_job_keeps_the_timing_a_new_expression_resets_it(
    chancy: Chancy,
) -> None:
    await Cron.schedule(chancy, "0 * * * *", Job(func="app.a"), name="s")
    term = await elect(chancy, "w1")
    await Cron().fire_due(chancy, term=term)
    (first,) = await Cron.get_schedules(chancy)

    await Cron.schedule(
        chancy, "0 * * * *", Job(func="app.b", kwargs={"x": 1}), name="s"
    )
    (changed_job,) = await Cron.get_schedules(chancy)
    assert changed_job.job.func == "app.b"
    assert changed_job.next_run == first.next_run
    assert changed_job.revision == first.revision

    await Cron.schedule(
        chancy, "30 * * * *", Job(func="app.b", kwargs={"x": 1}), name="s"
    )
    (changed_timing,) = await Cron.get_schedules(chancy)
    assert changed_timing.next_run is None
    assert changed_timing.revision == first.revision + 1
    await Cron().fire_due(chancy, term=term)
    (recomputed,) = await Cron.get_schedules(chancy)
    assert recomputed.next_run is not None and recomputed.next_run.minute == 30


@pytest.mark.parametrize(
    ("expression", "timezone", "missed", "words"),
    [
        ("61 * * * *", "UTC", "latest", "minute field '61'"),
        ("* * * * 9", "UTC", "latest", "day of week field '9'"),
        ("* * * *", "UTC", "latest", "4 fields"),
        ("* * * * *", "Mars/Olympus", "latest", "unknown time zone 'Mars/Olympus'"),
        ("* * * * *", "UTC", "sometimes", "invalid missed policy 'sometimes'"),
    ],
)
async def test_invalid_schedules_are_refused_and_nothing_is_stored(
    chancy: Chancy, expression: str, timezone: str, missed: str, words: str
) -> None:
    await Cron.schedule(chancy, "0 * * * *", Job(func="app.a"), name="keep")
    with pytest.raises(InvalidScheduleError, match=words):
        await Cron.schedule(
            chancy,
            expression,
            Job(func="app.a"),
            name="keep",
            timezone=timezone,
            missed=missed,
        )
    (kept,) = await Cron.get_schedules(chancy)
    assert kept.expression == "0 * * * *" and kept.timezone == "UTC"


async def test_unknown_queue_and_bad_job_fields_are_refused(chancy: Chancy) -> None:
    with pytest.raises(UnknownQueueError, match="nowhere"):
        await Cron.schedule(chancy, "* * * * *", Job(func="app.a", queue="nowhere"))
    with pytest.raises(InvalidJobError, match="kwargs"):
        await Cron.schedule(
            chancy, "* * * * *", Job(func="app.a", kwargs={"x": {1, 2}})
        )
    with pytest.raises(InvalidScheduleError, match="scheduled_at"):
        import datetime as dt

        await Cron.schedule(
            chancy,
            "* * * * *",
            Job(func="app.a", scheduled_at=dt.datetime.now(dt.UTC)),
        )
    with pytest.raises(InvalidScheduleError, match="name"):
        await Cron.schedule(chancy, "* * * * *", Job(func="app.a"), name="a\nb")
    assert await Cron.get_schedules(chancy) == []


async def test_sql_schedules_are_seen_and_sql_errors_name_the_field(
    chancy: Chancy,
) -> None:
    await execute(
        chancy,
        "SELECT chancy.schedule(name => 'from-sql', expression => '*/2 * * * *',"
        " func => 'app.sql_job', kwargs => '{\"n\": 1}',"
        " timezone => 'America/New_York', missed => 'skip')",
    )
    (schedule,) = await Cron.get_schedules(chancy, names=["from-sql"])
    assert schedule.job.kwargs == {"n": 1}
    assert schedule.missed is Missed.SKIP
    with pytest.raises(InvalidScheduleError, match="day of week field '!'"):
        await execute(chancy, "SELECT chancy.schedule('x', '0 * * * * ! ', 'app.f')")


async def test_unschedule_counts_what_existed(chancy: Chancy) -> None:
    await Cron.schedule(chancy, "* * * * *", Job(func="app.a"), name="a")
    await Cron.schedule(chancy, "* * * * *", Job(func="app.b"), name="b")
    assert await Cron.unschedule(chancy, "a", "missing") == 1
    assert [s.name for s in await Cron.get_schedules(chancy)] == ["b"]
    assert await Cron.unschedule(chancy, "a") == 0


def test_plugin_identity_and_options() -> None:
    assert Cron.get_identifier() == "chancy.cron"
    assert Cron.leader_only
    with pytest.raises(ValueError, match="poll_interval"):
        Cron(poll_interval=0)
    with pytest.raises(ValueError, match="catch_up_limit"):
        Cron(catch_up_limit=0)
