"""Bad DSNs, a server that is down or goes away, a schema missing or too new."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from chaos.chaos_jobs import SIDE_TABLE
from chaos.cluster import Cluster, install
from chaos.harness import Fleet, query, query_retry, wait_until

from chancy import Chancy, Worker
from chancy.errors import ChancyError, SchemaVersionError
from chancy.migrate import EXPECTED_VERSION

from ._helpers import fingerprint, seed


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from chancy.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("dsn", "says"),
    [
        ("this is not a dsn", "DSN is not valid"),
        ("postgresql://postgres@127.0.0.1:1/nothing", "cannot connect"),
    ],
)
def test_cli_bad_dsn(dsn: str, says: str) -> None:
    done = _cli("--dsn", dsn, "queue", "list")
    assert done.returncode == 1
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


async def test_api_garbage_dsn() -> None:
    with pytest.raises(ChancyError, match="DSN|dsn"):
        async with asyncio.timeout(5):
            async with Chancy("this is not a dsn", no_default_plugins=True):
                pass


async def test_schema_missing(empty_dsn: str) -> None:
    async with Chancy(empty_dsn, no_default_plugins=True) as chancy:
        with pytest.raises(SchemaVersionError, match="not installed"):
            await chancy.check_schema()
        with pytest.raises(SchemaVersionError, match="not installed"):
            await Worker(chancy, register_signal_handlers=False).start()
    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        found = conn.execute("SELECT to_regnamespace('chancy')").fetchone()
    assert found == (None,), "a refused start must not create anything"


async def test_schema_newer_than_package(dsn: str) -> None:
    newer = EXPECTED_VERSION + 97
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO chancy.migrations (version, name) VALUES (%s, %s)",
            (newer, f"{newer:04d}_from_the_future"),
        )
    before = seed(dsn)
    async with Chancy(dsn, no_default_plugins=True) as chancy:
        with pytest.raises(SchemaVersionError, match=str(newer)):
            await chancy.check_schema()
        with pytest.raises(SchemaVersionError, match=str(newer)):
            await Worker(chancy, register_signal_handlers=False).start()
        with pytest.raises(SchemaVersionError, match="refusing to migrate"):
            await chancy.migrate()
    assert fingerprint(dsn) == before
    done = _cli("--dsn", dsn, "queue", "list")
    assert done.returncode == 1 and str(newer) in done.stderr


def _push(dsn: str, n: int) -> Any:
    rows = query_retry(
        dsn,
        "SELECT chancy.push(func => 'chaos_jobs.quick', queue => 'q', kwargs => '{}')",
    )
    return rows[0][0]


def _state(dsn: str, job_id: Any) -> str | None:
    rows = query_retry(dsn, "SELECT state FROM chancy.jobs WHERE id = %s", (job_id,))
    return str(rows[0][0]) if rows else None


def test_server_down_at_start_then_going_away(tmp_path: Path) -> None:
    """The worker starts before the server, waits, and runs jobs once it is up;
    the server then stops for a few seconds mid-run and the worker carries on."""
    cluster = Cluster()  # initdb only: nothing listens on its port yet
    dsn = cluster.dsn("app")
    fleet = Fleet(dsn, tmp_path, queue="q", size=1, prefix="down-w")
    try:
        fleet.start(0)
        time.sleep(3)
        assert not fleet.dead(), "the worker must wait for the server"
        cluster.start()
        # Installed under another name and renamed, so the waiting worker
        # never sees a half-installed schema.
        staging = cluster.create_database("staging")
        assert install(staging).returncode == 0
        with psycopg.connect(staging, autocommit=True) as conn:
            conn.execute(SIDE_TABLE)
            conn.execute(
                "SELECT chancy.declare_queue(name => 'q', executor => 'async',"
                " polling_interval => 0.5)"
            )
        query(cluster.dsn(), "ALTER DATABASE staging RENAME TO app")
        first = _push(dsn, 1)
        wait_until(
            lambda: _state(dsn, first) == "succeeded",
            90,
            "the first job to run once the server is up\n" + fleet.logs(),
        )

        cluster.stop()
        time.sleep(3)
        cluster.start()
        second = _push(dsn, 2)
        wait_until(
            lambda: _state(dsn, second) == "succeeded",
            90,
            "a job to run after the server came back\n" + fleet.logs(),
        )
        assert not fleet.dead()
        assert _state(dsn, first) == "succeeded"
        ran = query(dsn, "SELECT count(*) FROM public.chaos_executions")[0][0]
        assert ran == 2
    finally:
        fleet.stop_all()
        cluster.destroy()
