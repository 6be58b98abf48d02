"""Chancy's web dashboard and JSON API.

Run it in a worker with ``Chancy(dsn, plugins=[Web(users={...})])``, alone
with ``chancy --app m:a web``, or mount ``build_app(chancy)`` into another
ASGI application.
"""

from __future__ import annotations

from chancy.plugins.web.app import build_app
from chancy.plugins.web.plugin import Web
from chancy.plugins.web.security import Credentials

__all__ = ["Credentials", "Web", "build_app"]
