"""Leadership: one leader, immediate step-down, resignation on a clean exit."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from chancy import Chancy, Worker
from chancy.plugin import Plugin
from chancy.plugins.leadership import Leadership


class Probe(Plugin):
    """A leader-only plugin that records when its loop runs and is cancelled."""

    leader_only = True

    def __init__(self) -> None:
        self.started: list[int | None] = []
        self.cancelled = 0

    @staticmethod
    def get_identifier() -> str:
        return "test.probe"

    async def run(self, worker: Worker, chancy: Chancy) -> None:
        self.started.append(worker.term)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise


@contextlib.asynccontextmanager
async def running_worker(
    dsn: str, name: str, *plugins: Plugin
) -> AsyncIterator[tuple[Chancy, Worker]]:
    app = Chancy(dsn, plugins=list(plugins), no_default_plugins=True)
    async with app:
        worker = Worker(
            app, worker_id=name, queues=["none"], register_signal_handlers=False
        )
        async with worker:
            yield app, worker


async def leader_row(dsn: str) -> tuple[Any, ...] | None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT worker_id, term, expires_at > now() FROM chancy.leader"
        )
        return await cur.fetchone()


async def wait_until(predicate: Any, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_leadership_validates_its_settings() -> None:
    with pytest.raises(ValueError, match="longer than poll_interval"):
        Leadership(poll_interval=5, timeout=5)
    with pytest.raises(ValueError, match="poll_interval"):
        Leadership(poll_interval=0)
    with pytest.raises(ValueError, match="timeout"):
        Leadership(poll_interval=1, timeout="2")  # type: ignore[arg-type]
    assert Leadership(poll_interval=2).timeout == 6
    assert Leadership().poll_interval == 5
    assert Leadership().timeout == 15
    assert Leadership.get_identifier() == "chancy.leadership"
    assert not Leadership.leader_only


async def test_one_of_two_workers_leads_and_a_clean_exit_resigns(dsn: str) -> None:
    probe_a, probe_b = Probe(), Probe()
    async with running_worker(
        dsn, "a", Leadership(poll_interval=0.2, timeout=1), probe_a
    ) as (_, a):
        async with running_worker(
            dsn, "b", Leadership(poll_interval=0.2, timeout=1), probe_b
        ) as (_, b):
            await wait_until(lambda: a.is_leader.is_set() or b.is_leader.is_set())
            for _ in range(40):
                assert a.is_leader.is_set() + b.is_leader.is_set() <= 1
                await asyncio.sleep(0.05)
            leader, follower = (a, b) if a.is_leader.is_set() else (b, a)
            row = await leader_row(dsn)
            assert row is not None and row[0] == leader.worker_id
            assert row[1] == leader.term

            b_term = b.term
            if leader is b:
                # Stop b by leaving its block below; a takes over.
                pass
            else:
                a_term = a.term
                await a.stop()
                # a resigned: it holds no live lease (b may already lead).
                row = await leader_row(dsn)
                assert row is not None and not (row[0] == "a" and row[2])
                await wait_until(b.is_leader.is_set)
                assert a_term is not None and b.term is not None and b.term > a_term
                assert probe_a.cancelled == 1
                assert probe_b.started == [b.term]
                return

        row = await leader_row(dsn)
        assert row is not None and not (row[0] == "b" and row[2])
        await wait_until(a.is_leader.is_set)
        assert a.term is not None and b_term is not None and a.term > b_term
        assert probe_b.cancelled == 1
        assert probe_a.started == [a.term]


async def test_a_renewal_that_cannot_finish_steps_down_before_the_lease_ends(
    dsn: str,
) -> None:
    probe = Probe()
    async with running_worker(
        dsn, "slow", Leadership(poll_interval=0.2, timeout=1.5), probe
    ) as (_, worker):
        await wait_until(worker.is_leader.is_set)
        term = worker.term
        async with await psycopg.AsyncConnection.connect(dsn) as blocker:
            # Hold the lease row so the next renewal cannot complete.
            await blocker.execute("SELECT * FROM chancy.leader FOR UPDATE")
            blocked_at = time.monotonic()
            await wait_until(lambda: not worker.is_leader.is_set())
            stepped_down_after = time.monotonic() - blocked_at
            assert worker.term is None
            assert probe.cancelled == 1
            # The lease is still held in the database: stepping down came first.
            await blocker.rollback()
        await wait_until(worker.is_leader.is_set)
        assert worker.term is not None and worker.term >= (term or 0)
        print(f"stepped down {stepped_down_after:.2f}s after renewals blocked")


class FlakyLeadership(Leadership):
    """Leadership whose renewals fail while ``broken`` is set (fault injection)."""

    broken = False

    async def _elect(self, chancy: Chancy, worker_id: str) -> tuple[bool, int, str]:
        if self.broken:
            raise psycopg.OperationalError("injected: connection lost")
        return await super()._elect(chancy, worker_id)


async def test_a_failed_renewal_steps_down_at_once(dsn: str) -> None:
    probe = Probe()
    leadership = FlakyLeadership(poll_interval=0.2, timeout=5)
    async with running_worker(dsn, "flaky", leadership, probe) as (_, worker):
        await wait_until(worker.is_leader.is_set)
        first = worker.term
        leadership.broken = True
        await wait_until(lambda: not worker.is_leader.is_set())
        assert probe.cancelled == 1
        # The lease itself is still live in the database: stepping down did
        # not wait for it to run out.
        row = await leader_row(dsn)
        assert row is not None and row[0] == "flaky" and row[2] is True
        leadership.broken = False
        await wait_until(worker.is_leader.is_set)
        assert worker.term == first  # renewed its own live lease
        assert probe.started == [first, first]
