"""Kwargs are JSON: values it cannot hold exactly are refused, on both paths."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import psycopg
import pytest

from chancy import Chancy, Job
from chancy.errors import InvalidJobError


def _nested(levels: int) -> list[Any]:
    outer: list[Any] = []
    inner = outer
    for _ in range(levels):
        inner.append([])
        inner = inner[0]
    return outer


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"when": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}, r"kwargs\['when'\]"),
        ({"day": dt.date(2030, 1, 1)}, r"kwargs\['day'\]"),
        ({"amount": decimal.Decimal("1.10")}, r"kwargs\['amount'\]"),
        ({"id": uuid.uuid4()}, r"kwargs\['id'\]"),
        ({"blob": b"\x00\x01"}, r"kwargs\['blob'\]"),
        ({"tags": {"a", "b"}}, r"kwargs\['tags'\]"),
        ({"pair": (1, 2)}, r"kwargs\['pair'\]"),
        ({"x": float("nan")}, r"kwargs\['x'\]"),
        ({"x": float("inf")}, r"kwargs\['x'\]"),
        ({"s": "a\x00b"}, r"kwargs\['s'\]"),
        ({"d": {1: "one"}}, r"kwargs\['d'\]"),
        (
            {"deep": [{"ok": 1}, {"when": dt.time(1, 2)}]},
            r"kwargs\['deep'\]\[1\]\['when'\]",
        ),
        ({"obj": object()}, r"kwargs\['obj'\]"),
        ({"s": "\ud800"}, r"kwargs\['s'\].*surrogate"),
        ({"\udfff": 1}, r"kwargs.*surrogate"),
        ({"deep": _nested(1000)}, r"kwargs\['deep'\](\[0\])+: nested deeper"),
    ],
)
async def test_python_push_refuses_values_json_cannot_hold(
    chancy: Chancy, kwargs: dict[str, Any], path: str
) -> None:
    with pytest.raises(InvalidJobError, match=path):
        await chancy.push(Job(func="f", kwargs=kwargs))
    with pytest.raises(InvalidJobError, match=path):
        await chancy.push_many([Job(func="f", kwargs=kwargs)])
    async with chancy.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM chancy.jobs")
        assert await cur.fetchone() == (0,)


async def test_meta_is_checked_like_kwargs(chancy: Chancy) -> None:
    with pytest.raises(InvalidJobError, match=r"meta\['at'\]"):
        await chancy.push(Job(func="f", meta={"at": dt.datetime.now(dt.UTC)}))


async def test_json_values_round_trip_exactly(chancy: Chancy) -> None:
    kwargs = {
        "none": None,
        "flags": [True, False],
        "int": 2**70,
        "neg": -5,
        "float": 0.1,
        "tiny": 1e-300,
        "text": 'héllo \u2603 "quoted" \\ back',
        "empty": {},
        "list": [[], [1, [2, [3]]]],
        "keys": {"": 1, "a b": 2, "ünï": 3},
    }
    ref = await chancy.push(Job(func="f", kwargs=kwargs))
    stored = await chancy.get_job(ref)
    assert stored is not None
    assert stored.kwargs == kwargs
    assert type(stored.kwargs["float"]) is float
    assert type(stored.kwargs["int"]) is int


async def test_sql_push_refuses_a_nul_character(
    chancy: Chancy, conn: psycopg.AsyncConnection[object]
) -> None:
    with pytest.raises(psycopg.errors.UntranslatableCharacter):
        await conn.execute("SELECT chancy.push('f', %s::jsonb)", ['{"s": "a\\u0000b"}'])
    await conn.rollback()
    with pytest.raises(psycopg.errors.UntranslatableCharacter):
        await conn.execute(
            "SELECT * FROM chancy.push_many(%s::jsonb)",
            ['[{"func": "f", "kwargs": {"s": "\\u0000"}}]'],
        )
    await conn.rollback()
    cur = await conn.execute("SELECT count(*) FROM chancy.jobs")
    assert await cur.fetchone() == (0,)


async def test_sql_push_refuses_malformed_json(
    conn: psycopg.AsyncConnection[object],
) -> None:
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        await conn.execute("SELECT chancy.push('f', %s::jsonb)", ["{'single': 1}"])
    await conn.rollback()
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        await conn.execute("SELECT chancy.push('f', %s::jsonb)", ['{"x": NaN}'])
    await conn.rollback()


@pytest.mark.parametrize("kwargs", ["[1, 2]", '"text"', "42", "null"])
async def test_sql_push_refuses_kwargs_that_are_not_an_object(
    conn: psycopg.AsyncConnection[object], kwargs: str
) -> None:
    with pytest.raises(psycopg.Error) as caught:
        await conn.execute("SELECT chancy.push('f', %s::jsonb)", [kwargs])
    assert caught.value.sqlstate == "CH002"
    assert "kwargs" in str(caught.value)


async def test_sql_errors_map_to_chancy_errors(chancy: Chancy) -> None:
    # A Chancy call that reaches the SQL check gets the mapped exception.
    from chancy.errors import from_psycopg

    async with chancy.connection() as conn:
        with pytest.raises(psycopg.Error) as caught:
            await conn.execute("SELECT chancy.push('f', '[]'::jsonb)")
    mapped = from_psycopg(caught.value)
    assert isinstance(mapped, InvalidJobError)
    assert "kwargs" in str(mapped)
