"""The SQL in docs/sql-maintenance.md runs and does what the page says."""

from __future__ import annotations

import re
import time
from pathlib import Path

import psycopg

from chancy.plugins.rule import Age, Queue

from ._jobs import insert_job

DOC = Path(__file__).resolve().parents[3] / "docs" / "sql-maintenance.md"
DAY = 86400


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_pages_rule_example_renders_as_shown() -> None:
    (python,) = blocks("python")
    shown = python.strip().splitlines()[-1].removeprefix("# ")
    rule = (Queue() == "mail") & (Age() > 86400)
    assert rule.as_string(finished_only=True) == shown


def test_the_pages_sql_prunes_and_recovers_without_a_worker(dsn: str) -> None:
    runnable = [b for b in blocks("sql") if "cron." not in b]
    assert len(runnable) == 4

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO chancy.queues (name) VALUES ('mail')")
        for _ in range(25):
            insert_job(conn, "app.old", age=3 * DAY, finished_age=2 * DAY)
        insert_job(conn, "app.fresh", age=60)
        insert_job(conn, "app.mail_old", state="failed", queue="mail", age=9 * DAY)
        insert_job(conn, "app.waiting", state="pending", age=9 * DAY)
        lost = insert_job(
            conn,
            "app.lost",
            state="running",
            age=9 * DAY,
            max_attempts=2,
            lease_seconds=0.1,
        )
        time.sleep(0.3)

        for block in runnable:
            conn.execute(block)  # type: ignore[call-overload]

        remaining = sorted(
            row[0] for row in conn.execute("SELECT func FROM chancy.jobs")
        )
        assert remaining == ["app.fresh", "app.lost", "app.waiting"]
        row = conn.execute(
            "SELECT state, errors -> 0 ->> 'type' FROM chancy.jobs WHERE id = %s",
            (lost,),
        ).fetchone()
        assert row == ("retrying", "WorkerLost")
