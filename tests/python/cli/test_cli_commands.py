"""The chancy console script: commands and one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from chancy import Chancy
from chancy.cli import cli

WORKER_TESTS = Path(__file__).resolve().parents[1] / "worker"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def assert_one_line_error(code: int, output: str, *needles: str) -> None:
    assert code == 1, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in output
    for needle in needles:
        assert needle in output, output


def test_bad_dsn_is_one_line() -> None:
    assert_one_line_error(*run("--dsn", "definitely not a dsn", "queue", "list"), "DSN")


def test_unreachable_server_is_one_line() -> None:
    assert_one_line_error(
        *run("--dsn", "postgresql://postgres@127.0.0.1:1/x", "queue", "list"),
        "cannot connect",
    )


def test_missing_schema_says_to_migrate(empty_dsn: str) -> None:
    assert_one_line_error(*run("--dsn", empty_dsn, "queue", "list"), "migrate")


def test_migrate_then_list_queues(empty_dsn: str) -> None:
    code, out = run("--dsn", empty_dsn, "migrate")
    assert code == 0, out
    code, out = run("--dsn", empty_dsn, "migrate")
    assert code == 0 and "up to date" in out
    code, out = run("--dsn", empty_dsn, "queue", "list")
    assert code == 0 and "default" in out


def test_push_unknown_function_is_one_line(dsn: str) -> None:
    assert_one_line_error(
        *run("--dsn", dsn, "push", "no_such_module.func", "--kwargs", "{}"),
        "no_such_module.func",
    )


def test_push_bad_kwargs_and_unknown_queue(dsn: str) -> None:
    assert_one_line_error(
        *run("--dsn", dsn, "push", "json.dumps", "--kwargs", "[1"), "JSON"
    )
    assert_one_line_error(
        *run("--dsn", dsn, "push", "json.dumps", "--queue", "nope"), "nope"
    )


def test_push_get_cancel_retry(dsn: str) -> None:
    code, out = run(
        "--dsn",
        dsn,
        "push",
        "json.dumps",
        "--kwargs",
        '{"obj": 1}',
        "--priority",
        "5",
        "--delay",
        "60",
    )
    assert code == 0, out
    job_id = out.strip()
    code, out = run("--dsn", dsn, "job", "get", job_id)
    assert code == 0
    data = json.loads(out)
    assert data["func"] == "json.dumps" and data["priority"] == 5
    assert data["state"] == "pending"
    assert run("--dsn", dsn, "job", "cancel", job_id)[0] == 0
    assert_one_line_error(*run("--dsn", dsn, "job", "cancel", job_id), "cancelled")
    code, out = run("--dsn", dsn, "job", "retry", job_id)
    assert code == 0, out
    assert_one_line_error(
        *run("--dsn", dsn, "job", "get", "00000000-0000-0000-0000-000000000000"),
        "does not exist",
    )


def test_queue_declare_pause_resume_delete(dsn: str) -> None:
    code, out = run(
        "--dsn",
        dsn,
        "queue",
        "declare",
        "mail",
        "--executor",
        "async",
        "--concurrency",
        "3",
    )
    assert code == 0, out
    code, out = run("--dsn", dsn, "queue", "pause", "mail", "--for", "60")
    assert code == 0 and "until" in out
    code, out = run("--dsn", dsn, "queue", "list")
    assert "paused" in out
    assert run("--dsn", dsn, "queue", "resume", "mail")[0] == 0
    assert run("--dsn", dsn, "queue", "delete", "mail", "--yes")[0] == 0
    assert_one_line_error(*run("--dsn", dsn, "queue", "pause", "mail"), "mail")


def test_app_option_loads_the_application(
    dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cli_test_app.py").write_text(
        f"from chancy import Chancy\napp = Chancy({dsn!r}, no_default_plugins=True)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out = run("--app", "cli_test_app:app", "queue", "list")
    assert code == 0 and "default" in out
    assert_one_line_error(*run("--app", "cli_test_app:nope", "queue", "list"), "nope")


def test_worker_start_runs_jobs_and_stops_on_sigterm(dsn: str) -> None:
    with Chancy(dsn, no_default_plugins=True) as chancy:
        from chancy.job import Job

        ref = chancy.sync_push(
            Job(func="chancy_worker_jobs.sync_add", kwargs={"a": 1, "b": 2})
        )
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [str(WORKER_TESTS), os.environ.get("PYTHONPATH", "")]
        ),
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chancy.cli",
            "--dsn",
            dsn,
            "worker",
            "start",
            "--queue",
            "default",
            "--concurrency",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with Chancy(dsn, no_default_plugins=True) as chancy:
            job = chancy.sync_wait_for_job(ref, timeout=90)
            assert job is not None and job.state == "succeeded"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "started" in out and "stopped" in out


def test_worker_start_against_missing_schema_is_one_line(empty_dsn: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "chancy.cli", "--dsn", empty_dsn, "worker", "start"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "migrate" in proc.stderr


def test_worker_start_exits_on_sigterm_past_a_threaded_job_it_handed_back(
    dsn: str, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    with Chancy(dsn, no_default_plugins=True) as chancy:
        from chancy.job import Job
        from chancy.queue import Queue

        chancy.sync_declare(Queue("slow", executor="threaded", concurrency=1))
        ref = chancy.sync_push(
            Job(
                func="chancy_worker_jobs.sync_sleep",
                queue="slow",
                kwargs={"seconds": 300, "marker": str(marker)},
            )
        )
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [str(WORKER_TESTS), os.environ.get("PYTHONPATH", "")]
        ),
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chancy.cli",
            "--dsn",
            dsn,
            "worker",
            "start",
            "--queue",
            "slow",
            "--shutdown-timeout",
            "1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "still running" in out, out
    with Chancy(dsn, no_default_plugins=True) as chancy:
        job = chancy.sync_get_job(ref)
    assert job is not None and job.state == "retrying"


def test_push_takes_a_decorated_functions_options_as_defaults(dsn: str) -> None:
    assert run("--dsn", dsn, "queue", "declare", "mail")[0] == 0
    code, out = run("--dsn", dsn, "push", "cli_jobs.send", "-k", '{"to": "a"}')
    assert code == 0, out
    data = json.loads(run("--dsn", dsn, "job", "get", out.strip())[1])
    assert (data["queue"], data["max_attempts"], data["priority"]) == ("mail", 3, 4)
    code, out = run("--dsn", dsn, "push", "cli_jobs.send", "-p", "9", "-m", "1")
    assert code == 0, out
    data = json.loads(run("--dsn", dsn, "job", "get", out.strip())[1])
    assert (data["queue"], data["max_attempts"], data["priority"]) == ("mail", 1, 9)
