"""Bad cron schedules and prune rules: refused, naming the problem; nothing changed."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from chancy import Chancy, Job
from chancy.errors import InvalidRuleError, InvalidScheduleError

from ._helpers import fingerprint, seed

pytest.importorskip("croniter", reason="the cron plugin needs croniter")

from chancy.plugins.cron import Cron  # noqa: E402
from chancy.plugins.rule import Age, compile_rule  # noqa: E402


@pytest.fixture
def before(dsn: str) -> tuple[Any, ...]:
    return seed(dsn)


@pytest.mark.parametrize(
    ("expression", "timezone", "named"),
    [
        ("61 * * * *", "UTC", "61"),
        ("not a cron", "UTC", "not a cron"),
        ("* * * *", "UTC", "* * * *"),
        ("@sometimes", "UTC", "@sometimes"),
        ("* * * * *", "Mars/Olympus_Mons", "Mars/Olympus_Mons"),
        ("* * * * *", "", "time zone"),
    ],
)
async def test_invalid_cron(
    chancy: Chancy,
    dsn: str,
    before: tuple[Any, ...],
    expression: str,
    timezone: str,
    named: str,
) -> None:
    with pytest.raises(InvalidScheduleError) as caught:
        await Cron.schedule(chancy, expression, Job(func="a.b"), timezone=timezone)
    assert named in str(caught.value)
    assert fingerprint(dsn) == before


@pytest.mark.parametrize(
    ("expression", "timezone"),
    [("not a cron", "UTC"), ("* * * *", "UTC"), ("* * * * *", "Mars/Olympus_Mons")],
)
def test_invalid_cron_in_sql(
    dsn: str, before: tuple[Any, ...], expression: str, timezone: str
) -> None:
    """The engine refuses a malformed shape or zone for callers of SQL alone.

    It checks the shape only: a field out of range (``61 * * * *``) is
    refused by the Python API (croniter), not by ``chancy.schedule``.
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(
                "SELECT chancy.schedule(name => 'bad', expression => %s,"
                " func => 'a.b', timezone => %s)",
                (expression, timezone),
            )
    assert caught.value.sqlstate == "CH007", caught.value
    assert fingerprint(dsn) == before


@pytest.mark.parametrize(
    ("predicate", "named"),
    [
        ("j.no_such_field > 1", "no_such_field"),
        ("j.meta->>'x' = 'y'; DELETE FROM chancy.jobs", ";"),
        ("j.priority", "boolean"),
        ("", "empty"),
    ],
)
def test_prune_rule_refused(
    dsn: str, before: tuple[Any, ...], predicate: str, named: str
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE chancy.jobs SET state = 'cancelled', completed_at = now()")
        after_cancel = fingerprint(dsn)
        with pytest.raises(psycopg.Error) as caught:
            conn.execute("SELECT chancy.prune(predicate => %s)", (predicate,))
    assert caught.value.sqlstate == "CH006"
    assert named in str(caught.value)
    assert fingerprint(dsn) == after_cancel


def test_rule_that_is_not_a_condition() -> None:
    with pytest.raises(InvalidRuleError, match="no truth value"):
        compile_rule((Age() > 3) or True)
    with pytest.raises(InvalidRuleError, match="plain bool"):
        compile_rule(True)
    with pytest.raises(InvalidRuleError, match="field"):
        compile_rule(Age())
    with pytest.raises(AttributeError, match="NoSuchField"):
        from chancy.plugins import rule

        rule.NoSuchField()  # type: ignore[attr-defined]
