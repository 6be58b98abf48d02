"""Rules compile to SQL predicates that match exactly the rows they read as."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from chancy.errors import InvalidRuleError
from chancy.plugins.pruner import Pruner
from chancy.plugins.rule import (
    ID,
    Age,
    Attempts,
    Column,
    CompletedAt,
    Condition,
    CreatedAt,
    Job,
    Meta,
    Priority,
    Queue,
    ScheduledAt,
    State,
    compile_rule,
)

from ._jobs import insert_job

DAY = 86400


@pytest.fixture
def conn(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to a migrated database holding a known set of jobs."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO chancy.queues (name) VALUES ('mail')")
        insert_job(
            conn,
            "old_ok",
            age=3 * DAY,
            finished_age=2 * DAY,
            meta={"tenant": "acme", "n": 5},
        )
        insert_job(
            conn,
            "mail_failed",
            state="failed",
            queue="mail",
            age=2 * DAY,
            finished_age=7200,
            priority=5,
            attempts=3,
            max_attempts=3,
            meta={"tenant": "beta", "n": "5"},
        )
        insert_job(
            conn,
            "send_50%_off",
            state="cancelled",
            queue="mail",
            age=20,
            finished_age=10,
            meta={"flag": True, "n": 12.5, "nested": {"k": "v"}},
        )
        insert_job(conn, "fresh_ok", age=5, meta={"tenant": "ACME Corp"})
        insert_job(
            conn,
            "old_pending",
            state="pending",
            age=3 * DAY,
            priority=-3,
            meta={"tenant": "acme"},
        )
        insert_job(
            conn, "old_running", state="running", age=3 * DAY, meta={"tenant": "x_y"}
        )
        insert_job(
            conn,
            "old_retrying",
            state="retrying",
            age=3 * DAY,
            attempts=1,
            max_attempts=3,
            meta={"n": None},
        )
        yield conn


def matching(conn: psycopg.Connection[Any], rule: Condition) -> set[str]:
    query = sql.SQL("SELECT j.func FROM chancy.jobs j WHERE {}").format(rule.to_sql())
    return {row[0] for row in conn.execute(query)}


ALL = {
    "old_ok",
    "mail_failed",
    "send_50%_off",
    "fresh_ok",
    "old_pending",
    "old_running",
    "old_retrying",
}
FINISHED = {"old_ok", "mail_failed", "send_50%_off", "fresh_ok"}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (Age() > DAY, {"old_ok", "old_pending", "old_running", "old_retrying"}),
        (
            Age() >= 3600,
            {"old_ok", "mail_failed", "old_pending", "old_running", "old_retrying"},
        ),
        (Age() < 60, {"send_50%_off", "fresh_ok"}),
        (Age() <= 60, {"send_50%_off", "fresh_ok"}),
        (Queue() == "mail", {"mail_failed", "send_50%_off"}),
        (Queue() != "mail", ALL - {"mail_failed", "send_50%_off"}),
        (Job() == "old_ok", {"old_ok"}),
        (State() == "failed", {"mail_failed"}),
        (State().in_(["pending", "retrying"]), {"old_pending", "old_retrying"}),
        (State().not_in(["succeeded"]), ALL - {"old_ok", "fresh_ok"}),
        (State().in_([]), set()),
        (State().not_in([]), ALL),
        (Priority() > 0, {"mail_failed"}),
        (Priority() < 0, {"old_pending"}),
        (Attempts() >= 3, {"mail_failed"}),
        (CompletedAt().is_null(), {"old_pending", "old_running", "old_retrying"}),
        (CompletedAt().is_not_null(), FINISHED),
        ((Queue() == "mail") & (Age() > 3600), {"mail_failed"}),
        (
            (Queue() == "mail") | (Job() == "fresh_ok"),
            {"mail_failed", "send_50%_off", "fresh_ok"},
        ),
        (~(Queue() == "mail"), ALL - {"mail_failed", "send_50%_off"}),
        (~((Queue() == "mail") & (State() == "failed")), ALL - {"mail_failed"}),
        (Job().contains("50%"), {"send_50%_off"}),
        (
            Job().contains("_"),
            {
                "mail_failed",
                "send_50%_off",
                "old_ok",
                "fresh_ok",
                "old_pending",
                "old_running",
                "old_retrying",
            },
        ),
        (
            Job().contains("OLD"),
            {"old_ok", "old_pending", "old_running", "old_retrying"},
        ),
        (Job().contains("OLD", case_sensitive=True), set()),
        (Job().like("old%"), {"old_ok", "old_pending", "old_running", "old_retrying"}),
        (Job().like("OLD%"), set()),
        (
            Job().ilike("OLD\\_%"),
            {"old_ok", "old_pending", "old_running", "old_retrying"},
        ),
        (Meta("tenant") == "acme", {"old_ok", "old_pending"}),
        (Meta("tenant") != "acme", ALL - {"old_ok", "old_pending"}),
        (
            Meta("tenant").in_(["acme", "beta"]),
            {"old_ok", "mail_failed", "old_pending"},
        ),
        (
            Meta("tenant").not_in(["acme", "beta"]),
            ALL - {"old_ok", "mail_failed", "old_pending"},
        ),
        (Meta("tenant").contains("acme"), {"old_ok", "fresh_ok", "old_pending"}),
        (Meta("tenant").contains("_"), {"old_running"}),
        (Meta("tenant").is_null(), {"send_50%_off", "old_retrying"}),
        (Meta("n") == 5, {"old_ok"}),
        (Meta("n") == 5.0, {"old_ok"}),
        (Meta("n") == "5", {"mail_failed"}),
        (Meta("n") > 6, {"send_50%_off"}),
        (Meta("n") >= 5, {"old_ok", "send_50%_off"}),
        (Meta("n") < "6", {"mail_failed"}),
        (Meta("n").is_null(), ALL - {"old_ok", "mail_failed", "send_50%_off"}),
        (Meta("flag") == True, {"send_50%_off"}),  # noqa: E712 - builds a rule
        (Meta("flag") == "true", set()),
        (Meta("nested", "k") == "v", {"send_50%_off"}),
        (Meta("nested", "missing") == "v", set()),
    ],
)
def test_rule_matches_exactly_the_rows_it_reads_as(
    conn: psycopg.Connection[Any], rule: Condition, expected: set[str]
) -> None:
    assert matching(conn, rule) == expected


def test_not_is_the_complement_even_where_a_value_is_missing(
    conn: psycopg.Connection[Any],
) -> None:
    for rule in (Meta("n") > 6, Meta("tenant") == "acme", CompletedAt().is_null()):
        assert matching(conn, rule) | matching(conn, ~rule) == ALL
        assert not matching(conn, rule) & matching(conn, ~rule)


def test_timestamp_and_id_fields_compare_with_their_own_types(
    conn: psycopg.Connection[Any],
) -> None:
    now = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
    hour_ago = now - datetime.timedelta(hours=1)
    assert matching(conn, CreatedAt() > hour_ago) == {"send_50%_off", "fresh_ok"}
    assert matching(conn, ScheduledAt() < hour_ago) == ALL - {
        "send_50%_off",
        "fresh_ok",
    }
    assert matching(conn, CompletedAt() < hour_ago) == {"old_ok", "mail_failed"}

    job_id = conn.execute(
        "SELECT id FROM chancy.jobs WHERE func = 'fresh_ok'"
    ).fetchone()[0]  # type: ignore[index]
    assert matching(conn, ID() == job_id) == {"fresh_ok"}
    assert matching(conn, ID() == str(job_id)) == {"fresh_ok"}
    assert matching(conn, ID().in_([job_id, uuid.uuid4()])) == {"fresh_ok"}


def test_values_are_quoted_literals_never_pasted_text(
    conn: psycopg.Connection[Any],
) -> None:
    hostile = "x') OR true OR ('"
    rule = (Queue() == hostile) | Meta("tenant").contains(hostile)
    assert matching(conn, rule) == set()
    assert "'x'') OR true OR ('''" in rule.as_string()
    assert conn.execute("SELECT count(*) FROM chancy.jobs").fetchone() == (7,)


def test_finished_only_compiles_age_to_completed_at() -> None:
    rule = Age() > 3600
    assert rule.as_string(finished_only=True) == (
        "(j.completed_at < now() - make_interval(secs => 3600.0))"
    )
    assert "coalesce(j.completed_at, j.created_at)" in rule.as_string()
    assert compile_rule(rule, finished_only=True) == rule.as_string(finished_only=True)


def test_compiled_rule_is_a_composable() -> None:
    assert isinstance((Queue() == "x").to_sql(), sql.Composable)


def test_pruner_rules_namespace_exposes_the_fields() -> None:
    rule = (Pruner.Rules.Queue() == "x") & (Pruner.Rules.Age() > 5)
    assert isinstance(rule, Condition)
    assert Pruner.Rules.Meta("k").path == ("k",)


# -- precedence traps and bad input ---------------------------------------------


def _raises(build: Any, match: str) -> None:
    with pytest.raises(InvalidRuleError, match=match):
        build()


def test_and_without_parentheses_is_refused() -> None:
    _raises(lambda: Queue() == "x" & (Age() > 60), "parentheses")
    _raises(lambda: Age() > 60 & (Queue() == "x"), "parentheses")


def test_comparing_a_combined_condition_is_refused() -> None:
    a, b = Queue() == "a", Age() > 1
    _raises(lambda: (a & b) | Job() == "x", "compare the field first")
    _raises(lambda: (a | b) == "x", "already true or false")
    _raises(lambda: (a & b) != 1, "already true or false")
    _raises(lambda: a < b, "already true or false")


def test_python_boolean_operators_are_refused() -> None:
    a, b = Queue() == "a", Age() > 1
    _raises(lambda: a and b, "no truth value")
    _raises(lambda: a or b, "no truth value")
    _raises(lambda: not a, "no truth value")
    _raises(lambda: bool(Age()), "not a condition")


def test_chained_comparison_is_refused() -> None:
    _raises(lambda: 1 < Age() < 5, "chained")


def test_comparison_with_none_points_to_is_null() -> None:
    _raises(lambda: Queue() == None, "is_null")  # noqa: E711 - the trap itself
    _raises(lambda: Meta("k") != None, "is_null")  # noqa: E711
    _raises(lambda: State().in_(["failed", None]), "is_null")


def test_fields_do_not_combine_without_a_comparison() -> None:
    _raises(lambda: Queue() & Job(), "only conditions combine")
    _raises(lambda: ~Queue(), "only conditions combine")
    _raises(lambda: (Queue() == "x") & "y", "both sides")
    _raises(lambda: (Queue() == "x") | True, "both sides")


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Column("nope"), "Unknown rule field 'nope'"),
        (lambda: State() == "done", "Unknown job state"),
        (lambda: Queue() == 5, "not a string"),
        (lambda: Priority() > 1.5, "not an int"),
        (lambda: Attempts() == True, "not an int"),  # noqa: E712
        (lambda: Age() > "60", "not a number"),
        (lambda: Age() > float("inf"), "finite"),
        (lambda: CreatedAt() > datetime.datetime(2024, 1, 1), "naive"),
        (lambda: ID() == "not-a-uuid", "not a UUID"),
        (lambda: Meta(), "at least one key"),
        (lambda: Meta("") == 1, "non-empty"),
        (lambda: Meta("k") == [1], "string, number or bool"),
        (lambda: Meta("k") > True, "bool"),
        (lambda: Age().contains("1"), "text fields only"),
        (lambda: Queue().in_("mail"), "list of values"),
        (lambda: Queue().like(5), "string pattern"),
        (lambda: compile_rule(False), "plain bool"),
        (lambda: compile_rule(Age()), "field, not a condition"),
        (lambda: compile_rule("age > 5"), "must be a condition"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_it(build: Any, match: str) -> None:
    _raises(build, match)


def test_rules_are_unhashable_rather_than_silently_equal() -> None:
    with pytest.raises(TypeError):
        {Queue() == "x"}  # noqa: B018
    with pytest.raises(TypeError):
        {Age(): 1}  # noqa: B018
    assert Column("queue").__class__ is Queue
