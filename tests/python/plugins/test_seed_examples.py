"""The two plugin examples of the page Chancy started from run as written.

The examples are copied here verbatim (the DSN is the only thing a test
changes); when the page is at hand (``/work/shared/seed/``) a test checks
that the copies still match it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

SEED_DIR = Path(os.environ.get("CHANCY_SEED_DIR", "/work/shared/seed"))
SEED_DSN = 'dsn="postgresql://localhost/postgres"'

EXAMPLE_1 = """\
import asyncio
from chancy import Chancy, Worker, Queue
from chancy.plugins.pruner import Pruner
from chancy.plugins.recovery import Recovery
from chancy.plugins.leadership import Leadership

async def main():
    async with Chancy(
        dsn="postgresql://localhost/postgres",
        plugins=[
            Pruner(),
            Recovery(),
            Leadership(),
        ],
    ) as chancy:
        await chancy.migrate()
        await Worker(chancy).start()
"""

EXAMPLE_2 = """\
import asyncio
from chancy import Chancy, Worker, Queue
from chancy.plugins.rule import Age
from chancy.plugins.pruner import Pruner

async def main():
    async with Chancy(
        dsn="postgresql://localhost/postgres",
        plugins=[
            Queue(name="default", concurrency=10),
            Pruner(Age() > 60 * 60, poll_interval=10),
        ],
    ) as chancy:
       ...
"""

# Runs an example's module code as written, then its main().
RUNNER = """\
import asyncio, sys
with open(sys.argv[1]) as f:
    source = f.read()
namespace = {"__name__": "seed_example"}
exec(compile(source, "seed_example.py", "exec"), namespace)
print("RUNNING", flush=True)
asyncio.run(namespace["main"]())
print("MAIN RETURNED", flush=True)
"""


def seed_blocks() -> list[str]:
    """The ``.. code-block:: python`` bodies of the seed page, dedented."""
    blocks = []
    for path in sorted(SEED_DIR.glob("*")):
        text = path.read_text() + "\n"
        for match in re.finditer(
            r"\.\. code-block:: python\n(?:[ \t]+:[^\n]*\n)*\n((?:[ \t]+[^\n]*\n|\n)+)",
            text,
        ):
            blocks.append(textwrap.dedent(match.group(1)).strip("\n") + "\n")
    return blocks


def with_dsn(example: str, dsn: str) -> str:
    assert SEED_DSN in example
    return example.replace(SEED_DSN, f"dsn={dsn!r}")


def run_example(example: str, dsn: str, tmp: Path) -> subprocess.Popen[str]:
    script = tmp / "seed_example.py"
    script.write_text(with_dsn(example, dsn))
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(predicate: Any, limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def push_jobs(conn: psycopg.Connection[Any], n: int) -> None:
    for _ in range(n):
        conn.execute("SELECT chancy.push(func => 'os.getcwd')")


def all_succeeded(conn: psycopg.Connection[Any], n: int) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM chancy.jobs WHERE func = 'os.getcwd'"
        " AND state = 'succeeded'"
    ).fetchone()
    return row is not None and row[0] == n


def stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        output, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    return output


@pytest.mark.skipif(not SEED_DIR.is_dir(), reason="the seed page is not at hand")
def test_the_copies_match_the_seed_page() -> None:
    blocks = seed_blocks()
    assert EXAMPLE_1 in blocks
    assert EXAMPLE_2 in blocks


def test_first_example_runs_a_worker_with_the_plugins_and_processes_jobs(
    dsn: str, tmp_path: Path
) -> None:
    proc = run_example(EXAMPLE_1, dsn, tmp_path)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            push_jobs(conn, 3)
            wait_for(lambda: all_succeeded(conn, 3), 120, "the jobs to run")
            wait_for(
                lambda: (
                    conn.execute(
                        "SELECT count(*) FROM chancy.leader WHERE expires_at > now()"
                    ).fetchone()
                    == (1,)
                ),
                120,
                "the worker to lead",
            )
    finally:
        output = stop(proc)
    assert proc.returncode == 0, output
    assert "MAIN RETURNED" in output, output


def test_second_example_as_written_declares_its_queue_from_plugins(
    dsn: str, tmp_path: Path
) -> None:
    proc = run_example(EXAMPLE_2, dsn, tmp_path)
    try:
        output, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        output = stop(proc)
    assert proc.returncode == 0, output
    assert "MAIN RETURNED" in output, output
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT concurrency FROM chancy.queues WHERE name = 'default'"
        ).fetchone()
    assert row == (10,)


def test_second_example_with_a_worker_in_its_body_processes_and_prunes(
    dsn: str, tmp_path: Path
) -> None:
    """The ``...`` of the example filled with the first example's worker line."""
    example = EXAMPLE_2.replace("       ...\n", "       await Worker(chancy).start()\n")
    with psycopg.connect(dsn, autocommit=True) as conn:
        # Finished two hours ago (pruned by the rule) and a minute ago (kept).
        for age in (7200, 60):
            conn.execute(
                "INSERT INTO chancy.jobs (id, queue, func, state, attempts,"
                " completed_at) VALUES (gen_random_uuid(), 'default', %s,"
                " 'succeeded', 1, now() - make_interval(secs => %s))",
                (f"app.finished_{age}", age),
            )
        proc = run_example(example, dsn, tmp_path)
        try:
            push_jobs(conn, 3)
            wait_for(lambda: all_succeeded(conn, 3), 120, "the jobs to run")

            def pruned() -> bool:
                rows = conn.execute(
                    "SELECT func FROM chancy.jobs WHERE func LIKE 'app.finished_%'"
                ).fetchall()
                return rows == [("app.finished_60",)]

            wait_for(pruned, 120, "the pruner to remove the old job")
            row = conn.execute(
                "SELECT concurrency FROM chancy.queues WHERE name = 'default'"
            ).fetchone()
            assert row == (10,)
        finally:
            output = stop(proc)
    assert proc.returncode == 0, output
