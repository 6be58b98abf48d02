"""Shared fixtures: every test gets its own freshly migrated database.

Fixtures (stable names, used across the suite):

- ``admin_dsn`` (session): a server where databases may be created, from
  ``tests/pg_server.py``.
- ``template_dsn`` (session): a database migrated once per test session;
  tests never connect to it, they get clones.
- ``dsn``: a fresh database cloned from the template (Chancy installed),
  dropped after the test.
- ``empty_dsn``: a fresh database without Chancy, dropped after the test.
- ``chancy``: an opened async ``Chancy(dsn, no_default_plugins=True)``.
- ``sync_chancy``: the same, opened as a blocking context manager.
- ``conn``: a psycopg ``AsyncConnection`` to ``dsn`` (not autocommit).
- ``make_database``: ``make_database(migrated=True) -> dsn`` for tests
  that need several databases.

Database names carry this process's pid, so parallel runs (several pytest
processes, or pytest-xdist workers) never collide.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pg_server  # noqa: E402
from chancy import Chancy  # noqa: E402
from chancy.migrate import sync_migrate  # noqa: E402

_RUN = f"{os.getpid()}_{secrets.token_hex(3)}"
_counter = itertools.count(1)
_OURS = re.compile(r"^chancy_(?:t|tpl)_(\d+)_[0-9a-f]{6}(?:_\d+)?$")


def dsn_for(admin: str, dbname: str) -> str:
    """The DSN of database ``dbname`` on the server of ``admin``."""
    return make_conninfo(admin, dbname=dbname)


def _admin_execute(admin: str, query: sql.Composed) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(query)


def _drop(admin: str, dbname: str) -> None:
    _admin_execute(
        admin,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(dbname)
        ),
    )


def _drop_leftovers(admin: str) -> None:
    """Drop databases left by earlier runs of this suite that were killed."""
    host = conninfo_to_dict(admin).get("host", "")
    if host not in ("127.0.0.1", "localhost", "::1", "") and not str(host).startswith(
        "/"
    ):
        return  # pids of another machine say nothing here
    with psycopg.connect(admin, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'chancy\\_%'"
            )
        ]
    for name in names:
        match = _OURS.match(name)
        if match is None:
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            _drop(admin, name)
        except PermissionError:
            pass


@pytest.fixture(scope="session")
def admin_dsn() -> str:
    """A server where the suite may create and drop databases."""
    return pg_server.admin_dsn()


@pytest.fixture(scope="session")
def template_dsn(admin_dsn: str) -> Iterator[str]:
    """A database migrated once per session; clones of it are the test databases."""
    _drop_leftovers(admin_dsn)
    name = f"chancy_tpl_{_RUN}"
    _admin_execute(
        admin_dsn, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    )
    try:
        with psycopg.connect(dsn_for(admin_dsn, name), autocommit=True) as conn:
            sync_migrate(conn)
        yield dsn_for(admin_dsn, name)
    finally:
        _drop(admin_dsn, name)


@pytest.fixture
def make_database(admin_dsn: str, template_dsn: str) -> Iterator[Callable[..., str]]:
    """A factory of fresh databases (migrated, or empty), dropped after the test."""
    created: list[str] = []
    template = conninfo_to_dict(template_dsn)["dbname"]

    def make(*, migrated: bool = True) -> str:
        name = f"chancy_t_{_RUN}_{next(_counter)}"
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if migrated:
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(str(template))
            )
        created.append(name)
        _admin_execute(admin_dsn, query)
        return dsn_for(admin_dsn, name)

    yield make
    for name in created:
        _drop(admin_dsn, name)


@pytest.fixture
def dsn(make_database: Callable[..., str]) -> str:
    """A fresh database with Chancy installed, dropped after the test."""
    return make_database(migrated=True)


@pytest.fixture
def empty_dsn(make_database: Callable[..., str]) -> str:
    """A fresh database without Chancy, dropped after the test."""
    return make_database(migrated=False)


@pytest.fixture
async def chancy(dsn: str) -> AsyncIterator[Chancy]:
    """An opened async Chancy on a fresh database, without default plugins."""
    async with Chancy(dsn, no_default_plugins=True) as app:
        yield app


@pytest.fixture
def sync_chancy(dsn: str) -> Iterator[Chancy]:
    """An opened blocking Chancy on a fresh database, without default plugins."""
    with Chancy(dsn, no_default_plugins=True) as app:
        yield app


@pytest.fixture
async def conn(dsn: str) -> AsyncIterator[psycopg.AsyncConnection[object]]:
    """A psycopg AsyncConnection to ``dsn`` (not autocommit)."""
    async with await psycopg.AsyncConnection.connect(dsn) as connection:
        yield connection
