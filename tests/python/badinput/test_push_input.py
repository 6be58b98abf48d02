"""Bad input to a push: a clear error naming the problem; nothing stored changes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import psycopg
import pytest

from chancy import Chancy, Job
from chancy.errors import ChancyError, InvalidJobError, UnknownQueueError

from ._helpers import fingerprint, seed


@pytest.fixture
def before(dsn: str) -> tuple[Any, ...]:
    return seed(dsn)


async def test_unknown_queue(chancy: Chancy, dsn: str, before: tuple[Any, ...]) -> None:
    with pytest.raises(UnknownQueueError, match="nowhere"):
        await chancy.push(Job(func="a.b", queue="nowhere"))
    with pytest.raises(UnknownQueueError, match="nowhere"):
        await chancy.push_many([Job(func="a.b"), Job(func="a.b", queue="nowhere")])
    assert fingerprint(dsn) == before


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"x": object()}, "kwargs['x']"),
        ({"x": float("nan")}, "kwargs['x']"),
        ({"x": float("inf")}, "kwargs['x']"),
        ({"x": {1, 2}}, "kwargs['x']"),
        ({"x": b"bytes"}, "kwargs['x']"),
        ({"x": dt.datetime.now(dt.UTC)}, "kwargs['x']"),
        ({1: "int key"}, "key 1"),
        ({"deep": [{"er": object()}]}, "kwargs['deep']"),
    ],
)
async def test_kwargs_json_cannot_hold(
    chancy: Chancy,
    dsn: str,
    before: tuple[Any, ...],
    kwargs: dict[Any, Any],
    names: str,
) -> None:
    with pytest.raises(InvalidJobError) as caught:
        await chancy.push(Job(func="a.b", kwargs=kwargs))
    assert names in str(caught.value)
    # In a batch: the whole batch is refused, naming the job.
    with pytest.raises(InvalidJobError, match=r"jobs\[1\]"):
        await chancy.push_many([Job(func="a.b"), Job(func="a.b", kwargs=kwargs)])
    assert fingerprint(dsn) == before


@pytest.mark.parametrize("where", ["kwargs value", "kwargs key", "meta"])
async def test_nul_in_json(
    chancy: Chancy, dsn: str, before: tuple[Any, ...], where: str
) -> None:
    job = {
        "kwargs value": Job(func="a.b", kwargs={"x": "a\x00b"}),
        "kwargs key": Job(func="a.b", kwargs={"a\x00": 1}),
        "meta": Job(func="a.b", meta={"m": "\x00"}),
    }[where]
    with pytest.raises(InvalidJobError, match="NUL"):
        await chancy.push(job)
    assert fingerprint(dsn) == before


@pytest.mark.parametrize("field", ["func", "queue", "unique_key"])
async def test_nul_in_text_fields(
    chancy: Chancy, dsn: str, before: tuple[Any, ...], field: str
) -> None:
    options: dict[str, Any] = {"func": "a.b", field: "x\x00y"}
    try:
        with pytest.raises(InvalidJobError, match=field):
            await chancy.push(Job(**options))
    finally:
        assert fingerprint(dsn) == before


async def test_megabyte_kwargs_round_trip(
    chancy: Chancy, dsn: str, before: Any
) -> None:
    """1 MB of kwargs is stored and read back unchanged (jsonb holds up to 255 MB;
    Chancy sets no lower limit, and the NOTIFY payload never carries kwargs)."""
    big = {"blob": "y" * (1 << 20), "list": list(range(1000))}
    ref = await chancy.push(Job(func="a.b", kwargs=big))
    job = await chancy.get_job(ref)
    assert job is not None and job.kwargs == big
    count, *_ = fingerprint(dsn)
    assert count == before[0] + 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("priority", 32768),
        ("priority", -32769),
        ("max_attempts", 0),
        ("max_attempts", 1001),
        ("max_attempts", -1),
    ],
)
async def test_out_of_range(
    chancy: Chancy, dsn: str, before: tuple[Any, ...], field: str, value: int
) -> None:
    with pytest.raises(InvalidJobError, match=field):
        await chancy.push(Job(func="a.b", **{field: value}))
    # The SQL engine refuses the same values for callers that bypass Python.
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(
                "SELECT chancy.push(func => 'a.b', priority => %s, max_attempts => %s)",
                (
                    value if field == "priority" else 0,
                    value if field == "max_attempts" else 1,
                ),
            )
    assert caught.value.sqlstate == "CH002"
    assert field in str(caught.value)
    assert fingerprint(dsn) == before


async def test_naive_scheduled_at(
    chancy: Chancy, dsn: str, before: tuple[Any, ...]
) -> None:
    with pytest.raises(InvalidJobError, match="scheduled_at"):
        await chancy.push(Job(func="a.b", scheduled_at=dt.datetime(2030, 1, 1)))
    with pytest.raises(InvalidJobError, match="scheduled_at"):
        Job(func="a.b").with_scheduled_at(dt.datetime(2030, 1, 1))
    assert fingerprint(dsn) == before


async def test_push_many_raw_json_refused_whole(
    dsn: str, before: tuple[Any, ...]
) -> None:
    """push_many from SQL: one bad element refuses the batch, naming its place."""
    payload = [{"func": "a.b"}, {"func": "a.b", "priority": "high"}]
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(
                "SELECT * FROM chancy.push_many(jobs => %s::jsonb)",
                (json.dumps(payload),),
            )
    assert caught.value.sqlstate == "CH002"
    assert "priority" in str(caught.value)
    assert fingerprint(dsn) == before


def test_errors_are_chancy_errors() -> None:
    assert issubclass(InvalidJobError, ChancyError)
    assert issubclass(UnknownQueueError, ChancyError)
