"""Job, QueuedJob, Limit, Reference, the @job decorator, and the error mapping."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import psycopg
import pytest

from chancy import Job, Limit, QueuedJob, Reference, job
from chancy.errors import (
    ChancyError,
    InvalidJobError,
    InvalidQueueError,
    InvalidRuleError,
    InvalidScheduleError,
    InvalidStateError,
    JobNotFoundError,
    NotLeaderError,
    UnknownQueueError,
    from_psycopg,
)

from .jobs import greet


def test_reference_equals_its_id_in_any_form() -> None:
    value = uuid.uuid4()
    ref = Reference(value)
    assert ref == value == Reference(str(value))
    assert ref == str(value)
    assert ref != "not-a-uuid"
    assert len({ref, Reference(str(value))}) == 1
    assert str(ref) == str(value)
    with pytest.raises(InvalidJobError, match="not a job id"):
        Reference("nope")


def test_the_decorator_keeps_the_function_callable() -> None:
    assert greet("a") == "hello a"
    assert greet.job.func.endswith("jobs.greet")
    assert greet.job.priority == 3

    @job
    def bare() -> int:
        return 1

    assert bare() == 1 and bare.job.queue == "default"


def test_builders_return_changed_copies() -> None:
    base = Job(func="f")
    at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    changed = (
        base.with_priority(5)
        .with_max_attempts(3)
        .with_scheduled_at(at)
        .with_limits([Limit(Limit.Type.TIME, 10)])
        .with_kwargs(a=1)
        .with_unique_key("u")
        .with_queue("q")
        .with_meta({"m": 1})
    )
    assert base == Job(func="f")
    assert changed == Job(
        func="f",
        priority=5,
        max_attempts=3,
        scheduled_at=at,
        limits=[Limit(Limit.Type.TIME, 10)],
        kwargs={"a": 1},
        unique_key="u",
        queue="q",
        meta={"m": 1},
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.priority = 3  # type: ignore[misc]
    assert Job.from_dict(changed.to_dict()) == changed


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"priority": 40000}, "priority"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"func": ""}, "func"),
        ({"unique_key": ""}, "unique_key"),
        ({"kwargs": [1]}, "kwargs"),
        ({"limits": [("time", 3)]}, "limits"),
    ],
)
def test_bad_job_fields_are_named(options: dict[str, object], field: str) -> None:
    params = {"func": "f", **options}
    with pytest.raises(InvalidJobError, match=field):
        Job(**params)  # type: ignore[arg-type]


def test_limits() -> None:
    assert Limit("memory", 5).type_ is Limit.Type.MEMORY  # type: ignore[arg-type]
    assert Limit.deserialize(Limit(Limit.Type.TIME, 3).serialize()) == Limit(
        Limit.Type.TIME, 3
    )
    with pytest.raises(InvalidJobError, match="limit type"):
        Limit("cpu", 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidJobError, match="positive"):
        Limit(Limit.Type.TIME, 0)


def test_queued_job_states() -> None:
    assert {s.value for s in QueuedJob.State} == {
        "pending",
        "running",
        "retrying",
        "succeeded",
        "failed",
        "cancelled",
    }
    done = QueuedJob(id=uuid.uuid4(), func="f", state="cancelled")  # type: ignore[arg-type]
    assert done.state is QueuedJob.State.CANCELLED and done.is_finished


_RAISE = "DO $$ BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = '{}'; END $$"


@pytest.mark.parametrize(
    ("sqlstate", "expected"),
    [
        ("CH001", UnknownQueueError),
        ("CH002", InvalidJobError),
        ("CH003", NotLeaderError),
        ("CH004", JobNotFoundError),
        ("CH005", InvalidQueueError),
        ("CH006", InvalidRuleError),
        ("CH007", InvalidScheduleError),
        ("CH008", InvalidStateError),
    ],
)
def test_each_chancy_sqlstate_maps_to_one_class(
    admin_dsn: str, sqlstate: str, expected: type[ChancyError]
) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(_RAISE.format(sqlstate))  # type: ignore[arg-type]
    mapped = from_psycopg(caught.value)
    assert type(mapped) is expected and str(mapped) == "boom"


@pytest.mark.parametrize(
    ("statement", "expected", "constraint"),
    [
        (
            "INSERT INTO chancy.jobs (id, queue, func) "
            "VALUES (gen_random_uuid(), 'nope', 'f')",
            UnknownQueueError,
            "jobs_queue_fkey",
        ),
        (
            "INSERT INTO chancy.jobs (id, queue, func, priority) "
            "VALUES (gen_random_uuid(), 'default', 'f', 99999)",
            InvalidJobError,
            "jobs_priority_range",
        ),
        (
            "UPDATE chancy.queues SET concurrency = 0",
            InvalidQueueError,
            "queues_concurrency_positive",
        ),
    ],
)
def test_constraint_violations_map_by_constraint_name(
    dsn: str, statement: str, expected: type[ChancyError], constraint: str
) -> None:
    with psycopg.connect(dsn) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(statement)  # type: ignore[arg-type]
    mapped = from_psycopg(caught.value)
    assert type(mapped) is expected
    assert constraint in str(mapped)


def test_other_database_errors_pass_through(admin_dsn: str) -> None:
    with psycopg.connect(admin_dsn) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute("SELECT nonsense FROM")
    assert from_psycopg(caught.value) is caught.value


def test_from_func_keeps_the_decorators_options_as_defaults() -> None:
    from chancy import job

    @job(queue="mail", max_attempts=3, priority=2)
    def send(*, to: str) -> None: ...

    built = Job.from_func(send, kwargs={"to": "a@b.c"}, priority=5)
    assert (built.queue, built.max_attempts, built.priority) == ("mail", 3, 5)
    assert built.kwargs == {"to": "a@b.c"}
    assert built.func == send.job.func
