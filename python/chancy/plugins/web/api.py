"""The JSON API under ``/api/v1/`` (documented in ``openapi.py``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chancy.plugins.web import actions, data
from chancy.plugins.web.common import (
    HTTPError,
    check_number,
    dumps,
    job_filter,
    parse_datetime,
    parse_uuid,
)
from chancy.plugins.web.openapi import openapi_spec
from chancy.plugins.web.security import AUTH_SCOPE_KEY, app_root, new_csrf_token

if TYPE_CHECKING:
    from chancy.app import Chancy
    from chancy.plugins.web.security import Credentials, LoginThrottle

MAX_BULK: Final = 1000
QUEUE_FIELDS: Final = frozenset(actions.QUEUE_DEFAULTS)


def json_response(value: Any, status: int = 200) -> Response:
    return Response(dumps(value), status_code=status, media_type="application/json")


def chancy_of(request: Request) -> Chancy:
    chancy: Chancy = request.app.state.chancy
    return chancy


async def read_json(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/json":
        raise HTTPError(415, "send the request body as application/json")
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPError(400, f"request body is not valid JSON: {exc}") from None


async def read_object(request: Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise HTTPError(400, "request body must be a JSON object")
    return body


# -- session -----------------------------------------------------------------


async def login(request: Request) -> Response:
    body = await read_object(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise HTTPError(400, "username and password must be strings")
    credentials: Credentials = request.app.state.credentials
    throttle: LoginThrottle = request.app.state.login_throttle
    client = (request.client.host if request.client else "") + "|" + str(username)
    wait = throttle.retry_after(client)
    if wait:
        raise HTTPError(429, f"too many failed logins; try again in {wait} s")
    if not credentials.check_password(username, password):
        throttle.failed(client)
        raise HTTPError(401, "wrong username or password")
    throttle.succeeded(client)
    request.session.clear()
    request.session.update({"user": username, "csrf": new_csrf_token()})
    return json_response({"user": username, "csrf_token": request.session["csrf"]})


async def logout(request: Request) -> Response:
    request.session.clear()
    return json_response({"user": None})


async def session(request: Request) -> Response:
    auth = request.scope.get(AUTH_SCOPE_KEY) or {}
    return json_response(
        {
            "user": auth.get("user"),
            "method": auth.get("method"),
            "csrf_token": request.session.get("csrf")
            if auth.get("method") == "session"
            else None,
        }
    )


async def openapi(request: Request) -> Response:
    return json_response(openapi_spec(app_root(request.scope)))


# -- queues ------------------------------------------------------------------


def queue_settings(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Queue settings from a request body, each checked for its JSON type."""
    unknown = sorted(set(body) - QUEUE_FIELDS - {"name", "upsert"})
    if unknown:
        raise HTTPError(400, f"unknown queue field(s): {', '.join(unknown)}")
    settings = {k: v for k, v in body.items() if k in QUEUE_FIELDS}
    for key in ("concurrency", "rate_limit", "rate_limit_window"):
        if key in settings:
            check_number(settings[key], key, integer=True, allow_none=True)
    if "polling_interval" in settings:
        check_number(
            settings["polling_interval"],
            "polling_interval",
            integer=False,
            allow_none=False,
        )
    if "executor" in settings and not isinstance(settings["executor"], str):
        raise HTTPError(400, "executor must be a string")
    for key in ("executor_options", "retry_settings"):
        if key in settings and not isinstance(settings[key], dict):
            raise HTTPError(400, f"{key} must be a JSON object")
    if "tags" in settings and (
        not isinstance(settings["tags"], list)
        or not all(isinstance(t, str) for t in settings["tags"])
    ):
        raise HTTPError(400, "tags must be a list of strings")
    if "state" in settings and settings["state"] not in ("active", "paused"):
        raise HTTPError(400, "state must be 'active' or 'paused'")
    if partial and not settings:
        raise HTTPError(400, "nothing to change: give at least one queue field")
    return settings


async def queue_detail(chancy: Chancy, name: str) -> dict[str, Any]:
    queue = await data.get_queue(chancy, name)
    if queue is None:
        raise HTTPError(404, f"queue {name!r} does not exist")
    counts = await data.queue_counts(chancy, name)
    return {**queue, "counts": counts.get(name, dict.fromkeys(data.STATES, 0))}


async def list_queues(request: Request) -> Response:
    chancy = chancy_of(request)
    counts = await data.queue_counts(chancy)
    queues = [
        {**q, "counts": counts.get(q["name"], dict.fromkeys(data.STATES, 0))}
        for q in await data.list_queues(chancy)
    ]
    return json_response({"queues": queues})


async def declare_queue(request: Request) -> Response:
    body = await read_object(request)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise HTTPError(400, "name must be a non-empty string")
    upsert = body.get("upsert", False)
    if not isinstance(upsert, bool):
        raise HTTPError(400, "upsert must be true or false")
    settings = queue_settings(body, partial=False)
    chancy = chancy_of(request)
    await actions.declare_queue(chancy, name, settings, upsert=upsert)
    return json_response(await queue_detail(chancy, name))


async def get_queue(request: Request) -> Response:
    return json_response(
        await queue_detail(chancy_of(request), request.path_params["name"])
    )


async def update_queue(request: Request) -> Response:
    name = request.path_params["name"]
    settings = queue_settings(await read_object(request), partial=True)
    chancy = chancy_of(request)
    if await actions.update_queue(chancy, name, settings) is None:
        raise HTTPError(404, f"queue {name!r} does not exist")
    return json_response(await queue_detail(chancy, name))


async def delete_queue(request: Request) -> Response:
    name = request.path_params["name"]
    if not await actions.delete_queue(chancy_of(request), name):
        raise HTTPError(404, f"queue {name!r} does not exist")
    return json_response({"name": name, "deleted": True})


async def pause_queue(request: Request) -> Response:
    name = request.path_params["name"]
    resume_at = None
    if await request.body():
        body = await read_object(request)
        unknown = sorted(set(body) - {"resume_at"})
        if unknown:
            raise HTTPError(400, f"unknown field(s): {', '.join(unknown)}")
        if body.get("resume_at") is not None:
            if not isinstance(body["resume_at"], str):
                raise HTTPError(400, "resume_at must be an ISO 8601 time")
            resume_at = parse_datetime(body["resume_at"], "resume_at")
    chancy = chancy_of(request)
    await actions.pause_queue(chancy, name, resume_at)
    return json_response(await queue_detail(chancy, name))


async def resume_queue(request: Request) -> Response:
    name = request.path_params["name"]
    chancy = chancy_of(request)
    await actions.resume_queue(chancy, name)
    return json_response(await queue_detail(chancy, name))


# -- jobs --------------------------------------------------------------------


async def list_jobs(request: Request) -> Response:
    flt = job_filter(request.query_params, request.query_params.getlist)
    jobs = await data.list_jobs(chancy_of(request), flt)
    following = str(jobs[-1]["id"]) if len(jobs) == flt.limit else None
    return json_response({"jobs": jobs, "next": following})


async def list_functions(request: Request) -> Response:
    return json_response({"functions": await data.list_functions(chancy_of(request))})


async def get_job(request: Request) -> Response:
    job_id = parse_uuid(request.path_params["id"])
    job = await data.get_job(chancy_of(request), job_id)
    if job is None:
        raise HTTPError(404, f"job {job_id} does not exist")
    return json_response(job)


async def apply_to_one(request: Request, action: str) -> Response:
    """Retry, cancel or delete one job; 404 if absent, 409 if its state forbids it."""
    job_id = parse_uuid(request.path_params["id"])
    chancy = chancy_of(request)
    changed = await actions.job_action(chancy, action, [job_id])
    job = await data.get_job(chancy, job_id)
    if changed:
        if action == "delete":
            return json_response({"id": job_id, "deleted": True})
        return json_response(job)
    if job is None:
        raise HTTPError(404, f"job {job_id} does not exist")
    raise HTTPError(409, f"job {job_id} is {job['state']}; it cannot be {PAST[action]}")


PAST: Final = {"retry": "retried", "cancel": "cancelled", "delete": "deleted"}


async def retry_job(request: Request) -> Response:
    return await apply_to_one(request, "retry")


async def cancel_job(request: Request) -> Response:
    return await apply_to_one(request, "cancel")


async def delete_job(request: Request) -> Response:
    return await apply_to_one(request, "delete")


def bulk_request(body: dict[str, Any]) -> tuple[str, list[Any]]:
    """The action and job ids of a bulk request (``purge`` means ``delete``)."""
    action = body.get("action")
    if action == "purge":
        action = "delete"
    if action not in actions.JOB_ACTIONS:
        raise HTTPError(400, "action must be one of retry, cancel, delete")
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids:
        raise HTTPError(400, "ids must be a non-empty list of job ids")
    if len(ids) > MAX_BULK:
        raise HTTPError(400, f"at most {MAX_BULK} ids per request")
    return action, [parse_uuid(i) if isinstance(i, str) else _bad_id(i) for i in ids]


def _bad_id(value: Any) -> Any:
    raise HTTPError(400, f"job id {value!r} is not a UUID string")


async def bulk_jobs(request: Request) -> Response:
    action, ids = bulk_request(await read_object(request))
    changed = await actions.job_action(chancy_of(request), action, ids)
    done = set(changed)
    unchanged = [i for i in dict.fromkeys(ids) if i not in done]
    return json_response({"action": action, "changed": changed, "unchanged": unchanged})


# -- workers, cron -----------------------------------------------------------


async def list_workers(request: Request) -> Response:
    workers, leader = await data.list_workers(chancy_of(request))
    return json_response({"workers": workers, "leader": leader})


async def list_crons(request: Request) -> Response:
    return json_response({"crons": await data.list_crons(chancy_of(request))})


def routes() -> list[Route]:
    """The API's routes, relative to ``/api/v1``."""
    return [
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/session", session, methods=["GET"]),
        Route("/queues", list_queues, methods=["GET"]),
        Route("/queues", declare_queue, methods=["POST"]),
        Route("/queues/{name}", get_queue, methods=["GET"]),
        Route("/queues/{name}", update_queue, methods=["PATCH"]),
        Route("/queues/{name}", delete_queue, methods=["DELETE"]),
        Route("/queues/{name}/pause", pause_queue, methods=["POST"]),
        Route("/queues/{name}/resume", resume_queue, methods=["POST"]),
        Route("/jobs", list_jobs, methods=["GET"]),
        Route("/jobs", bulk_jobs, methods=["POST"]),
        Route("/jobs/functions", list_functions, methods=["GET"]),
        Route("/jobs/{id}", get_job, methods=["GET"]),
        Route("/jobs/{id}", delete_job, methods=["DELETE"]),
        Route("/jobs/{id}/retry", retry_job, methods=["POST"]),
        Route("/jobs/{id}/cancel", cancel_job, methods=["POST"]),
        Route("/workers", list_workers, methods=["GET"]),
        Route("/crons", list_crons, methods=["GET"]),
    ]
