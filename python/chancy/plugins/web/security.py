"""Who may use the dashboard and the API, and the headers every response carries.

Two ways in: a user from ``users`` logs in through the form (or
``POST /api/v1/login``) and gets a signed session cookie, or an API client
sends ``Authorization: Bearer <token>``. Requests that change something and
ride on the session cookie must prove they come from our own pages: forms carry
the session's CSRF token in a hidden field, API calls in ``X-CSRF-Token``.
"""

from __future__ import annotations

import collections
import hmac
import json
import logging
import math
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: Route paths anyone may reach (the login page needs its stylesheet).
PUBLIC_PATHS: Final = frozenset({"/health", "/login", "/api/v1/login"})
PUBLIC_PREFIXES: Final = ("/static/",)
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
MAX_FORM_BYTES: Final = 1024 * 1024
AUTH_SCOPE_KEY: Final = "chancy.auth"


@dataclass(frozen=True)
class Credentials:
    """The users allowed to log in and the API bearer token (either may be empty)."""

    users: Mapping[str, str] = field(default_factory=dict)
    token: str | None = None
    generated: bool = False

    @classmethod
    def resolve(cls, users: Mapping[str, str] | None, token: str | None) -> Credentials:
        """Use the given credentials, or make random ones and log them once."""
        if users is not None:
            for name, password in users.items():
                if not name or not password:
                    raise ValueError("web users need a non-empty name and password")
        if token is not None and len(token) < 16:
            raise ValueError("the web API token must be at least 16 characters")
        if users or token:
            return cls(users=dict(users or {}), token=token)
        generated = cls(
            users={"admin": secrets.token_urlsafe(12)},
            token=secrets.token_urlsafe(32),
            generated=True,
        )
        logger.warning(
            "No web credentials configured; generated user 'admin' with password "
            "%s and API token %s (pass users= or token= to choose your own)",
            generated.users["admin"],
            generated.token,
        )
        return generated

    def check_password(self, username: str, password: str) -> bool:
        """True if ``username`` exists and ``password`` is its password.

        Compares in constant time, also when the user does not exist.
        """
        expected = self.users.get(username)
        reference = expected if expected is not None else secrets.token_urlsafe(16)
        same = hmac.compare_digest(password.encode(), reference.encode())
        return same and expected is not None

    def check_token(self, token: str) -> bool:
        """True if ``token`` is the configured API token."""
        if not self.token:
            return False
        return hmac.compare_digest(token.encode(), self.token.encode())


class LoginThrottle:
    """Refuses logins for a user name from a client address after too many
    recent failures.

    Counts failures per (address, user name) in this process over a sliding
    ``window``; several processes serving the same users each keep their own
    count.
    """

    def __init__(self, max_failures: int = 10, window: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, collections.deque[float]] = {}

    def _recent(self, client: str, now: float) -> collections.deque[float]:
        failures = self._failures.get(client)
        if failures is None:
            return collections.deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[client]
        return failures

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 if it may now."""
        now = time.monotonic()
        failures = self._recent(client, now)
        if len(failures) < self.max_failures:
            return 0
        return max(1, math.ceil(failures[0] + self.window - now))

    def failed(self, client: str) -> None:
        now = time.monotonic()
        if len(self._failures) > 10_000:
            for stale in [
                c for c, f in self._failures.items() if f[-1] <= now - self.window
            ]:
                del self._failures[stale]
        self._failures.setdefault(client, collections.deque()).append(now)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


ROOT_SCOPE_KEY: Final = "chancy.root_path"


def app_root(scope: Scope) -> str:
    """Where this application is mounted (its ``root_path`` on entry).

    Starlette's ``Mount`` extends ``root_path`` for the routes inside it, so
    the value is recorded once by the outermost middleware.
    """
    root: str = scope.get(ROOT_SCOPE_KEY, scope.get("root_path", ""))
    return root


def route_path(scope: Scope) -> str:
    """The request path below the application's mount point."""
    path: str = scope.get("path", "")
    root = app_root(scope)
    if root and path.startswith(root):
        return path[len(root) :] or "/"
    return path


def safe_next(value: str | None) -> str:
    """A local path to go to after login; anything else becomes ``/``."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 32 for c in value):
        return "/"
    return value


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy and friends to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[ROOT_SCOPE_KEY] = scope.get("root_path", "")
        is_static = route_path(scope).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"cache-control" or is_static
                ]
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not is_static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AuthMiddleware:
    """Lets a request through only if it is authenticated and, if it changes
    something through the session cookie, carries the session's CSRF token.

    Sits inside Starlette's SessionMiddleware, which puts the decoded cookie in
    ``scope["session"]``. Records who the caller is in ``scope["chancy.auth"]``.
    """

    def __init__(self, app: ASGIApp, credentials: Credentials) -> None:
        self.app = app
        self.credentials = credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        path = route_path(scope)
        method: str = scope["method"]
        is_api = path.startswith("/api/")
        session: dict[str, Any] = scope.get("session", {})
        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)

        # Who is calling: a bearer token, or a logged-in session.
        bearer = _bearer_token(scope)
        if bearer is not None:
            if not self.credentials.check_token(bearer):
                await _deny(scope, send, 401, "invalid bearer token", is_api=True)
                return
            scope[AUTH_SCOPE_KEY] = {"user": "token", "method": "token"}
        elif session.get("user") in self.credentials.users:
            scope[AUTH_SCOPE_KEY] = {"user": session["user"], "method": "session"}
        elif public:
            scope[AUTH_SCOPE_KEY] = None
        else:
            await _deny(scope, send, 401, "authentication required", is_api=is_api)
            return

        # Changes through the cookie need the CSRF token; bearer calls do not.
        if method in SAFE_METHODS or bearer is not None:
            await self.app(scope, receive, send)
            return
        if path == "/api/v1/login":
            # No session yet; the endpoint insists on a JSON body, which a
            # cross-site form cannot send.
            await self.app(scope, receive, send)
            return
        expected = session.get("csrf")
        if is_api:
            supplied = _header(scope, CSRF_HEADER)
            if not _same(expected, supplied):
                await _deny(
                    scope, send, 403, "missing or wrong X-CSRF-Token", is_api=True
                )
                return
            await self.app(scope, receive, send)
            return

        # A dashboard form: read the body, check the field, replay the body.
        content_type = (_header(scope, "content-type") or "").split(";")[0].strip()
        if content_type != "application/x-www-form-urlencoded":
            await _deny(scope, send, 403, "forms must be url-encoded", is_api=False)
            return
        body = await _read_body(receive, MAX_FORM_BYTES)
        if body is None:
            await _deny(scope, send, 413, "form too large", is_api=False)
            return
        fields = parse_qs(body.decode("latin-1"))
        supplied = next(iter(fields.get(CSRF_FIELD, [])), None)
        if not _same(expected, supplied):
            await _deny(scope, send, 403, "missing or wrong CSRF token", is_api=False)
            return
        await self.app(scope, _replay(body, receive), send)


def _same(expected: Any, supplied: str | None) -> bool:
    if not isinstance(expected, str) or not expected or not supplied:
        return False
    return hmac.compare_digest(expected.encode(), supplied.encode())


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return str(value.decode("latin-1"))
    return None


def _bearer_token(scope: Scope) -> str | None:
    value = _header(scope, "authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _deny(
    scope: Scope, send: Send, status: int, reason: str, *, is_api: bool
) -> None:
    root = app_root(scope)
    if not is_api and status == 401 and scope["method"] in SAFE_METHODS:
        target = route_path(scope)
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        location = f"{root}/login?next={quote(target, safe='')}"
        headers = [(b"location", location.encode("latin-1"))]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    body = json.dumps({"error": reason}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="chancy"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
