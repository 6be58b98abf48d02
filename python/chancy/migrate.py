"""Install or upgrade Chancy's schema from the SQL files, as ``sql/install.sh`` does.

The steps and their order are those of ``make install-sql``: take the
advisory lock ``hashtext('chancy.install')``, run ``bootstrap.sql``, apply
each pending ``migrations/NNNN_slug.sql`` in its own transaction together
with its ledger row, reload every ``functions/*.sql`` (with
``check_function_bodies = off``, so their order does not matter), then
``grants.sql``. Installing twice changes nothing; concurrent installs queue
on the lock.

The files are package data (``chancy/sql/`` in the wheel) or, in a source
checkout, the repository's ``sql/``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chancy.errors import SchemaVersionError

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "EXPECTED_VERSION",
    "Migration",
    "SqlFiles",
    "check_schema",
    "migrate",
    "schema_version",
    "sql_files",
    "sync_check_schema",
    "sync_migrate",
    "sync_schema_version",
]

_MIGRATION_NAME = re.compile(r"^(\d{4})_(.+)\.sql$")

_QUIET = "SET client_min_messages = warning"
_LOCK = "SELECT pg_advisory_lock(hashtext('chancy.install'))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtext('chancy.install'))"
_APPLIED = "SELECT version FROM chancy.migrations"
_RECORD = "INSERT INTO chancy.migrations (version, name) VALUES (%s, %s)"
_NO_BODY_CHECKS = "SET LOCAL check_function_bodies = off"
_LEDGER_EXISTS = "SELECT to_regclass('chancy.migrations') IS NOT NULL"
_VERSION = "SELECT coalesce(max(version), 0) FROM chancy.migrations"


@dataclasses.dataclass(frozen=True)
class Migration:
    """One file of ``sql/migrations/``."""

    version: int
    name: str
    path: Path

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class SqlFiles:
    """Where Chancy's SQL lives and what it holds.

    ``max_version`` limits the migrations to those up to that number, and
    ``with_functions=False`` leaves out the function and grant files; tests
    use them to build a database whose tables are those of an older release.
    """

    root: Path
    max_version: int | None = None
    with_functions: bool = True

    @property
    def bootstrap(self) -> Path:
        return self.root / "bootstrap.sql"

    @property
    def grants(self) -> Path | None:
        path = self.root / "grants.sql"
        return path if self.with_functions and path.is_file() else None

    @functools.cached_property
    def migrations(self) -> tuple[Migration, ...]:
        found = []
        for path in sorted((self.root / "migrations").glob("*.sql")):
            match = _MIGRATION_NAME.match(path.name)
            if match is None:
                raise SchemaVersionError(
                    f"{path} is not named NNNN_slug.sql; refusing to guess its order"
                )
            version = int(match.group(1))
            if self.max_version is not None and version > self.max_version:
                continue
            # The ledger names a migration by its file stem, as install.sh does.
            found.append(Migration(version, path.stem, path))
        versions = [m.version for m in found]
        if len(set(versions)) != len(versions):
            raise SchemaVersionError(f"two migrations share a number in {self.root}")
        return tuple(found)

    @property
    def functions(self) -> tuple[Path, ...]:
        if not self.with_functions:
            return ()
        return tuple(sorted((self.root / "functions").glob("*.sql")))

    @property
    def latest_version(self) -> int:
        return max((m.version for m in self.migrations), default=0)


def _find_sql_root() -> Path:
    packaged = importlib.resources.files("chancy") / "sql"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "sql"
    if (checkout / "migrations").is_dir():
        return checkout
    raise SchemaVersionError(
        "Chancy's SQL files are missing: neither the package data chancy/sql "
        f"nor {checkout} exists; reinstall the chancy package"
    )


@functools.cache
def sql_files() -> SqlFiles:
    """The SQL files this installation of Chancy ships."""
    return SqlFiles(_find_sql_root())


#: The schema version (highest migration number) this Chancy knows.
EXPECTED_VERSION: int = sql_files().latest_version


def _functions(files: SqlFiles) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in files.functions]


def _grants(files: SqlFiles) -> str | None:
    return None if files.grants is None else files.grants.read_text(encoding="utf-8")


def _refuse_newer(applied: set[int], files: SqlFiles) -> None:
    # Reloading this Chancy's functions over a newer schema would break it.
    newest = max(applied, default=0)
    if newest > files.latest_version:
        problem = explain_version(newest, files.latest_version)
        raise SchemaVersionError(f"refusing to migrate: {problem}")


async def migrate(
    conn: psycopg.AsyncConnection[Any], *, files: SqlFiles | None = None
) -> list[int]:
    """Install or upgrade the schema on ``conn``; returns the versions applied.

    ``conn`` must be in autocommit mode and not inside a transaction: each
    migration is committed on its own, as ``make install-sql`` does.
    """
    files = files or sql_files()
    if not conn.autocommit:
        raise SchemaVersionError("migrate() needs a connection in autocommit mode")

    applied_now: list[int] = []
    await conn.execute(_QUIET)
    await conn.execute(_LOCK)
    try:
        await conn.execute(files.bootstrap.read_text(encoding="utf-8"))

        cur = await conn.execute(_APPLIED)
        applied = {int(row[0]) for row in await cur.fetchall()}
        _refuse_newer(applied, files)
        for migration in files.migrations:
            if migration.version in applied:
                continue
            async with conn.transaction():
                await conn.execute(migration.read())
                await conn.execute(_RECORD, (migration.version, migration.name))
            applied_now.append(migration.version)

        async with conn.transaction():
            await conn.execute(_NO_BODY_CHECKS)
            for script in _functions(files):
                await conn.execute(script)
        grants = _grants(files)
        if grants is not None:
            await conn.execute(grants)
    finally:
        await conn.execute(_UNLOCK)
    return applied_now


def sync_migrate(
    conn: psycopg.Connection[Any], *, files: SqlFiles | None = None
) -> list[int]:
    """The blocking form of :func:`migrate`."""
    files = files or sql_files()
    if not conn.autocommit:
        raise SchemaVersionError("migrate() needs a connection in autocommit mode")

    applied_now: list[int] = []
    conn.execute(_QUIET)
    conn.execute(_LOCK)
    try:
        conn.execute(files.bootstrap.read_text(encoding="utf-8"))

        applied = {int(row[0]) for row in conn.execute(_APPLIED).fetchall()}
        _refuse_newer(applied, files)
        for migration in files.migrations:
            if migration.version in applied:
                continue
            with conn.transaction():
                conn.execute(migration.read())
                conn.execute(_RECORD, (migration.version, migration.name))
            applied_now.append(migration.version)

        with conn.transaction():
            conn.execute(_NO_BODY_CHECKS)
            for script in _functions(files):
                conn.execute(script)
        grants = _grants(files)
        if grants is not None:
            conn.execute(grants)
    finally:
        conn.execute(_UNLOCK)
    return applied_now


async def schema_version(conn: psycopg.AsyncConnection[Any]) -> int | None:
    """The highest applied migration, or ``None`` if Chancy is not installed."""
    cur = await conn.execute(_LEDGER_EXISTS)
    row = await cur.fetchone()
    if not row or not row[0]:
        return None
    cur = await conn.execute(_VERSION)
    row = await cur.fetchone()
    return int(row[0]) if row else 0


def sync_schema_version(conn: psycopg.Connection[Any]) -> int | None:
    """The blocking form of :func:`schema_version`."""
    row = conn.execute(_LEDGER_EXISTS).fetchone()
    if not row or not row[0]:
        return None
    row = conn.execute(_VERSION).fetchone()
    return int(row[0]) if row else 0


def explain_version(version: int | None, expected: int | None = None) -> str | None:
    """Why ``version`` will not do for this Chancy, or ``None`` if it will."""
    expected = EXPECTED_VERSION if expected is None else expected
    if version is None or version == 0:
        return (
            "Chancy's schema is not installed in this database. Run `chancy "
            "migrate`, `await chancy.migrate()`, or `make install-sql "
            "DATABASE_URL=...` from a Chancy checkout."
        )
    if version < expected:
        return (
            f"Chancy's schema in this database is at version {version}, older "
            f"than version {expected} this Chancy needs. Run `chancy migrate` "
            "(or `await chancy.migrate()`, or `make install-sql "
            "DATABASE_URL=...`) to upgrade it."
        )
    if version > expected:
        return (
            f"Chancy's schema in this database is at version {version}, newer "
            f"than version {expected} this Chancy knows. Upgrade the chancy "
            "package (pip install -U chancy) on this machine."
        )
    return None


async def check_schema(conn: psycopg.AsyncConnection[Any]) -> int:
    """Return the schema version, or raise :class:`SchemaVersionError` saying
    what to run if it is missing, older or newer than this Chancy."""
    version = await schema_version(conn)
    problem = explain_version(version)
    if problem is not None:
        raise SchemaVersionError(problem)
    assert version is not None
    return version


def sync_check_schema(conn: psycopg.Connection[Any]) -> int:
    """The blocking form of :func:`check_schema`."""
    version = sync_schema_version(conn)
    problem = explain_version(version)
    if problem is not None:
        raise SchemaVersionError(problem)
    assert version is not None
    return version
