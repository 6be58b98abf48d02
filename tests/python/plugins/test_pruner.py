"""The Pruner deletes exactly the finished jobs its rule matches, in batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from chancy import Chancy
from chancy.errors import InvalidRuleError, NotLeaderError
from chancy.plugins.pruner import Pruner
from chancy.plugins.rule import Age, Job, Meta, Queue, State

from ._jobs import insert_job

DAY = 86400
UNFINISHED = {"pending", "running", "retrying"}


@pytest.fixture
def jobs(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """Old and new jobs in every state, in two queues, with meta."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO chancy.queues (name) VALUES ('mail')")
        for queue in ("default", "mail"):
            for state in ("succeeded", "failed", "cancelled", *sorted(UNFINISHED)):
                for age, tenant in ((2 * DAY, "acme"), (60, "beta"), (3 * DAY, "x%y")):
                    attempts = {"retrying": 1}.get(state)
                    insert_job(
                        conn,
                        f"app.{state}_{queue}_{age}",
                        state=state,
                        queue=queue,
                        age=age,
                        attempts=attempts,
                        max_attempts=2,
                        meta={"tenant": tenant, "size": age // 60},
                    )
        yield conn


def count(conn: psycopg.Connection[Any], where: str = "true") -> int:
    row = conn.execute(f"SELECT count(*) FROM chancy.jobs WHERE {where}").fetchone()
    assert row is not None
    return int(row[0])


# Finished jobs per (queue, age, tenant): 3 states x 2 queues x 3 ages = 18.
@pytest.mark.parametrize(
    ("rule", "deleted"),
    [
        (Age() > DAY, 12),
        (Age() > 10 * DAY, 0),
        (Age() >= 0, 18),
        ((Queue() == "mail") & (Age() > DAY), 6),
        ((Queue() == "mail") | (State() == "failed"), 9 + 3),
        (~(Queue() == "mail"), 9),
        (~((Queue() == "mail") | (Age() < 3600)), 6),
        (State().in_(["failed", "cancelled"]), 12),
        (State().not_in(["failed", "cancelled"]), 6),
        (State().in_(["pending", "running", "retrying"]), 0),
        (Meta("tenant") == "acme", 6),
        (Meta("tenant").in_(["acme", "beta"]), 12),
        (Meta("tenant").contains("%"), 6),
        (Meta("tenant").contains("x%"), 6),
        (Meta("tenant").contains("%x"), 0),
        (Meta("size") >= 2 * DAY // 60, 12),
        (Meta("missing").is_null(), 18),
        (Job().contains("_mail_"), 9),
        (Job().like("app.succeeded\\_%"), 6),
        ((State() == "succeeded") & (Meta("tenant") != "acme") & (Age() > DAY), 2),
    ],
)
async def test_prune_deletes_exactly_the_matching_finished_jobs(
    chancy: Chancy, jobs: psycopg.Connection[Any], rule: Any, deleted: int
) -> None:
    unfinished_before = count(jobs, "state IN ('pending', 'running', 'retrying')")
    assert unfinished_before == 18

    assert await Pruner(rule).prune(chancy) == deleted

    assert count(jobs) == 36 - deleted
    assert count(jobs, "state IN ('pending', 'running', 'retrying')") == 18


ODD = "a;b -- c /* d */"


@pytest.mark.parametrize(
    ("rule", "deleted"),
    [
        (Meta("note") == ODD, 1),
        (Meta("note").contains(";"), 1),
        (Meta("note").in_(["x", ODD]), 1),
        (Meta(ODD) == 1, 1),
        (Job() == "app;odd--name", 1),
        (Job().like("%--%"), 1),
        (Meta("note") != ODD, 2),
    ],
)
async def test_values_holding_separators_or_comment_marks_prune_by_value(
    chancy: Chancy, dsn: str, rule: Any, deleted: int
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        insert_job(conn, "app.odd", meta={"note": ODD, ODD: 1})
        insert_job(conn, "app.plain", meta={"note": "a"})
        insert_job(conn, "app;odd--name", state="failed")
        insert_job(conn, "app.odd_pending", state="pending", meta={"note": ODD, ODD: 1})

        assert await Pruner(rule).prune(chancy) == deleted
        assert count(conn) == 4 - deleted
        assert count(conn, "func = 'app.odd_pending'") == 1


async def test_prune_runs_in_batches_until_none_is_left(
    chancy: Chancy, jobs: psycopg.Connection[Any]
) -> None:
    assert await Pruner(Age() >= 0, maximum_to_prune=4).prune(chancy) == 18
    assert count(jobs, "state IN ('succeeded', 'failed', 'cancelled')") == 0
    assert count(jobs) == 18


async def test_prune_with_a_deposed_leaders_term_is_refused(
    chancy: Chancy, jobs: psycopg.Connection[Any]
) -> None:
    old = jobs.execute("SELECT term FROM chancy.elect('w1', 60)").fetchone()
    jobs.execute("SELECT chancy.resign('w1')")
    new = jobs.execute("SELECT term FROM chancy.elect('w2', 60)").fetchone()
    assert old is not None and new is not None and new[0] > old[0]

    with pytest.raises(NotLeaderError):
        await Pruner(Age() >= 0).prune(chancy, term=old[0])
    assert count(jobs) == 36

    assert await Pruner(Age() >= 0).prune(chancy, term=new[0]) == 18


def test_pruner_refuses_a_rule_that_collapsed_to_a_bool() -> None:
    with pytest.raises(InvalidRuleError, match="plain bool"):
        Pruner(False)  # type: ignore[arg-type]
    with pytest.raises(InvalidRuleError, match="parentheses"):
        Pruner(Queue() == "x" & (Age() > 60))  # type: ignore[operator]
    with pytest.raises(InvalidRuleError):
        Pruner("age > 5")  # type: ignore[arg-type]


def test_pruner_validates_its_settings() -> None:
    with pytest.raises(ValueError, match="maximum_to_prune"):
        Pruner(maximum_to_prune=0)
    with pytest.raises(ValueError, match="poll_interval"):
        Pruner(poll_interval=0)
    pruner = Pruner(Age() > 60 * 60, poll_interval=10)
    assert pruner.poll_interval == 10
    assert pruner.predicate == (
        "(j.completed_at < now() - make_interval(secs => 3600.0))"
    )
    assert Pruner().predicate == (
        "(j.completed_at < now() - make_interval(secs => 86400.0))"
    )
    assert Pruner.get_identifier() == "chancy.pruner"
    assert Pruner.leader_only


def prune_plans(dsn: str) -> tuple[int, list[str]]:
    """Prune with the default rule on a large table; the plans of its statements.

    The plans come from auto_explain, which reports the statements
    chancy.prune runs inside itself.
    """
    plans: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        # 200k finished jobs, finished 0 to 25 hours ago: 8000 are over a day old.
        conn.execute(
            """
            INSERT INTO chancy.jobs (id, queue, func, state, attempts,
                                     created_at, completed_at)
            SELECT gen_random_uuid(), 'default', 'app.f', 'succeeded', 1,
                   now() - make_interval(secs => g * 0.45),
                   now() - make_interval(secs => g * 0.45)
              FROM generate_series(1, 200000) AS g
            """
        )
        conn.execute(
            "INSERT INTO chancy.jobs (id, queue, func, created_at) "
            "SELECT gen_random_uuid(), 'default', 'app.p', now() - interval '9 days' "
            "FROM generate_series(1, 1000)"
        )
        conn.execute("ANALYZE chancy.jobs")

        conn.add_notice_handler(lambda diag: plans.append(diag.message_primary or ""))
        conn.execute("LOAD 'auto_explain'")
        conn.execute("SET auto_explain.log_min_duration = 0")
        conn.execute("SET auto_explain.log_nested_statements = on")
        conn.execute("SET auto_explain.log_level = 'notice'")
        conn.execute("SET client_min_messages = 'notice'")
        row = conn.execute(
            "SELECT chancy.prune(predicate => %s, max_rows => 10000)",
            (Pruner().predicate,),
        ).fetchone()
        conn.execute("SET auto_explain.log_min_duration = -1")

        assert row is not None
        deleted = int(row[0])
        assert count(conn) == 201000 - deleted
        assert count(conn, "state = 'pending'") == 1000
    return deleted, plans


def test_default_rule_uses_the_prune_index_on_a_large_table(dsn: str) -> None:
    deleted, plans = prune_plans(dsn)
    assert 8000 <= deleted < 8100
    report = "\n\n".join(plans)
    assert any("Index Scan using jobs_prune_idx on jobs j" in p for p in plans), report
    assert not any("Seq Scan on jobs" in p for p in plans), report
