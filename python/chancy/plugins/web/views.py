"""The dashboard: server-rendered pages and the forms that act on jobs and queues."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from chancy.plugins.web import actions, data
from chancy.plugins.web.chart import minute_chart
from chancy.plugins.web.common import HTTPError, dumps, job_filter, parse_uuid
from chancy.plugins.web.security import (
    AUTH_SCOPE_KEY,
    CSRF_FIELD,
    app_root,
    new_csrf_token,
    safe_next,
)

if TYPE_CHECKING:
    from chancy.app import Chancy
    from chancy.plugins.web.security import Credentials, LoginThrottle

HERE: Final = Path(__file__).parent
JOB_PAGE_SIZE: Final = 50
PAST: Final = {
    "retry": "retried",
    "cancel": "cancelled",
    "delete": "deleted",
    "pause": "paused",
    "resume": "resumed",
}


def url(
    request: Request, route: str, query: dict[str, Any] | None = None, /, **params: Any
) -> str:
    """The path of ``route`` below the mount point, with an optional query."""
    path = app_root(request.scope) + str(request.app.url_path_for(route, **params))
    if query:
        pairs = [(k, v) for k, v in query.items() if v not in (None, "", [])]
        if pairs:
            path += "?" + urlencode(pairs, doseq=True)
    return path


def _context(request: Request) -> dict[str, Any]:
    auth = request.scope.get(AUTH_SCOPE_KEY) or {}
    flashes = request.session.pop("flash", []) if "session" in request.scope else []
    return {
        "user": auth.get("user"),
        "csrf_token": request.session.get("csrf", "")
        if "session" in request.scope
        else "",
        "csrf_field": CSRF_FIELD,
        "flashes": flashes,
        "url": lambda route, query=None, /, **params: url(
            request, route, query, **params
        ),
        "static": lambda path: url(request, "static", path=path),
    }


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(
            ("html", "svg"), default_for_string=True, default=True
        ),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pretty"] = lambda value: dumps(value, indent=2)
    env.filters["when"] = _when
    return Jinja2Templates(env=env, context_processors=[_context])


def _when(value: Any) -> str:
    if value is None:
        return "—"
    try:
        return str(value.strftime("%Y-%m-%d %H:%M:%S %Z"))
    except AttributeError:
        return str(value)


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


def flash(request: Request, text: str, kind: str = "info") -> None:
    request.session.setdefault("flash", []).append({"kind": kind, "text": text})


def chancy_of(request: Request) -> Chancy:
    chancy: Chancy = request.app.state.chancy
    return chancy


def redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=303)


# -- login -------------------------------------------------------------------


async def login(request: Request) -> Response:
    credentials: Credentials = request.app.state.credentials
    target = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        if not request.session.get("csrf"):
            request.session["csrf"] = new_csrf_token()
        return render(
            request,
            "login.html",
            next=target,
            error=None,
            has_users=bool(credentials.users),
        )
    form = await request.form()
    username, password = form.get("username"), form.get("password")
    target = safe_next(str(form.get("next") or "/"))
    throttle: LoginThrottle = request.app.state.login_throttle
    client = (request.client.host if request.client else "") + "|" + str(username)
    wait = throttle.retry_after(client)
    if wait:
        return render(
            request,
            "login.html",
            status=429,
            next=target,
            error=f"Too many failed logins; try again in {wait} s.",
            has_users=bool(credentials.users),
        )
    if (
        isinstance(username, str)
        and isinstance(password, str)
        and credentials.check_password(username, password)
    ):
        throttle.succeeded(client)
        request.session.clear()
        request.session.update({"user": username, "csrf": new_csrf_token()})
        return redirect(app_root(request.scope) + target)
    throttle.failed(client)
    return render(
        request,
        "login.html",
        status=401,
        next=target,
        error="Wrong username or password.",
        has_users=bool(credentials.users),
    )


async def logout(request: Request) -> Response:
    request.session.clear()
    return redirect(url(request, "login"))


# -- pages -------------------------------------------------------------------


async def overview(request: Request) -> Response:
    chancy = chancy_of(request)
    summaries = await data.summaries(chancy)
    slots = data.SLOTS
    totals = [sum(s.throughput[i] for s in summaries) for i in range(slots)]
    failures = [sum(s.failures[i] for s in summaries) for i in range(slots)]
    sparklines = {
        s.queue["name"]: minute_chart(s.throughput, s.failures, width=120, height=24)
        for s in summaries
    }
    workers, leader = await data.list_workers(chancy)
    return render(
        request,
        "overview.html",
        summaries=summaries,
        chart=minute_chart(totals, failures),
        sparklines=sparklines,
        states=data.STATES,
        workers=workers,
        leader=leader,
        now=await data.database_now(chancy),
    )


async def queue_page(request: Request) -> Response:
    chancy = chancy_of(request)
    name = request.path_params["name"]
    queue = await data.get_queue(chancy, name)
    if queue is None:
        raise HTTPError(404, f"queue {name!r} does not exist")
    summary = next(s for s in await data.summaries(chancy) if s.queue["name"] == name)
    recent = await data.list_jobs(chancy, data.JobFilter(queue=name, limit=20))
    return render(
        request,
        "queue.html",
        queue=queue,
        summary=summary,
        chart=minute_chart(summary.throughput, summary.failures),
        states=data.STATES,
        jobs=recent,
    )


async def queue_action(request: Request) -> Response:
    chancy = chancy_of(request)
    name, action = request.path_params["name"], request.path_params["action"]
    if action == "pause":
        await actions.pause_queue(chancy, name)
    elif action == "resume":
        await actions.resume_queue(chancy, name)
    elif action == "delete":
        if not await actions.delete_queue(chancy, name):
            raise HTTPError(404, f"queue {name!r} does not exist")
        flash(request, f"Queue {name} deleted with its jobs.")
        return redirect(url(request, "overview"))
    else:
        raise HTTPError(404, f"no queue action {action!r}")
    flash(request, f"Queue {name} {PAST[action]}.")
    return redirect(url(request, "queue", name=name))


async def jobs_page(request: Request) -> Response:
    chancy = chancy_of(request)
    params = request.query_params
    flt = job_filter(params, params.getlist, default_limit=JOB_PAGE_SIZE)
    jobs = await data.list_jobs(chancy, flt)
    query = {
        "state": flt.states or [],
        "queue": flt.queue,
        "func": flt.func,
        "since": params.get("since"),
        "until": params.get("until"),
    }
    following = None
    if len(jobs) == flt.limit:
        following = url(request, "jobs", {**query, "before": str(jobs[-1]["id"])})
    return render(
        request,
        "jobs.html",
        jobs=jobs,
        filter=flt,
        query=query,
        next_page=following,
        states=data.STATES,
        queues=[q["name"] for q in await data.list_queues(chancy)],
        back=url(request, "jobs", {**query, "before": params.get("before")}),
    )


async def jobs_bulk(request: Request) -> Response:
    form = await request.form()
    action = str(form.get("action") or "")
    if action not in actions.JOB_ACTIONS:
        raise HTTPError(400, "choose retry, cancel or delete")
    ids = [parse_uuid(str(v)) for v in form.getlist("ids")]
    back = safe_next(str(form.get("back") or ""))
    if back == "/":
        back = url(request, "jobs")
    if not ids:
        flash(request, "No jobs selected.", "error")
        return redirect(back)
    changed = await actions.job_action(chancy_of(request), action, ids)
    skipped = len(set(ids)) - len(changed)
    text = f"{len(changed)} job(s) {PAST[action]}."
    if skipped:
        text += f" {skipped} could not be {PAST[action]} in their state."
    flash(request, text)
    return redirect(back)


async def job_page(request: Request) -> Response:
    job_id = parse_uuid(request.path_params["id"])
    job = await data.get_job(chancy_of(request), job_id)
    if job is None:
        raise HTTPError(404, f"job {job_id} does not exist")
    return render(
        request,
        "job.html",
        job=job,
        can_retry=job["state"] in data.FINISHED,
        can_cancel=job["state"] not in data.FINISHED,
    )


async def job_action(request: Request) -> Response:
    chancy = chancy_of(request)
    job_id = parse_uuid(request.path_params["id"])
    action = request.path_params["action"]
    if action not in actions.JOB_ACTIONS:
        raise HTTPError(404, f"no job action {action!r}")
    changed = await actions.job_action(chancy, action, [job_id])
    if not changed:
        job = await data.get_job(chancy, job_id)
        if job is None:
            raise HTTPError(404, f"job {job_id} does not exist")
        flash(request, f"Job is {job['state']}; it cannot be {PAST[action]}.", "error")
    elif action == "delete":
        flash(request, f"Job {job_id} deleted.")
        return redirect(url(request, "jobs"))
    else:
        flash(request, f"Job {PAST[action]}.")
    return redirect(url(request, "job", id=str(job_id)))


async def workers_page(request: Request) -> Response:
    workers, leader = await data.list_workers(chancy_of(request))
    return render(request, "workers.html", workers=workers, leader=leader)


async def crons_page(request: Request) -> Response:
    crons = await data.list_crons(chancy_of(request))
    return render(request, "crons.html", crons=crons)


def routes() -> list[Route]:
    return [
        Route("/", overview, name="overview"),
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Route("/logout", logout, methods=["POST"], name="logout"),
        Route("/queues/{name}", queue_page, name="queue"),
        Route(
            "/queues/{name}/{action}",
            queue_action,
            methods=["POST"],
            name="queue_action",
        ),
        Route("/jobs", jobs_page, name="jobs"),
        Route("/jobs/bulk", jobs_bulk, methods=["POST"], name="jobs_bulk"),
        Route("/jobs/{id}", job_page, name="job"),
        Route("/jobs/{id}/{action}", job_action, methods=["POST"], name="job_action"),
        Route("/workers", workers_page, name="workers"),
        Route("/crons", crons_page, name="crons"),
    ]
