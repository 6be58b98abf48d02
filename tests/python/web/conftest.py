"""Fixtures for the web plugin: an app with known credentials and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from psycopg.types.json import Jsonb
from starlette.applications import Starlette

from chancy import Chancy
from chancy.plugins.web import build_app

USER = "admin"
PASSWORD = "correct horse battery staple"
TOKEN = "test-token-0123456789abcdef"
XSS_IMG = "<img src=x onerror=window.__xss=1;alert(1)>"
XSS_SCRIPT = "<script>window.__xss=2;alert(2)</script>"


@pytest.fixture
def app(chancy: Chancy) -> Starlette:
    return build_app(chancy, users={USER: PASSWORD}, token=TOKEN, secret_key="k" * 32)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as c:
        yield c


@pytest.fixture
async def api(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client authenticated with the bearer token."""
    client.headers["Authorization"] = f"Bearer {TOKEN}"
    return client


async def login(client: httpx.AsyncClient) -> str:
    """Log ``client`` in through the JSON API; return the session's CSRF token."""
    response = await client.post(
        "/api/v1/login", json={"username": USER, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


async def push(
    chancy: Chancy,
    func: str = "tests.jobs.noop",
    kwargs: dict[str, Any] | None = None,
    queue: str = "default",
    max_attempts: int = 1,
) -> UUID:
    async with chancy.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT chancy.push(func => %s, kwargs => %s, queue => %s,"
            " max_attempts => %s, create_queue => true)",
            (func, Jsonb(kwargs or {}), queue, max_attempts),
        )
        row = await cur.fetchone()
        assert row is not None
        return UUID(str(row[0]))


async def claim(chancy: Chancy, queue: str) -> tuple[UUID, UUID]:
    """Fetch the next job of ``queue`` as a worker would: (id, claim_id)."""
    async with chancy.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT f.id, f.claim_id FROM chancy.fetch(queue => %s,"
            " worker_id => 'web-test-worker', max_jobs => 1) AS f",
            (queue,),
        )
        row = await cur.fetchone()
        assert row is not None, f"no job to fetch in {queue}"
        return row[0], row[1]


async def finish(
    chancy: Chancy, queue: str, error: dict[str, Any] | None = None
) -> UUID:
    """Run the next job of ``queue`` to success, or to failure with ``error``."""
    job_id, claim_id = await claim(chancy, queue)
    async with chancy.pool.connection() as conn:
        if error is None:
            await conn.execute(
                "SELECT chancy.complete(job_ids => %s::uuid[],"
                " claim_ids => %s::uuid[])",
                ([job_id], [claim_id]),
            )
        else:
            await conn.execute(
                "SELECT * FROM chancy.fail(job_ids => %s::uuid[],"
                " claim_ids => %s::uuid[], errors => %s::jsonb[])",
                ([job_id], [claim_id], [Jsonb(error)]),
            )
    return job_id


def markup_error(attempt: int = 1) -> dict[str, Any]:
    return {
        "attempt": attempt,
        "type": "ValueError",
        "message": f"bad input {XSS_IMG}",
        "traceback": f"Traceback (most recent call last):\n  {XSS_SCRIPT}\n",
        "at": "2026-01-01T00:00:00+00:00",
    }
