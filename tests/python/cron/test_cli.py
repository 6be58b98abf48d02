"""``chancy cron list|schedule|unschedule`` against a real database."""

from __future__ import annotations

import json

from click.testing import CliRunner

from chancy.cli import cli


def run(dsn: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--dsn", dsn, "cron", *args])
    return result.exit_code, result.output


def test_schedule_list_and_unschedule(dsn: str) -> None:
    code, out = run(
        dsn,
        "schedule",
        "*/5 * * * *",
        "app.tasks.report",
        "--name",
        "reports",
        "--kwargs",
        '{"kind": "daily"}',
        "--timezone",
        "Europe/Berlin",
        "--missed",
        "all",
    )
    assert code == 0, out
    assert out.strip() == "reports"

    code, out = run(dsn, "list")
    assert code == 0, out
    assert "reports" in out and "Europe/Berlin" in out and "app.tasks.report" in out

    code, out = run(dsn, "list", "--json")
    (item,) = [json.loads(line) for line in out.splitlines()]
    assert item["job"]["kwargs"] == {"kind": "daily"}
    assert item["missed"] == "all"

    code, out = run(dsn, "unschedule", "reports")
    assert code == 0 and "removed 1 of 1" in out
    code, out = run(dsn, "unschedule", "reports")
    assert code == 1 and "removed 0 of 1" in out


def test_bad_input_is_one_line_naming_the_part(dsn: str) -> None:
    code, out = run(dsn, "schedule", "* 99 * * *", "app.f")
    assert code == 1
    assert "hour field '99'" in out and "Traceback" not in out
    code, out = run(dsn, "schedule", "* * * * *", "app.f", "--timezone", "Nowhere/City")
    assert code == 1 and "unknown time zone 'Nowhere/City'" in out
    code, out = run(dsn, "schedule", "* * * * *", "app.f", "--queue", "ghost")
    assert code == 1 and "ghost" in out and "Traceback" not in out
    code, out = run(dsn, "schedule", "* * * * *", "app.f", "--kwargs", "[1]")
    assert code == 2 and "JSON object" in out
    code, out = run(dsn, "list")
    assert code == 0 and len(out.strip().splitlines()) == 1  # the header only
