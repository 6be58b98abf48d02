"""``build_app``: the dashboard and the JSON API as one Starlette application."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

import psycopg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from chancy.plugins.web import api, data, views
from chancy.plugins.web.common import HTTPError, from_database
from chancy.plugins.web.security import (
    AuthMiddleware,
    Credentials,
    LoginThrottle,
    SecurityHeadersMiddleware,
    route_path,
)

if TYPE_CHECKING:
    from chancy.app import Chancy

logger = logging.getLogger(__name__)

SESSION_COOKIE = "chancy_session"


async def health(request: Request) -> Response:
    ok = await data.healthy(request.app.state.chancy)
    return api.json_response(
        {"status": "ok" if ok else "unavailable", "database": ok}, 200 if ok else 503
    )


def _error_response(request: Request, status: int, message: str) -> Response:
    if route_path(request.scope).startswith("/api/"):
        return api.json_response({"error": message}, status)
    return views.render(
        request, "error.html", status=status, status_code=status, message=message
    )


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPError)
    return _error_response(request, exc.status, exc.message)


async def _on_starlette_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return _error_response(request, exc.status_code, str(exc.detail))


async def _on_database_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, psycopg.Error)
    error = from_database(exc)
    if error.status >= 500:
        logger.error("web request %s failed", request.url.path, exc_info=exc)
    return _error_response(request, error.status, error.message)


def build_app(
    chancy: Chancy,
    *,
    users: Mapping[str, str] | None = None,
    token: str | None = None,
    secret_key: str | None = None,
    credentials: Credentials | None = None,
    https_only: bool = False,
    session_max_age: int = 12 * 3600,
    debug: bool = False,
) -> Starlette:
    """The dashboard and API for ``chancy``, ready to serve or to mount.

    Mount it anywhere (``Mount("/chancy", app=build_app(chancy))``): every
    link and form follows the mount point. ``users`` may log in through the
    form, ``token`` is accepted as ``Authorization: Bearer``. Without either,
    random credentials are generated and logged once (WARNING). Without
    ``secret_key`` a random one is used, so sessions end when the process does.
    ``chancy``'s pool must be open while the app serves.
    """
    creds = credentials or Credentials.resolve(users, token)
    static = StaticFiles(directory=views.HERE / "static")
    routes = [
        Route("/health", health, methods=["GET"], name="health"),
        Mount("/api/v1", routes=api.routes(), name="api"),
        Mount("/static", app=static, name="static"),
        *views.routes(),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            SessionMiddleware,
            secret_key=secret_key or secrets.token_urlsafe(32),
            session_cookie=SESSION_COOKIE,
            max_age=session_max_age,
            same_site="lax",
            https_only=https_only,
        ),
        Middleware(AuthMiddleware, credentials=creds),
    ]
    app = Starlette(
        debug=debug,
        routes=routes,
        middleware=middleware,
        exception_handlers={
            HTTPError: _on_http_error,
            StarletteHTTPException: _on_starlette_error,
            psycopg.Error: _on_database_error,
        },
    )
    app.state.chancy = chancy
    app.state.credentials = creds
    app.state.templates = views.make_templates()
    app.state.login_throttle = LoginThrottle()
    return app
