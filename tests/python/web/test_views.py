"""The dashboard pages: login, forms with CSRF, and escaping of every job field."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest

from chancy import Chancy, Job
from chancy.plugins.cron import Cron
from chancy.plugins.web import Credentials, build_app
from chancy.plugins.web.security import safe_next

from .conftest import PASSWORD, USER, XSS_IMG, XSS_SCRIPT, finish, markup_error, push

TEMPLATES = Path(__file__).parents[3] / "python/chancy/plugins/web/templates"


async def form_login(client: httpx.AsyncClient) -> str:
    """Log in through the HTML form; return the session's CSRF token."""
    page = await client.get("/login")
    csrf = csrf_of(page.text)
    response = await client.post(
        "/login",
        data={"username": USER, "password": PASSWORD, "csrf_token": csrf, "next": "/"},
    )
    assert response.status_code == 303, response.text
    return csrf_of((await client.get("/")).text)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def test_pages_redirect_anonymous_visitors_to_login(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/", "/jobs", "/workers", "/crons", "/queues/default"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


async def test_login_form_rejects_a_wrong_password(client: httpx.AsyncClient) -> None:
    csrf = csrf_of((await client.get("/login")).text)
    response = await client.post(
        "/login", data={"username": USER, "password": "nope", "csrf_token": csrf}
    )
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert (await client.get("/")).status_code == 303


async def test_login_form_needs_its_csrf_token(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    response = await client.post(
        "/login", data={"username": USER, "password": PASSWORD}
    )
    assert response.status_code == 403
    assert (await client.get("/")).status_code == 303


async def test_login_never_redirects_off_site(client: httpx.AsyncClient) -> None:
    csrf = csrf_of((await client.get("/login")).text)
    response = await client.post(
        "/login",
        data={
            "username": USER,
            "password": PASSWORD,
            "csrf_token": csrf,
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/"
    assert safe_next("https://evil.example") == "/"
    assert safe_next("/\\evil.example") == "/"
    assert safe_next("/jobs?state=failed") == "/jobs?state=failed"


async def test_every_page_renders(client: httpx.AsyncClient, chancy: Chancy) -> None:
    await push(chancy, queue="render")
    job_id = await finish(chancy, "render")
    await form_login(client)
    for path in (
        "/",
        "/jobs",
        "/workers",
        "/crons",
        "/queues/render",
        f"/jobs/{job_id}",
    ):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)
        assert "text/html" in response.headers["content-type"]
    assert (await client.get("/queues/nope")).status_code == 404
    assert (await client.get("/jobs/not-a-uuid")).status_code == 400


async def test_markup_in_every_job_field_is_escaped(
    client: httpx.AsyncClient, chancy: Chancy
) -> None:
    queue = "q<b>x</b>"[:1] + "-markup"  # queue names are restricted by the schema
    await push(
        chancy,
        func=f"mod.{XSS_SCRIPT}",
        kwargs={"html": XSS_IMG, XSS_SCRIPT: "key"},
        queue=queue,
        max_attempts=2,
    )
    job_id = await finish(chancy, queue, markup_error())
    async with chancy.pool.connection() as conn:
        await conn.execute(
            "UPDATE chancy.jobs SET meta = jsonb_build_object('note', %s::text)"
            " WHERE id = %s",
            (XSS_IMG, job_id),
        )
    await Cron.schedule(
        chancy,
        "*/5 * * * *",
        Job(func=f"cron.{XSS_SCRIPT}", kwargs={"x": XSS_IMG}),
        name=f"nightly {XSS_SCRIPT}",
    )
    await form_login(client)

    for path in ("/", "/jobs", f"/jobs/{job_id}", f"/queues/{queue}", "/crons"):
        html = (await client.get(path)).text
        assert "<script>window" not in html, path
        assert "<img src=x" not in html, path
    job_html = (await client.get(f"/jobs/{job_id}")).text
    assert "&lt;img src=x onerror=" in job_html  # the error message, as text
    assert "&lt;script&gt;window.__xss=2" in job_html  # the traceback, as text
    assert job_html.count("&lt;script&gt;") >= 3  # func, kwargs key, traceback
    crons_html = (await client.get("/crons")).text
    assert "nightly &lt;script&gt;" in crons_html


def test_templates_never_mark_data_safe() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert "|safe" not in text.replace(" ", ""), template.name
        assert "autoescape false" not in text, template.name


async def test_job_actions_from_the_job_page(
    client: httpx.AsyncClient, chancy: Chancy
) -> None:
    await push(chancy, queue="page")
    job_id = await finish(chancy, "page", markup_error())
    csrf = await form_login(client)

    forged = await client.post(f"/jobs/{job_id}/retry", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    missing = await client.post(f"/jobs/{job_id}/retry")
    assert missing.status_code == 403
    assert (await chancy.get_job(job_id)).state == "failed"

    retried = await client.post(f"/jobs/{job_id}/retry", data={"csrf_token": csrf})
    assert retried.status_code == 303
    assert retried.headers["location"] == f"/jobs/{job_id}"
    page = (await client.get(retried.headers["location"])).text
    assert "Job retried." in page
    assert (await chancy.get_job(job_id)).state == "pending"

    again = await client.post(f"/jobs/{job_id}/retry", data={"csrf_token": csrf})
    assert "it cannot be retried" in (await client.get(again.headers["location"])).text

    deleted = await client.post(f"/jobs/{job_id}/delete", data={"csrf_token": csrf})
    assert deleted.headers["location"] == "/jobs"
    assert await chancy.get_job(job_id) is None


async def test_bulk_form_and_queue_forms(
    client: httpx.AsyncClient, chancy: Chancy
) -> None:
    ids = [str(await push(chancy, queue="forms")) for _ in range(3)]
    csrf = await form_login(client)
    listing = (await client.get("/jobs", params={"queue": "forms"})).text
    assert all(i in listing for i in ids)

    response = await client.post(
        "/jobs/bulk",
        data={
            "csrf_token": csrf,
            "action": "cancel",
            "ids": ids[:2],
            "back": "/jobs?queue=forms",
        },
    )
    assert response.headers["location"] == "/jobs?queue=forms"
    assert (
        "2 job(s) cancelled." in (await client.get(response.headers["location"])).text
    )
    states = sorted([(await chancy.get_job(i)).state for i in ids])
    assert states == ["cancelled", "cancelled", "pending"]

    paused = await client.post("/queues/forms/pause", data={"csrf_token": csrf})
    assert paused.headers["location"] == "/queues/forms"
    assert (await chancy.get_queue("forms")).state == "paused"
    await client.post("/queues/forms/resume", data={"csrf_token": csrf})
    assert (await chancy.get_queue("forms")).state == "active"
    await client.post("/queues/forms/delete", data={"csrf_token": csrf})
    with pytest.raises(KeyError):
        await chancy.get_queue("forms")


async def test_jobs_page_filters_and_pages(
    client: httpx.AsyncClient, chancy: Chancy
) -> None:
    ids = [
        str(await push(chancy, func="pkg.page_me", queue="paging")) for _ in range(55)
    ]
    await form_login(client)
    first = (await client.get("/jobs", params={"queue": "paging"})).text
    assert ids[-1] in first and ids[0] not in first
    older = re.search(r'href="(/jobs\?[^"]*before=[^"]+)"', first)
    assert older, "first page links to older jobs"
    second = (await client.get(older.group(1).replace("&amp;", "&"))).text
    assert ids[0] in second and ids[-1] not in second
    none = (
        await client.get("/jobs", params={"queue": "paging", "func": "nomatch"})
    ).text
    assert "No jobs." in none


async def test_generated_credentials_are_logged_once(
    chancy: Chancy, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="chancy.plugins.web"):
        credentials = Credentials.resolve(None, None)
        app = build_app(chancy, credentials=credentials)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert credentials.users["admin"] in warnings[0].getMessage()
    assert credentials.token and credentials.token in warnings[0].getMessage()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        auth = {"Authorization": f"Bearer {credentials.token}"}
        assert (await client.get("/api/v1/queues", headers=auth)).status_code == 200


def test_passwords_are_checked_exactly() -> None:
    credentials = Credentials.resolve({"ops": "s3cret-pass"}, None)
    assert credentials.check_password("ops", "s3cret-pass")
    assert not credentials.check_password("ops", "s3cret-pas")
    assert not credentials.check_password("nobody", "s3cret-pass")
    assert not credentials.check_token("anything-at-all-here")
    with pytest.raises(ValueError, match="non-empty"):
        Credentials.resolve({"ops": ""}, None)
    with pytest.raises(ValueError, match="16 characters"):
        Credentials.resolve(None, "short")


async def test_repeated_failed_logins_are_throttled(
    client: httpx.AsyncClient, app: object
) -> None:
    csrf = csrf_of((await client.get("/login")).text)
    for _ in range(10):
        wrong = await client.post(
            "/login", data={"username": USER, "password": "x", "csrf_token": csrf}
        )
        assert wrong.status_code == 401
    refused = await client.post(
        "/login", data={"username": USER, "password": PASSWORD, "csrf_token": csrf}
    )
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.text
    api_refused = await client.post(
        "/api/v1/login", json={"username": USER, "password": PASSWORD}
    )
    assert api_refused.status_code == 429
    assert (await client.get("/")).status_code == 303
