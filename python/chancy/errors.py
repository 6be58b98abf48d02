"""Chancy's exceptions and the mapping from database errors to them.

The SQL engine raises errors in its own SQLSTATE class ``CH`` (see
``docs/design.md``); each code maps to exactly one exception class here.
Violations of the tables' named CHECK and foreign-key constraints are
mapped by constraint name. Use :func:`from_psycopg` and raise the result
``from`` the original error so the psycopg error stays attached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "ChancyError",
    "ConfigurationError",
    "InvalidJobError",
    "InvalidQueueError",
    "InvalidRuleError",
    "InvalidScheduleError",
    "InvalidStateError",
    "JobNotFoundError",
    "NotLeaderError",
    "SchemaVersionError",
    "UnknownQueueError",
    "from_psycopg",
]


class ChancyError(Exception):
    """Root of every error Chancy raises."""


class UnknownQueueError(ChancyError, KeyError):
    """A push or queue call names a queue that does not exist (``CH001``).

    Also a :class:`KeyError`, so code written for lookups keeps working.
    """

    def __str__(self) -> str:
        # KeyError quotes its argument; a message reads better unquoted.
        return str(self.args[0]) if self.args else ""


class InvalidJobError(ChancyError, ValueError):
    """A job argument is out of range or malformed (``CH002``)."""


class NotLeaderError(ChancyError):
    """A leader-only write carries a term that is not the live one (``CH003``)."""


class JobNotFoundError(ChancyError, LookupError):
    """A call names a job id that does not exist (``CH004``)."""


class InvalidQueueError(ChancyError, ValueError):
    """A queue declaration is malformed (``CH005``)."""


class InvalidRuleError(ChancyError, ValueError):
    """A prune predicate or rule is refused (``CH006``)."""


class InvalidScheduleError(ChancyError, ValueError):
    """A cron schedule is refused (``CH007``)."""


class InvalidStateError(ChancyError):
    """A transition is not allowed from the job's state (``CH008``)."""


class SchemaVersionError(ChancyError):
    """The database schema is missing, older or newer than this Chancy knows."""


class ConfigurationError(ChancyError, ValueError):
    """Chancy was configured with something it cannot use."""


#: One exception class per SQLSTATE of Chancy's class ``CH``.
SQLSTATE_ERRORS: dict[str, type[ChancyError]] = {
    "CH001": UnknownQueueError,
    "CH002": InvalidJobError,
    "CH003": NotLeaderError,
    "CH004": JobNotFoundError,
    "CH005": InvalidQueueError,
    "CH006": InvalidRuleError,
    "CH007": InvalidScheduleError,
    "CH008": InvalidStateError,
}

#: Constraint violations (23514 check, 23503 foreign key) by table prefix.
_CONSTRAINT_PREFIX_ERRORS: tuple[tuple[str, type[ChancyError]], ...] = (
    ("jobs_queue_fkey", UnknownQueueError),
    ("queue_rate_limits_queue_fkey", UnknownQueueError),
    ("jobs_", InvalidJobError),
    ("queues_", InvalidQueueError),
    ("cron_", InvalidScheduleError),
)


def from_psycopg(exc: BaseException) -> BaseException:
    """Return the Chancy error matching a database error, or ``exc`` itself.

    The caller raises the result ``from exc``. Errors that are not Chancy's
    (connection failures, syntax errors, ...) come back unchanged.
    """
    sqlstate = getattr(exc, "sqlstate", None)
    if not isinstance(sqlstate, str):
        return exc

    diag = getattr(exc, "diag", None)
    message = (getattr(diag, "message_primary", None) or str(exc)).strip()

    cls = SQLSTATE_ERRORS.get(sqlstate)
    if cls is not None:
        return cls(message)

    if sqlstate in ("23514", "23503"):
        constraint = getattr(diag, "constraint_name", None) or ""
        for prefix, mapped in _CONSTRAINT_PREFIX_ERRORS:
            if constraint.startswith(prefix):
                return mapped(f"{message} (constraint {constraint})")
    return exc


def raise_from_psycopg(exc: psycopg.Error) -> None:
    """Raise the Chancy error for ``exc`` (or ``exc`` itself), chained to it."""
    mapped = from_psycopg(exc)
    if mapped is exc:
        raise exc
    raise mapped from exc
