"""Parsing of request values, JSON encoding, and database errors as HTTP errors."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

import psycopg

from chancy.plugins.web.data import MAX_PAGE, STATES, JobFilter

#: SQLSTATE of Chancy's errors (docs/design.md) and the HTTP status each means.
SQLSTATE_STATUS: Final = {
    "CH001": 404,  # unknown queue
    "CH002": 400,  # invalid job
    "CH004": 404,  # unknown job
    "CH005": 400,  # invalid queue declaration
    "CH006": 400,
    "CH007": 400,
    "CH008": 409,  # transition not allowed from the job's state
    "23514": 400,  # check constraint
    "23503": 409,  # foreign key
    "22P02": 400,  # invalid text representation
    "22007": 400,  # invalid datetime format
    "22008": 400,  # datetime out of range
    "22003": 400,  # numeric out of range
    "22023": 400,  # invalid parameter value
}


class HTTPError(Exception):
    """A request that cannot be served, with the status and a message for the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def from_database(exc: psycopg.Error) -> HTTPError:
    """The HTTP error a refused database call stands for (500 if unexpected)."""
    sqlstate = exc.sqlstate or ""
    status = SQLSTATE_STATUS.get(sqlstate)
    if status is None and (
        sqlstate.startswith("22") or isinstance(exc, psycopg.DataError)
    ):
        # Any data exception (class 22), or a value psycopg itself cannot
        # send, such as a NUL character, is the request's fault.
        status = 400
    if status is None:
        return HTTPError(500, "database error")
    message = exc.diag.message_primary or str(exc)
    return HTTPError(status, message)


def json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: Any, *, indent: int | None = None) -> str:
    return json.dumps(value, default=json_default, indent=indent, ensure_ascii=False)


def parse_uuid(value: str, what: str = "job id") -> UUID:
    try:
        return UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise HTTPError(400, f"{what} {value!r} is not a UUID") from None


def parse_datetime(value: str, what: str) -> dt.datetime:
    """An ISO 8601 time; one without a UTC offset is taken as UTC."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise HTTPError(400, f"{what} {value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def parse_states(values: list[str]) -> list[str] | None:
    states: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if part not in STATES:
                raise HTTPError(
                    400, f"state {part!r} is not one of {', '.join(STATES)}"
                )
            states.append(part)
    return states or None


def parse_int(value: str, what: str, *, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise HTTPError(400, f"{what} {value!r} is not an integer") from None
    if not low <= number <= high:
        raise HTTPError(400, f"{what} must be between {low} and {high}")
    return number


def job_filter(
    params: Mapping[str, Any], getlist: Any, default_limit: int = 50
) -> JobFilter:
    """The job filter of a query string (``state`` may repeat or be comma separated)."""

    def text(name: str) -> str | None:
        value = params.get(name)
        if value is None or not str(value).strip():
            return None
        return str(value).strip()

    since = text("since")
    until = text("until")
    before = text("before")
    limit = text("limit")
    return JobFilter(
        states=parse_states(list(getlist("state"))),
        queue=text("queue"),
        func=text("func"),
        since=parse_datetime(since, "since") if since else None,
        until=parse_datetime(until, "until") if until else None,
        before=parse_uuid(before, "before") if before else None,
        limit=parse_int(limit, "limit", low=1, high=MAX_PAGE)
        if limit
        else default_limit,
    )


def check_number(value: Any, what: str, *, integer: bool, allow_none: bool) -> Any:
    """A JSON number from a request body, refused with a clear message if not one."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HTTPError(400, f"{what} must be a number")
    if integer and not isinstance(value, int):
        raise HTTPError(400, f"{what} must be an integer")
    if isinstance(value, float) and not math.isfinite(value):
        raise HTTPError(400, f"{what} must be finite")
    return value
