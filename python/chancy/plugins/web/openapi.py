"""The OpenAPI 3.1 description of the JSON API, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any, Final

_JOB_STATES: Final = [
    "pending",
    "running",
    "retrying",
    "succeeded",
    "failed",
    "cancelled",
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Malformed request; the message names the problem",
        401: "Not authenticated",
        403: "CSRF token missing or wrong (cookie sessions only)",
        404: "No such queue or job",
        409: "The job's state does not allow this",
        415: "The body is not application/json",
        429: "Too many failed logins from this address",
    }
    return {
        str(code): {
            "description": text[code],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        for code in codes
    }


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}


def _op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": responses, **extra}


def openapi_spec(root_path: str = "") -> dict[str, Any]:
    """The specification, with ``root_path`` as the server URL."""
    mutating = _errors(400, 401, 403, 404)
    paths: dict[str, Any] = {
        "/health": {
            "get": _op(
                "Whether the web plugin and its database answer (no authentication)",
                {
                    "200": _ok("Healthy", {"type": "object"}),
                    "503": _ok("Database unreachable", {"type": "object"}),
                },
                security=[],
            )
        },
        "/api/v1/openapi.json": {
            "get": _op("This document", {"200": _ok("OpenAPI 3.1", {"type": "object"})})
        },
        "/api/v1/login": {
            "post": _op(
                "Log in; sets the session cookie, returns the CSRF token",
                {
                    "200": _ok("Logged in", _ref("Session")),
                    **_errors(400, 401, 415, 429),
                },
                requestBody=_body(
                    {
                        "type": "object",
                        "required": ["username", "password"],
                        "properties": {
                            "username": {"type": "string"},
                            "password": {"type": "string"},
                        },
                    }
                ),
                security=[],
            )
        },
        "/api/v1/logout": {
            "post": _op(
                "End the cookie session", {"200": _ok("Logged out", {"type": "object"})}
            )
        },
        "/api/v1/session": {
            "get": _op(
                "Who is calling, and the session's CSRF token",
                {"200": _ok("Caller", _ref("Session"))},
            )
        },
        "/api/v1/queues": {
            "get": _op(
                "Every queue with its job counts per state",
                {
                    "200": _ok(
                        "Queues",
                        {
                            "type": "object",
                            "properties": {
                                "queues": {"type": "array", "items": _ref("Queue")}
                            },
                        },
                    )
                },
            ),
            "post": _op(
                "Declare a queue (an existing one is kept unless upsert is true)",
                {
                    "200": _ok("The queue as stored", _ref("Queue")),
                    **mutating,
                    **_errors(415),
                },
                requestBody=_body(
                    {
                        "allOf": [
                            _ref("QueueSettings"),
                            {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "upsert": {"type": "boolean", "default": False},
                                },
                            },
                        ]
                    }
                ),
            ),
        },
        "/api/v1/queues/{name}": {
            "parameters": [_NAME],
            "get": _op(
                "One queue with its job counts per state",
                {"200": _ok("Queue", _ref("Queue")), **_errors(401, 404)},
            ),
            "patch": _op(
                "Change some settings of a queue, keeping the others",
                {
                    "200": _ok("The queue as stored", _ref("Queue")),
                    **mutating,
                    **_errors(415),
                },
                requestBody=_body(_ref("QueueSettings")),
            ),
            "delete": _op(
                "Delete a queue and all its jobs",
                {"200": _ok("Deleted", {"type": "object"}), **mutating},
            ),
        },
        "/api/v1/queues/{name}/pause": {
            "parameters": [_NAME],
            "post": _op(
                "Pause a queue, optionally until resume_at",
                {"200": _ok("The queue", _ref("Queue")), **mutating},
                requestBody=_body(
                    {
                        "type": "object",
                        "properties": {
                            "resume_at": {
                                "type": ["string", "null"],
                                "format": "date-time",
                            }
                        },
                    },
                    required=False,
                ),
            ),
        },
        "/api/v1/queues/{name}/resume": {
            "parameters": [_NAME],
            "post": _op(
                "Resume a paused queue",
                {"200": _ok("The queue", _ref("Queue")), **mutating},
            ),
        },
        "/api/v1/jobs": {
            "get": _op(
                "Jobs, newest first, filtered; page with before=<next>",
                {
                    "200": _ok(
                        "A page of jobs",
                        {
                            "type": "object",
                            "properties": {
                                "jobs": {"type": "array", "items": _ref("Job")},
                                "next": {
                                    "type": ["string", "null"],
                                    "description": "before= of the next page",
                                },
                            },
                        },
                    ),
                    **_errors(400, 401),
                },
                parameters=[
                    {
                        "name": "state",
                        "in": "query",
                        "schema": {"type": "array", "items": {"enum": _JOB_STATES}},
                        "style": "form",
                        "explode": True,
                        "description": "Repeat or comma-separate; any state if absent",
                    },
                    {"name": "queue", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "func",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "Case-insensitive substring of func",
                    },
                    {
                        "name": "since",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                        "description": "created_at >= since (no offset means UTC)",
                    },
                    {
                        "name": "until",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                        "description": "created_at < until (no offset means UTC)",
                    },
                    {
                        "name": "before",
                        "in": "query",
                        "schema": {"type": "string", "format": "uuid"},
                        "description": "Keyset cursor: only jobs with a smaller id",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 500,
                            "default": 50,
                        },
                    },
                ],
            ),
            "post": _op(
                "Retry, cancel or delete many jobs",
                {
                    "200": _ok(
                        "Which ids changed",
                        {
                            "type": "object",
                            "properties": {
                                "action": {"type": "string"},
                                "changed": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "uuid"},
                                },
                                "unchanged": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "uuid"},
                                },
                            },
                        },
                    ),
                    **mutating,
                    **_errors(415),
                },
                requestBody=_body(
                    {
                        "type": "object",
                        "required": ["action", "ids"],
                        "properties": {
                            "action": {"enum": ["retry", "cancel", "delete", "purge"]},
                            "ids": {
                                "type": "array",
                                "maxItems": 1000,
                                "items": {"type": "string", "format": "uuid"},
                            },
                        },
                    }
                ),
            ),
        },
        "/api/v1/jobs/functions": {
            "get": _op(
                "Distinct function names of stored jobs",
                {
                    "200": _ok(
                        "Names",
                        {
                            "type": "object",
                            "properties": {
                                "functions": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                }
                            },
                        },
                    )
                },
            ),
        },
        "/api/v1/jobs/{id}": {
            "parameters": [_ID],
            "get": _op(
                "One job with its errors and tracebacks",
                {"200": _ok("Job", _ref("Job")), **_errors(400, 401, 404)},
            ),
            "delete": _op(
                "Delete a job", {"200": _ok("Deleted", {"type": "object"}), **mutating}
            ),
        },
        "/api/v1/jobs/{id}/retry": {
            "parameters": [_ID],
            "post": _op(
                "Run a finished job again (attempts reset, errors kept)",
                {"200": _ok("The job", _ref("Job")), **mutating, **_errors(409)},
            ),
        },
        "/api/v1/jobs/{id}/cancel": {
            "parameters": [_ID],
            "post": _op(
                "Cancel a pending, retrying or running job",
                {"200": _ok("The job", _ref("Job")), **mutating, **_errors(409)},
            ),
        },
        "/api/v1/workers": {
            "get": _op(
                "Live workers, and the leadership lease",
                {
                    "200": _ok(
                        "Workers",
                        {
                            "type": "object",
                            "properties": {
                                "workers": {"type": "array", "items": _ref("Worker")},
                                "leader": {"oneOf": [_ref("Leader"), {"type": "null"}]},
                            },
                        },
                    )
                },
            )
        },
        "/api/v1/crons": {
            "get": _op(
                "Cron schedules (empty if the cron plugin is not installed)",
                {
                    "200": _ok(
                        "Schedules",
                        {
                            "type": "object",
                            "properties": {
                                "crons": {"type": "array", "items": {"type": "object"}}
                            },
                        },
                    )
                },
            ),
        },
    }
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}},
        },
        "Session": {
            "type": "object",
            "properties": {
                "user": {"type": ["string", "null"]},
                "method": {"enum": ["session", "token", None]},
                "csrf_token": {"type": ["string", "null"]},
            },
        },
        "QueueSettings": {
            "type": "object",
            "properties": {
                "concurrency": {"type": ["integer", "null"]},
                "executor": {"type": "string"},
                "executor_options": {"type": "object"},
                "polling_interval": {"type": "number"},
                "rate_limit": {"type": ["integer", "null"]},
                "rate_limit_window": {"type": ["integer", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "retry_settings": {"type": "object"},
                "state": {"enum": ["active", "paused"]},
            },
        },
        "Queue": {
            "allOf": [
                _ref("QueueSettings"),
                {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "resume_at": {
                            "type": ["string", "null"],
                            "format": "date-time",
                        },
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "counts": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                        },
                    },
                },
            ]
        },
        "Job": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "queue": {"type": "string"},
                "func": {"type": "string"},
                "kwargs": {"type": "object"},
                "priority": {"type": "integer"},
                "state": {"enum": _JOB_STATES},
                "attempts": {"type": "integer"},
                "max_attempts": {"type": "integer"},
                "scheduled_at": {"type": "string", "format": "date-time"},
                "created_at": {"type": "string", "format": "date-time"},
                "started_at": {"type": ["string", "null"], "format": "date-time"},
                "completed_at": {"type": ["string", "null"], "format": "date-time"},
                "taken_by": {"type": ["string", "null"]},
                "lease_expires_at": {"type": ["string", "null"], "format": "date-time"},
                "unique_key": {"type": ["string", "null"]},
                "meta": {"type": "object"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "attempt": {"type": "integer"},
                            "type": {"type": "string"},
                            "message": {"type": "string"},
                            "traceback": {"type": "string"},
                            "at": {"type": "string"},
                        },
                    },
                },
                "limits": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Worker": {
            "type": "object",
            "properties": {
                "worker_id": {"type": "string"},
                "hostname": {"type": "string"},
                "pid": {"type": ["integer", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "queues": {"type": "array", "items": {"type": "string"}},
                "started_at": {"type": "string", "format": "date-time"},
                "last_seen": {"type": "string", "format": "date-time"},
                "expires_at": {"type": "string", "format": "date-time"},
                "is_leader": {"type": "boolean"},
            },
        },
        "Leader": {
            "type": "object",
            "properties": {
                "worker_id": {"type": "string"},
                "term": {"type": "integer"},
                "elected_at": {"type": "string", "format": "date-time"},
                "renewed_at": {"type": "string", "format": "date-time"},
                "expires_at": {"type": "string", "format": "date-time"},
                "alive": {"type": "boolean"},
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chancy",
            "version": "1",
            "description": "Manage Chancy's queues and jobs.",
        },
        "servers": [{"url": root_path or "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "chancy_session",
                    "description": "Log in first; send X-CSRF-Token on changes",
                },
            },
        },
    }
