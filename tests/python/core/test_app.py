"""The Chancy application: construction, plugins, pools, queues and job control."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from chancy import Chancy, Job, Queue, QueuedJob
from chancy.errors import (
    ConfigurationError,
    InvalidQueueError,
    InvalidStateError,
    UnknownQueueError,
)
from chancy.plugin import Plugin


class Probe(Plugin):
    @staticmethod
    def get_identifier() -> str:
        return "test.probe"


def test_duplicate_plugin_identifiers_are_refused() -> None:
    with pytest.raises(ValueError, match="test.probe"):
        Chancy("postgresql:///x", plugins=[Probe(), Probe()])


def test_plugins_may_hold_queues_which_are_kept_for_declaration() -> None:
    app = Chancy(
        "postgresql:///x",
        plugins=[Queue(name="default", concurrency=10), Probe()],
        no_default_plugins=True,
    )
    assert list(app.plugins) == ["test.probe"]
    assert [q.name for q in app.queues] == ["default"]
    with pytest.raises(TypeError, match="Plugin instances and Queue objects"):
        Chancy("postgresql:///x", plugins=["nope"])  # type: ignore[list-item]


def test_default_plugins_fill_in_missing_identifiers() -> None:
    app = Chancy("postgresql:///x", plugins=[Probe()])
    assert "test.probe" in app.plugins
    bare = Chancy("postgresql:///x", no_default_plugins=True)
    assert bare.plugins == {}


def test_a_django_style_dsn_mapping_is_accepted() -> None:
    app = Chancy(
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "app",
            "USER": "u",
            "PASSWORD": "p w",
            "HOST": "db.example",
            "PORT": "",
            "OPTIONS": {"sslmode": "require"},
        },
        no_default_plugins=True,
    )
    assert conninfo_to_dict(app.dsn) == {
        "dbname": "app",
        "user": "u",
        "password": "p w",
        "host": "db.example",
        "port": "5432",
        "sslmode": "require",
    }
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        Chancy({"ENGINE": "django.db.backends.sqlite3", "NAME": "x"})


def test_executor_names() -> None:
    assert Chancy.Executor.Async == "async"
    assert Queue("q", executor=Chancy.Executor.Threaded).executor == "threaded"
    assert Queue("q", executor="pkg.mod.MyExecutor").executor == "pkg.mod.MyExecutor"
    with pytest.raises(InvalidQueueError, match="import path"):
        Queue("q", executor="fast")
    with pytest.raises(InvalidQueueError, match="together"):
        Queue("q", rate_limit=5)


async def test_methods_open_the_pool_lazily(dsn: str) -> None:
    app = Chancy(dsn, no_default_plugins=True)
    try:
        ref = await app.push(Job(func="f"))
        assert not app.pool.closed
        assert app.sync_get_job(ref) is not None
        assert not app.sync_pool.closed
    finally:
        await app.aclose()
    assert app.pool.closed and app.sync_pool.closed


async def test_declare_pending_declares_the_queues_given_as_plugins(dsn: str) -> None:
    async with Chancy(
        dsn,
        plugins=[Queue("default", concurrency=10), Queue("mail", executor="async")],
        no_default_plugins=True,
    ) as app:
        declared = await app.declare_pending()
        assert [(q.name, q.concurrency) for q in declared] == [
            ("default", 10),
            ("mail", None),
        ]
        assert (await app.get_queue("default")).concurrency == 10
        assert (await app.get_queue("mail")).executor == "async"


async def test_opening_the_app_declares_its_queues_but_keeps_an_operators_pause(
    dsn: str,
) -> None:
    async with Chancy(dsn, no_default_plugins=True) as operator:
        await operator.declare(Queue("mail", concurrency=1))
        await operator.pause_queue("mail")

    async with Chancy(
        dsn, plugins=[Queue("mail", concurrency=3)], no_default_plugins=True
    ) as app:
        mail = await app.get_queue("mail")

    assert mail.concurrency == 3
    assert mail.state == Queue.State.PAUSED


async def test_declare_returns_the_queue_as_stored(chancy: Chancy) -> None:
    queue = Queue(
        "reports",
        concurrency=4,
        executor="threaded",
        executor_options={"x": 1},
        rate_limit=10,
        rate_limit_window=60,
        polling_interval=0.5,
        tags=frozenset({"gpu", "eu"}),
        retry_settings={"backoff": 2},
    )
    stored = await chancy.declare(queue)
    assert stored == queue
    assert stored.state is Queue.State.ACTIVE

    unchanged = await chancy.declare(Queue("reports", concurrency=1), upsert=False)
    assert unchanged.concurrency == 4
    replaced = await chancy.declare(Queue("reports", concurrency=1))
    assert replaced.concurrency == 1 and replaced.rate_limit is None
    assert [q.name for q in await chancy.get_all_queues()] == ["default", "reports"]


async def test_a_bad_queue_declaration_names_the_field(chancy: Chancy) -> None:
    with pytest.raises(InvalidQueueError, match="concurrency"):
        await chancy.declare(Queue("q", concurrency=0))
    with pytest.raises(InvalidQueueError, match="name"):
        await chancy.declare(Queue("bad name!"))
    with pytest.raises(InvalidQueueError, match=r"executor_options\['at'\]"):
        await chancy.declare(Queue("q", executor_options={"at": dt.date.today()}))


async def test_get_queue_of_an_unknown_queue(chancy: Chancy) -> None:
    with pytest.raises(UnknownQueueError, match="ghost") as caught:
        await chancy.get_queue("ghost")
    assert isinstance(caught.value, KeyError)
    with pytest.raises(UnknownQueueError, match="ghost"):
        await chancy.pause_queue("ghost")
    with pytest.raises(UnknownQueueError, match="ghost"):
        chancy.sync_get_queue("ghost")


async def test_pause_and_resume(chancy: Chancy) -> None:
    paused = await chancy.pause_queue("default")
    assert paused.state is Queue.State.PAUSED and paused.resume_at is None

    later = await chancy.pause_queue("default", resume_at=dt.timedelta(hours=1))
    assert later.resume_at is not None
    async with chancy.connection() as conn:
        cur = await conn.execute("SELECT now()")
        row = await cur.fetchone()
    assert row is not None
    assert abs((later.resume_at - row[0]).total_seconds() - 3600) < 60

    at = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
    assert (await chancy.pause_queue("default", resume_at=at)).resume_at == at
    with pytest.raises(InvalidQueueError, match="timezone"):
        await chancy.pause_queue("default", resume_at=dt.datetime(2040, 1, 1))

    resumed = await chancy.resume_queue("default")
    assert resumed.state is Queue.State.ACTIVE and resumed.resume_at is None


async def test_delete_queue_takes_its_jobs_along(chancy: Chancy) -> None:
    await chancy.declare(Queue("doomed"))
    ref = await chancy.push(Job(func="f", queue="doomed"))
    assert await chancy.delete_queue("doomed") is True
    assert await chancy.delete_queue("doomed") is False
    assert await chancy.get_job(ref) is None


async def test_cancel_retry_and_delete_jobs(chancy: Chancy) -> None:
    a, b = await chancy.push_many([Job(func="f"), Job(func="g")])
    assert set(await chancy.cancel_jobs([a, b])) == {a, b}
    cancelled = await chancy.get_job(a)
    assert cancelled is not None and cancelled.state is QueuedJob.State.CANCELLED
    assert await chancy.cancel_job(a) is False  # already finished

    assert await chancy.retry_jobs([a]) == [a]
    again = await chancy.get_job(a)
    assert again is not None and again.state is QueuedJob.State.PENDING

    assert set(await chancy.delete_jobs([a, b])) == {a, b}
    assert await chancy.get_jobs([a, b]) == []


def test_sync_job_control(sync_chancy: Chancy) -> None:
    ref = sync_chancy.sync_push(Job(func="f"))
    assert sync_chancy.sync_cancel_job(ref) is True
    assert sync_chancy.sync_retry_jobs([ref]) == [ref]
    assert sync_chancy.sync_delete_jobs([ref]) == [ref]
    assert sync_chancy.sync_get_job(ref) is None


async def test_retrying_a_job_whose_key_is_taken_is_an_invalid_state(
    chancy: Chancy,
) -> None:
    old = await chancy.push(Job(func="f", unique_key="k"))
    await chancy.cancel_job(old)
    await chancy.push(Job(func="f", unique_key="k"))
    with pytest.raises(InvalidStateError):
        await chancy.retry_jobs([old])


async def test_workers_and_leader(chancy: Chancy, dsn: str) -> None:
    assert await chancy.get_all_workers() == []
    assert await chancy.get_leader() is None
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        for worker in ("w1", "w2"):
            await conn.execute(
                "SELECT * FROM chancy.heartbeat(%s, 60, 60, queues => '{default}')",
                [worker],
            )
        await conn.execute("SELECT * FROM chancy.elect('w2', 60)")
    workers = await chancy.get_all_workers()
    assert [(w["worker_id"], w["is_leader"]) for w in workers] == [
        ("w1", False),
        ("w2", True),
    ]
    leader = await chancy.get_leader()
    assert leader is not None and leader["worker_id"] == "w2" and leader["term"] >= 1
    assert [w["worker_id"] for w in chancy.sync_get_all_workers()] == ["w1", "w2"]


async def test_an_app_can_be_entered_again_after_it_closed(dsn: str) -> None:
    app = Chancy(dsn, no_default_plugins=True)
    async with app:
        first = await app.push(Job(func="f"))
    async with app:
        assert await app.get_job(first) is not None
    with app:
        assert app.sync_get_job(first) is not None
    with app:
        assert app.sync_get_job(first) is not None


def test_an_app_serves_successive_event_loops_when_closed_in_each(dsn: str) -> None:
    import asyncio

    app = Chancy(dsn, no_default_plugins=True)

    async def push_once() -> object:
        async with app:
            return await app.push(Job(func="f"))

    assert asyncio.run(push_once()) != asyncio.run(push_once())

    async def push_unclosed() -> object:
        return await app.push(Job(func="f"))

    asyncio.run(push_unclosed())
    with pytest.raises(ConfigurationError, match="another event loop"):
        asyncio.run(push_unclosed())
    asyncio.run(app.aclose())
