"""The Web plugin serving over real HTTP: alone, inside a worker, and from the CLI."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from chancy import Chancy, Worker
from chancy.plugins.web import Web

from .conftest import TOKEN

REPO = Path(__file__).parents[3]


async def test_plugin_serves_until_cancelled(chancy: Chancy) -> None:
    web = Web(port=0, token=TOKEN)
    task = asyncio.create_task(web.run(None, chancy))
    await asyncio.wait_for(web.started.wait(), 30)
    assert web.url.startswith("http://127.0.0.1:")
    assert not web.url.endswith(":0/")

    async with httpx.AsyncClient(base_url=web.url) as client:
        assert (await client.get("health")).json()["database"] is True
        assert (await client.get("api/v1/queues")).status_code == 401
        queues = await client.get(
            "api/v1/queues", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert [q["name"] for q in queues.json()["queues"]] == ["default"]

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)
    async with httpx.AsyncClient(base_url=web.url) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("health")


async def test_plugin_refuses_a_port_in_use(chancy: Chancy) -> None:
    first = Web(port=0, token=TOKEN)
    task = asyncio.create_task(first.run(None, chancy))
    await asyncio.wait_for(first.started.wait(), 30)
    second = Web(port=int(first.url.rsplit(":", 1)[1].rstrip("/")), token=TOKEN)
    with pytest.raises(OSError):
        await second.run(None, chancy)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_worker_hosts_the_plugin(dsn: str) -> None:
    web = Web(port=0, token=TOKEN)
    assert Web.get_identifier() == "chancy.web"
    async with Chancy(dsn, plugins=[web], no_default_plugins=True) as chancy:
        worker = Worker(chancy, register_signal_handlers=False, shutdown_timeout=5)
        async with worker:
            await asyncio.wait_for(web.started.wait(), 30)
            async with httpx.AsyncClient(base_url=web.url) as client:
                auth = {"Authorization": f"Bearer {TOKEN}"}
                for _ in range(100):
                    workers = (await client.get("api/v1/workers", headers=auth)).json()
                    if workers["workers"]:
                        break
                    await asyncio.sleep(0.2)
                assert [w["worker_id"] for w in workers["workers"]] == [
                    worker.worker_id
                ]
        assert not web.started.is_set()


def test_cli_runs_the_dashboard_alone(dsn: str) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from chancy.cli import main; main()",
            "--dsn",
            dsn,
            "web",
            "--port",
            "0",
            "--user",
            "ops:a-long-password",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"Chancy dashboard on (http://127.0.0.1:\d+/)", first)
        assert found, first
        url = found.group(1)
        with httpx.Client(base_url=url) as client:
            assert client.get("health").status_code == 200
            login = client.post(
                "api/v1/login", json={"username": "ops", "password": "a-long-password"}
            )
            assert login.status_code == 200
            assert client.get("api/v1/queues").status_code == 200
    finally:
        process.terminate()
        status = process.wait(30)
        output = process.stdout.read() if process.stdout else ""
        if process.stdout:
            process.stdout.close()
    assert status == 0, output


def test_banner_says_where_and_how_to_log_in() -> None:
    web = Web(port=8123, users={"ops": "pw-for-ops"}, token=TOKEN)
    assert web.url == "http://127.0.0.1:8123/"
    banner = web.banner()
    assert "http://127.0.0.1:8123/" in banner
    assert "'ops'" in banner and "'pw-for-ops'" in banner
    assert TOKEN in banner
    with pytest.raises(ValueError, match="port"):
        Web(port=70000)


async def test_demo_extension_serves_and_announces(
    chancy: Chancy, capsys: pytest.CaptureFixture[str]
) -> None:
    from chancy.plugins.web.demo import WebDemo

    demo = WebDemo(port=0, linger=0.5)
    [web] = demo.plugins()
    await demo.setup(chancy)
    task = asyncio.create_task(web.run(None, chancy))
    await asyncio.wait_for(web.started.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await demo.report(chancy)
    out = capsys.readouterr().out
    assert out.count("Chancy dashboard: http://127.0.0.1:") == 2
    assert "stays up for 0.5 s" in out
    assert "user 'admin', password" in out
