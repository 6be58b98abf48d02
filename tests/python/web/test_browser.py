"""The dashboard in headless Chromium: log in, find a job, open it, retry it,
and prove that markup in job data is shown as text and never runs.

Drives Debian's ``/usr/bin/chromium`` through Playwright's sync API in a
thread, while the Web plugin serves from the test's event loop. Screenshots of
every page go to the git-ignored ``screenshots/`` folder at the repository root.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chancy import Chancy, Job
from chancy.plugins.cron import Cron
from chancy.plugins.web import Web

from .conftest import PASSWORD, USER, XSS_IMG, XSS_SCRIPT, finish, markup_error, push

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parents[3] / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="Debian's chromium is not installed at /usr/bin/chromium",
    ),
]


@dataclass
class Seen:
    """What the browser observed that would betray injected markup or CSP trouble."""

    dialogs: list[str] = field(default_factory=list)
    csp_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


async def seed(chancy: Chancy) -> str:
    """Jobs in several states, two workers with a leader, a cron schedule.

    Returns the id of the job whose kwargs and error carry markup.
    """
    for _ in range(8):
        await push(chancy, func="app.mail.send", queue="mail", kwargs={"to": "a@b.c"})
    for _ in range(5):
        await finish(chancy, "mail")
    await finish(chancy, "mail", markup_error())
    for _ in range(3):
        await push(chancy, func="app.reports.build", queue="reports")
    await push(
        chancy,
        func="app.evil.render",
        queue="web-xss",
        kwargs={"html": XSS_IMG, "script": XSS_SCRIPT},
    )
    job_id = await finish(chancy, "web-xss", markup_error())
    async with chancy.pool.connection() as conn:
        for worker, queues in (
            ("worker-a", ["mail", "reports"]),
            ("worker-b", ["web-xss"]),
        ):
            await conn.execute(
                "SELECT * FROM chancy.heartbeat(worker_id => %s, ttl_seconds => 600,"
                " lease_seconds => 600, queues => %s, tags => ARRAY['region=eu'],"
                " hostname => 'host-1', pid => 1234)",
                (worker, queues),
            )
        await conn.execute(
            "SELECT * FROM chancy.elect(worker_id => 'worker-a', ttl_seconds => 600)"
        )
    await Cron.schedule(
        chancy,
        "*/15 * * * *",
        Job(func="app.reports.nightly", queue="reports", kwargs={"x": XSS_IMG}),
        name="reports-every-15-min",
    )
    return str(job_id)


def drive(base_url: str, job_id: str, seen: Seen) -> None:
    """The browser session (sync Playwright, run in a worker thread)."""
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()

            def on_dialog(dialog: Any) -> None:
                seen.dialogs.append(f"{dialog.type}: {dialog.message}")
                dialog.dismiss()

            def on_console(message: Any) -> None:
                if "Content Security Policy" in message.text:
                    seen.csp_errors.append(message.text)

            page.on("dialog", on_dialog)
            page.on("console", on_console)
            page.on("pageerror", lambda error: seen.page_errors.append(str(error)))

            def shot(name: str) -> None:
                assert page.evaluate("() => window.__xss") is None, name
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

            # Log in.
            page.goto(base_url)
            expect(page).to_have_url(f"{base_url}login?next=%2F")
            shot("login")
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", "wrong password")
            page.click("button[type=submit]")
            expect(page.locator(".flash.error")).to_contain_text("Wrong username")
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Overview")
            expect(page.locator("svg.chart rect.ok").first).to_be_visible()
            shot("overview")

            # Find the pushed job through the filters and open it.
            page.click("header nav >> text=Jobs")
            page.select_option("select[name=state]", "failed")
            page.fill("input[name=func]", "evil")
            page.click("form.filters button[type=submit]")
            rows = page.locator("table.jobs tbody tr")
            expect(rows).to_have_count(1)
            shot("jobs")
            rows.first.locator("a").first.click()
            expect(page).to_have_url(f"{base_url}jobs/{job_id}")

            # Markup in kwargs and in the error shows as text.
            expect(page.locator("#job-kwargs")).to_contain_text(XSS_IMG)
            expect(page.locator("#job-kwargs")).to_contain_text(XSS_SCRIPT)
            expect(page.locator(".error-message")).to_contain_text(XSS_IMG)
            expect(page.locator(".traceback")).to_contain_text(XSS_SCRIPT)
            assert page.locator("main img").count() == 0
            assert page.locator("main script").count() == 0
            shot("job")

            # Retry it.
            page.click("button:has-text('Retry')")
            expect(page.locator(".flash")).to_have_text("Job retried.")
            expect(page.locator("h1 .badge")).to_have_text("pending")
            shot("job-retried")

            # The other pages.
            page.click("a:has-text('web-xss')")
            expect(page.locator("h1")).to_contain_text("web-xss")
            shot("queue")
            page.click("header nav >> text=Workers")
            expect(page.locator("table.workers tbody tr")).to_have_count(2)
            expect(page.locator("table.workers")).to_contain_text("leader")
            shot("workers")
            page.click("header nav >> text=Cron")
            expect(page.locator("table.crons")).to_contain_text("reports-every-15-min")
            shot("crons")
            context.close()
        finally:
            browser.close()


async def test_dashboard_in_chromium(chancy: Chancy) -> None:
    job_id = await seed(chancy)
    web = Web(port=0, users={USER: PASSWORD})
    server = asyncio.create_task(web.run(None, chancy))
    try:
        await asyncio.wait_for(web.started.wait(), 30)
        seen = Seen()
        await asyncio.wait_for(asyncio.to_thread(drive, web.url, job_id, seen), 240)
    finally:
        server.cancel()
        with pytest.raises(asyncio.CancelledError):
            await server

    assert seen.dialogs == [], "markup ran and opened a dialog"
    assert seen.page_errors == []
    assert seen.csp_errors == [], "a page broke its own Content-Security-Policy"
    job = await chancy.get_job(job_id)
    assert job is not None and job.state == "pending"
