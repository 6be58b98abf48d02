"""The JSON API against a real database, through httpx's ASGI transport."""

from __future__ import annotations

import datetime as dt
from uuid import UUID, uuid4

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from chancy import Chancy
from chancy.plugins.web import api as api_module
from chancy.plugins.web import build_app
from chancy.plugins.web.security import CONTENT_SECURITY_POLICY

from .conftest import TOKEN, finish, login, markup_error, push


async def test_health_needs_no_credentials_and_reports_the_database(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/queues",
        "/api/v1/jobs",
        "/api/v1/workers",
        "/api/v1/crons",
        "/api/v1/openapi.json",
    ],
)
async def test_api_refuses_anonymous_callers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_wrong_bearer_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/queues", headers={"Authorization": "Bearer not-the-token-at-all"}
    )
    assert response.status_code == 401


async def test_every_response_carries_the_security_headers(
    api: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    for path in ("/health", "/api/v1/queues", "/api/v1/nope", "/static/chancy.css"):
        response = await api.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    del api.headers["Authorization"]
    anonymous = await client.get("/")
    assert anonymous.status_code == 303
    assert anonymous.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_login_with_wrong_password_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/login", json={"username": "admin", "password": "wrong"}
    )
    assert response.status_code == 401
    assert (await client.get("/api/v1/queues")).status_code == 401


async def test_login_insists_on_a_json_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/login",
        content=b'{"username":"admin"}',
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 415


async def test_cookie_session_changes_need_the_csrf_header(
    client: httpx.AsyncClient, chancy: Chancy
) -> None:
    csrf = await login(client)
    job_id = await push(chancy, queue="csrf")
    assert (await client.get(f"/api/v1/jobs/{job_id}")).status_code == 200

    refused = await client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert refused.status_code == 403
    wrong = await client.post(
        f"/api/v1/jobs/{job_id}/cancel", headers={"X-CSRF-Token": "forged"}
    )
    assert wrong.status_code == 403
    assert (await client.get(f"/api/v1/jobs/{job_id}")).json()["state"] == "pending"

    accepted = await client.post(
        f"/api/v1/jobs/{job_id}/cancel", headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "cancelled"


async def test_logout_ends_the_session(client: httpx.AsyncClient) -> None:
    csrf = await login(client)
    session = await client.get("/api/v1/session")
    assert session.json() == {"user": "admin", "method": "session", "csrf_token": csrf}
    await client.post("/api/v1/logout", headers={"X-CSRF-Token": csrf})
    assert (await client.get("/api/v1/queues")).status_code == 401


async def test_queue_lifecycle(api: httpx.AsyncClient, chancy: Chancy) -> None:
    created = await api.post(
        "/api/v1/queues", json={"name": "mail", "concurrency": 3, "tags": ["smtp"]}
    )
    assert created.status_code == 200, created.text
    assert created.json()["concurrency"] == 3
    assert created.json()["counts"]["pending"] == 0

    await push(chancy, queue="mail")
    detail = (await api.get("/api/v1/queues/mail")).json()
    assert detail["counts"]["pending"] == 1
    assert detail["tags"] == ["smtp"]

    patched = await api.patch("/api/v1/queues/mail", json={"polling_interval": 2.5})
    assert patched.status_code == 200, patched.text
    assert patched.json()["polling_interval"] == 2.5
    assert patched.json()["concurrency"] == 3, "PATCH keeps the other settings"

    paused = await api.post("/api/v1/queues/mail/pause")
    assert paused.json()["state"] == "paused"
    resumed = await api.post("/api/v1/queues/mail/resume")
    assert resumed.json()["state"] == "active"

    names = [q["name"] for q in (await api.get("/api/v1/queues")).json()["queues"]]
    assert names == ["default", "mail"]

    deleted = await api.delete("/api/v1/queues/mail")
    assert deleted.status_code == 200
    assert (await api.get("/api/v1/queues/mail")).status_code == 404
    assert (await api.delete("/api/v1/queues/mail")).status_code == 404


async def test_pause_until_a_time(api: httpx.AsyncClient) -> None:
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    paused = await api.post("/api/v1/queues/default/pause", json={"resume_at": later})
    assert paused.status_code == 200, paused.text
    assert dt.datetime.fromisoformat(
        paused.json()["resume_at"]
    ) == dt.datetime.fromisoformat(later)


async def test_bad_queue_declarations_are_refused_and_change_nothing(
    api: httpx.AsyncClient,
) -> None:
    for body, fragment in [
        ({"concurrency": 2}, "name"),
        ({"name": "q", "colour": "red"}, "colour"),
        ({"name": "q", "concurrency": "many"}, "concurrency"),
        ({"name": "q", "tags": "x"}, "tags"),
        ({"name": "bad name/with slash"}, ""),
        ({"name": "q", "concurrency": 0}, ""),
        ({"name": "q", "concurrency": 99999999999999}, ""),
        ({"name": "q", "executor": "rm -rf"}, "executor"),
    ]:
        response = await api.post("/api/v1/queues", json=body)
        assert response.status_code == 400, (body, response.text)
        assert fragment in response.json()["error"]
    names = [q["name"] for q in (await api.get("/api/v1/queues")).json()["queues"]]
    assert names == ["default"]
    assert (
        await api.patch("/api/v1/queues/nope", json={"concurrency": 1})
    ).status_code == 404
    assert (await api.post("/api/v1/queues/nope/pause")).status_code == 404


async def test_jobs_list_filters_and_pages_newest_first(
    api: httpx.AsyncClient, chancy: Chancy
) -> None:
    ids = [
        await push(chancy, func=f"app.tasks.send_{i % 2}", queue="lists")
        for i in range(5)
    ]
    await push(chancy, func="other.thing", queue="default")

    page1 = (
        await api.get("/api/v1/jobs", params={"queue": "lists", "limit": 2})
    ).json()
    page2 = (
        await api.get(
            "/api/v1/jobs",
            params={"queue": "lists", "limit": 2, "before": page1["next"]},
        )
    ).json()
    page3 = (
        await api.get(
            "/api/v1/jobs",
            params={"queue": "lists", "limit": 2, "before": page2["next"]},
        )
    ).json()
    seen = [UUID(j["id"]) for page in (page1, page2, page3) for j in page["jobs"]]
    assert seen == list(reversed(ids))
    assert page3["next"] is None

    by_func = (await api.get("/api/v1/jobs", params={"func": "SEND_1"})).json()["jobs"]
    assert {UUID(j["id"]) for j in by_func} == {ids[1], ids[3]}

    # A literal % in the filter is not a wildcard.
    assert (await api.get("/api/v1/jobs", params={"func": "%"})).json()["jobs"] == []

    by_state = (
        await api.get("/api/v1/jobs", params={"state": "succeeded,failed"})
    ).json()
    assert by_state["jobs"] == []
    pending = (await api.get("/api/v1/jobs", params=[("state", "pending")])).json()[
        "jobs"
    ]
    assert len(pending) == 6

    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert (await api.get("/api/v1/jobs", params={"since": future})).json()[
        "jobs"
    ] == []
    assert (
        len((await api.get("/api/v1/jobs", params={"until": future})).json()["jobs"])
        == 6
    )

    functions = (await api.get("/api/v1/jobs/functions")).json()["functions"]
    assert functions == ["app.tasks.send_0", "app.tasks.send_1", "other.thing"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"state": "done"}, "state 'done'"),
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"before": "nope"}, "before"),
        ({"since": "yesterday"}, "since"),
    ],
)
async def test_jobs_list_refuses_bad_filters(
    api: httpx.AsyncClient, params: dict[str, str], fragment: str
) -> None:
    response = await api.get("/api/v1/jobs", params=params)
    assert response.status_code == 400
    assert fragment in response.json()["error"]


async def test_nul_characters_in_requests_are_refused_not_errors(
    api: httpx.AsyncClient,
) -> None:
    assert (
        await api.get("/api/v1/jobs", params={"queue": "a\x00b"})
    ).status_code == 400
    assert (await api.get("/api/v1/queues/a%00b")).status_code in (400, 404)


async def test_job_detail_has_errors_and_tracebacks(
    api: httpx.AsyncClient, chancy: Chancy
) -> None:
    await push(chancy, queue="failing", kwargs={"to": "<b>x</b>"})
    job_id = await finish(chancy, "failing", markup_error())
    job = (await api.get(f"/api/v1/jobs/{job_id}")).json()
    assert job["state"] == "failed"
    assert job["kwargs"] == {"to": "<b>x</b>"}
    [error] = job["errors"]
    assert error["type"] == "ValueError"
    assert "Traceback" in error["traceback"]

    assert (await api.get(f"/api/v1/jobs/{uuid4()}")).status_code == 404
    assert (await api.get("/api/v1/jobs/not-a-uuid")).status_code == 400


async def test_retry_cancel_delete_one_job(
    api: httpx.AsyncClient, chancy: Chancy
) -> None:
    await push(chancy, queue="one")
    job_id = await finish(chancy, "one", markup_error())

    cancel_finished = await api.post(f"/api/v1/jobs/{job_id}/cancel")
    assert cancel_finished.status_code == 409
    assert "failed" in cancel_finished.json()["error"]

    retried = await api.post(f"/api/v1/jobs/{job_id}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "pending"
    assert retried.json()["attempts"] == 0
    assert len(retried.json()["errors"]) == 1, "errors are kept on retry"

    assert (await api.post(f"/api/v1/jobs/{job_id}/retry")).status_code == 409
    assert (await api.post(f"/api/v1/jobs/{job_id}/cancel")).json()[
        "state"
    ] == "cancelled"

    deleted = await api.delete(f"/api/v1/jobs/{job_id}")
    assert deleted.status_code == 200
    assert (await api.get(f"/api/v1/jobs/{job_id}")).status_code == 404
    assert (await api.delete(f"/api/v1/jobs/{job_id}")).status_code == 404
    assert (await api.post(f"/api/v1/jobs/{uuid4()}/retry")).status_code == 404


async def test_bulk_actions_report_what_changed(
    api: httpx.AsyncClient, chancy: Chancy
) -> None:
    pending = [await push(chancy, queue="bulk") for _ in range(3)]
    missing = uuid4()
    ids = [str(i) for i in [*pending, missing]]

    cancelled = await api.post("/api/v1/jobs", json={"action": "cancel", "ids": ids})
    assert cancelled.status_code == 200, cancelled.text
    assert set(cancelled.json()["changed"]) == {str(i) for i in pending}
    assert cancelled.json()["unchanged"] == [str(missing)]

    retried = await api.post("/api/v1/jobs", json={"action": "retry", "ids": ids[:2]})
    assert len(retried.json()["changed"]) == 2

    purged = await api.post("/api/v1/jobs", json={"action": "purge", "ids": ids})
    assert purged.json()["action"] == "delete"
    assert len(purged.json()["changed"]) == 3
    assert (await api.get("/api/v1/jobs", params={"queue": "bulk"})).json()[
        "jobs"
    ] == []


@pytest.mark.parametrize(
    "body",
    [
        {"action": "explode", "ids": []},
        {"action": "retry", "ids": []},
        {"action": "retry", "ids": ["nope"]},
        {"action": "retry", "ids": [1]},
        {"action": "retry"},
        ["retry"],
    ],
)
async def test_bulk_refuses_malformed_requests(
    api: httpx.AsyncClient, body: object
) -> None:
    response = await api.post("/api/v1/jobs", json=body)
    assert response.status_code == 400


async def test_workers_show_the_live_ones_and_the_leader(
    api: httpx.AsyncClient, chancy: Chancy
) -> None:
    async with chancy.pool.connection() as conn:
        await conn.execute(
            "SELECT * FROM chancy.heartbeat(worker_id => 'w-live', ttl_seconds => 60,"
            " lease_seconds => 60, queues => ARRAY['default'], tags => ARRAY['gpu'],"
            " hostname => 'box', pid => 42)"
        )
        await conn.execute(
            "SELECT * FROM chancy.heartbeat(worker_id => 'w-dead',"
            " ttl_seconds => 0.001,"
            " lease_seconds => 60)"
        )
        await conn.execute(
            "SELECT * FROM chancy.elect(worker_id => 'w-live', ttl_seconds => 60)"
        )
    body = (await api.get("/api/v1/workers")).json()
    [worker] = body["workers"]
    assert worker["worker_id"] == "w-live"
    assert worker["tags"] == ["gpu"]
    assert worker["queues"] == ["default"]
    assert worker["is_leader"] is True
    assert body["leader"]["worker_id"] == "w-live"
    assert body["leader"]["term"] >= 1
    assert body["leader"]["alive"] is True


async def test_crons_lists_schedules(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/crons")
    assert response.status_code == 200
    assert response.json()["crons"] == []


async def test_openapi_documents_every_api_route(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/api/v1/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = {
        ("/api/v1" + route.path, method)
        for route in api_module.routes()
        for method in (route.methods or set()) - {"HEAD"}
    }
    served.add(("/health", "GET"))
    assert served == documented


async def test_mounted_under_a_prefix_links_follow_the_prefix(
    app: Starlette, chancy: Chancy
) -> None:
    async def home(request: object) -> httpx.Response:
        raise AssertionError("not called")

    outer = Starlette(routes=[Mount("/ops/chancy", app=app), Route("/", home)])
    transport = httpx.ASGITransport(app=outer)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as client:
        health = await client.get("/ops/chancy/health")
        assert health.status_code == 200
        anonymous = await client.get("/ops/chancy/jobs?state=failed")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/ops/chancy/login?next=")
        login_page = await client.get(anonymous.headers["location"])
        assert 'action="/ops/chancy/login"' in login_page.text
        assert 'href="/ops/chancy/static/chancy.css"' in login_page.text
        csrf = login_page.text.split('name="csrf_token" value="')[1].split('"')[0]
        logged_in = await client.post(
            "/ops/chancy/login",
            data={
                "username": "admin",
                "password": "correct horse battery staple",
                "csrf_token": csrf,
                "next": "/jobs?state=failed",
            },
        )
        assert logged_in.status_code == 303
        assert logged_in.headers["location"] == "/ops/chancy/jobs?state=failed"
        page = await client.get("/ops/chancy/")
        assert page.status_code == 200
        assert 'href="/ops/chancy/jobs"' in page.text
        assert 'href="/ops/chancy/queues/default"' in page.text
        assert 'href="/' + 'jobs"' not in page.text
        spec = (
            await client.get(
                "/ops/chancy/api/v1/openapi.json",
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
        ).json()
        assert spec["servers"] == [{"url": "/ops/chancy"}]


async def test_health_reports_an_unreachable_database() -> None:
    unreachable = Chancy(
        "postgresql://postgres@127.0.0.1:9/nowhere?connect_timeout=1",
        no_default_plugins=True,
    )
    app = build_app(unreachable, token=TOKEN)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t"
        ) as client:
            response = await client.get("/health")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": False}
    finally:
        await unreachable.aclose()
