"""Jobs: what to run (:class:`Job`), what the database holds (:class:`QueuedJob`).

A job names an importable function and the keyword arguments to call it
with. Keyword arguments (and ``meta``) are stored as JSON and must survive
the trip exactly: ``None``, ``bool``, ``int``, finite ``float``, ``str``
without NUL characters, ``list`` and ``dict`` with ``str`` keys. A push
carrying anything else (``datetime``, ``Decimal``, ``UUID``, ``bytes``,
``set``, ``tuple``, NaN or infinity, a NUL character, a non-string key) is
refused with an :class:`~chancy.errors.InvalidJobError` naming the key path,
e.g. ``kwargs['when']``; nothing is stored. The SQL functions refuse the
same values when called directly (``\\u0000`` and non-object kwargs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Protocol, TypeVar, overload

from chancy import _json
from chancy.errors import InvalidJobError

__all__ = ["IsAJob", "Job", "Limit", "QueuedJob", "Reference", "job"]

T = TypeVar("T")


class Reference:
    """The id of a pushed job; equal to the same id as ``UUID`` or ``str``."""

    __slots__ = ("identifier",)

    def __init__(self, identifier: str | uuid.UUID | Reference) -> None:
        if isinstance(identifier, Reference):
            identifier = identifier.identifier
        elif not isinstance(identifier, uuid.UUID):
            try:
                identifier = uuid.UUID(str(identifier))
            except ValueError as exc:
                raise InvalidJobError(f"{identifier!r} is not a job id") from exc
        self.identifier: uuid.UUID = identifier

    @classmethod
    def of_ids(cls, ids: Iterable[uuid.UUID]) -> list[Reference]:
        """References to ids read from the database (already ``UUID``s)."""
        refs = []
        for ident in ids:
            ref = object.__new__(cls)
            ref.identifier = ident
            refs.append(ref)
        return refs

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Reference):
            return self.identifier == other.identifier
        if isinstance(other, uuid.UUID):
            return self.identifier == other
        if isinstance(other, str):
            try:
                return self.identifier == uuid.UUID(other)
            except ValueError:
                return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.identifier)

    def __str__(self) -> str:
        return str(self.identifier)

    def __repr__(self) -> str:
        return f"Reference('{self.identifier}')"


@dataclasses.dataclass(frozen=True)
class Limit:
    """A resource limit on one run of a job (memory in bytes, time in seconds)."""

    class Type(enum.StrEnum):
        MEMORY = "memory"
        TIME = "time"

    type_: Limit.Type
    value: int

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "type_", Limit.Type(self.type_))
        except ValueError as exc:
            raise InvalidJobError(
                f"limit type {self.type_!r} is not one of 'memory', 'time'"
            ) from exc
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise InvalidJobError(f"limit value {self.value!r} is not an int")
        if self.value <= 0:
            raise InvalidJobError(f"limit value {self.value} is not positive")

    def serialize(self) -> dict[str, Any]:
        """The JSON form stored in ``chancy.jobs.limits``: ``{"t": ..., "v": ...}``."""
        return {"t": str(self.type_), "v": self.value}

    @classmethod
    def deserialize(cls, data: Mapping[str, Any]) -> Limit:
        """Read a limit back from its JSON form."""
        return cls(Limit.Type(data["t"]), int(data["v"]))


def _check_json(value: object, path: str) -> None:
    """Refuse a value JSON cannot keep exactly, naming where (no JSON text is
    made: the caller serialises the whole payload once)."""
    try:
        _json.check(value, path)
    except _json.JSONError as exc:
        raise InvalidJobError(str(exc)) from exc


def _importable_name(func: Callable[..., Any]) -> str:
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    if not module or not qualname:
        raise InvalidJobError(f"{func!r} has no importable name")
    return f"{module}.{qualname}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Job:
    """A job to push: an importable function name and its keyword arguments.

    ``scheduled_at=None`` means "now" by the database clock; a given time
    must be timezone-aware. ``max_attempts`` counts runs (1 runs once).
    ``kwargs`` and ``meta`` must be JSON that round-trips exactly (see the
    module docstring); a push refuses anything else, naming the key.
    """

    func: str
    queue: str = "default"
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    priority: int = 0
    max_attempts: int = 1
    scheduled_at: dt.datetime | None = None
    limits: list[Limit] = dataclasses.field(default_factory=list)
    unique_key: str | None = None
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.func, str) or not self.func:
            raise InvalidJobError(f"func must be a non-empty str, not {self.func!r}")
        if not isinstance(self.queue, str) or not self.queue:
            raise InvalidJobError(f"queue must be a non-empty str, not {self.queue!r}")
        for name in ("func", "queue", "unique_key"):
            text = getattr(self, name)
            if isinstance(text, str) and "\x00" in text:
                raise InvalidJobError(
                    f"{name} must not contain NUL characters, got {text!r}"
                )
        if self.kwargs is None:
            object.__setattr__(self, "kwargs", {})
        if self.meta is None:
            object.__setattr__(self, "meta", {})
        if not isinstance(self.kwargs, Mapping):
            raise InvalidJobError(f"kwargs must be a dict, not {self.kwargs!r}")
        if not isinstance(self.meta, Mapping):
            raise InvalidJobError(f"meta must be a dict, not {self.meta!r}")
        for name in ("priority", "max_attempts"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidJobError(f"{name} must be an int, not {value!r}")
        if not -32768 <= self.priority <= 32767:
            raise InvalidJobError(f"priority {self.priority} is outside -32768..32767")
        if not 1 <= self.max_attempts <= 1000:
            raise InvalidJobError(
                f"max_attempts {self.max_attempts} is outside 1..1000"
            )
        if self.scheduled_at is not None:
            if not isinstance(self.scheduled_at, dt.datetime):
                raise InvalidJobError(
                    f"scheduled_at must be a datetime, not {self.scheduled_at!r}"
                )
            if self.scheduled_at.utcoffset() is None:
                raise InvalidJobError(
                    "scheduled_at is a naive datetime; give a timezone-aware one "
                    "(e.g. datetime.now(timezone.utc)) or None for now by the "
                    "database clock"
                )
        limits = list(self.limits or [])
        for item in limits:
            if not isinstance(item, Limit):
                raise InvalidJobError(f"limits must hold Limit objects, not {item!r}")
        object.__setattr__(self, "limits", limits)
        if self.unique_key is not None and (
            not isinstance(self.unique_key, str) or not self.unique_key
        ):
            raise InvalidJobError(
                f"unique_key must be a non-empty str or None, not {self.unique_key!r}"
            )

    # -- construction -----------------------------------------------------

    @classmethod
    def from_func(cls, func: Callable[..., Any], **options: Any) -> Job:
        """A job running ``func`` (by its importable name) with ``options``.

        For a function decorated with :func:`job`, the decorator's options
        are the defaults and ``options`` override them.
        """
        decorated = getattr(func, "job", None)
        if isinstance(decorated, Job):
            return dataclasses.replace(decorated, **options)
        return cls(func=_importable_name(func), **options)

    def with_priority(self, priority: int) -> Job:
        return dataclasses.replace(self, priority=priority)

    def with_max_attempts(self, max_attempts: int) -> Job:
        return dataclasses.replace(self, max_attempts=max_attempts)

    def with_scheduled_at(self, scheduled_at: dt.datetime | None) -> Job:
        return dataclasses.replace(self, scheduled_at=scheduled_at)

    def with_limits(self, limits: Iterable[Limit]) -> Job:
        return dataclasses.replace(self, limits=list(limits))

    def with_kwargs(self, **kwargs: Any) -> Job:
        """A copy whose kwargs are exactly ``kwargs`` (replaced, not merged)."""
        return dataclasses.replace(self, kwargs=kwargs)

    def with_unique_key(self, unique_key: str | None) -> Job:
        return dataclasses.replace(self, unique_key=unique_key)

    def with_queue(self, queue: str) -> Job:
        return dataclasses.replace(self, queue=queue)

    def with_meta(self, meta: Mapping[str, Any]) -> Job:
        return dataclasses.replace(self, meta=dict(meta))

    # -- serialisation ----------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The job as the JSON object ``chancy.push_many`` takes.

        Raises :class:`~chancy.errors.InvalidJobError` naming the key path if
        kwargs or meta hold a value JSON cannot keep exactly.
        """
        _check_json(self.kwargs, "kwargs")
        _check_json(self.meta, "meta")
        return {
            "func": self.func,
            "queue": self.queue,
            "kwargs": self.kwargs,
            "priority": self.priority,
            "max_attempts": self.max_attempts,
            "scheduled_at": (
                None if self.scheduled_at is None else self.scheduled_at.isoformat()
            ),
            "limits": [limit.serialize() for limit in self.limits],
            "unique_key": self.unique_key,
            "meta": self.meta,
        }

    def push_many_entry(self) -> dict[str, Any]:
        """:meth:`to_dict` without the keys at their defaults (what
        ``chancy.push_many`` assumes for an absent key): the compact element
        a bulk push sends. Raises like :meth:`to_dict`."""
        entry: dict[str, Any] = {"func": self.func}
        if self.queue != "default":
            entry["queue"] = self.queue
        if self.kwargs or type(self.kwargs) is not dict:
            _check_json(self.kwargs, "kwargs")
            entry["kwargs"] = self.kwargs
        if self.priority:
            entry["priority"] = self.priority
        if self.max_attempts != 1:
            entry["max_attempts"] = self.max_attempts
        if self.scheduled_at is not None:
            entry["scheduled_at"] = self.scheduled_at.isoformat()
        if self.limits:
            entry["limits"] = [limit.serialize() for limit in self.limits]
        if self.unique_key is not None:
            entry["unique_key"] = self.unique_key
        if self.meta or type(self.meta) is not dict:
            _check_json(self.meta, "meta")
            entry["meta"] = self.meta
        return entry

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Job:
        """The inverse of :meth:`to_dict`."""
        scheduled_at = data.get("scheduled_at")
        if isinstance(scheduled_at, str):
            scheduled_at = dt.datetime.fromisoformat(scheduled_at)
        return cls(
            func=data["func"],
            queue=data.get("queue", "default"),
            kwargs=dict(data.get("kwargs") or {}),
            priority=data.get("priority", 0),
            max_attempts=data.get("max_attempts", 1),
            scheduled_at=scheduled_at,
            limits=[Limit.deserialize(x) for x in data.get("limits") or []],
            unique_key=data.get("unique_key"),
            meta=dict(data.get("meta") or {}),
        )

    def push_params(self) -> dict[str, Any]:
        """Bound parameters for one ``chancy.push`` call (JSON as text)."""
        return {
            "func": self.func,
            "kwargs": _json.wrap(InvalidJobError, self.kwargs, "kwargs"),
            "queue": self.queue,
            "priority": self.priority,
            "scheduled_at": self.scheduled_at,
            "max_attempts": self.max_attempts,
            "unique_key": self.unique_key,
            "meta": _json.wrap(InvalidJobError, self.meta, "meta"),
            "limits": _json.dumps(
                [limit.serialize() for limit in self.limits], "limits"
            ),
        }


@dataclasses.dataclass(frozen=True, kw_only=True)
class QueuedJob(Job):
    """A job as stored in ``chancy.jobs``, read back from the database."""

    class State(enum.StrEnum):
        PENDING = "pending"
        RUNNING = "running"
        RETRYING = "retrying"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    id: uuid.UUID
    state: QueuedJob.State = State.PENDING
    attempts: int = 0
    created_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    taken_by: str | None = None
    lease_expires_at: dt.datetime | None = None
    claim_id: uuid.UUID | None = None
    errors: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        # A stored row was validated when it was pushed; only normalise types.
        object.__setattr__(self, "state", QueuedJob.State(self.state))
        object.__setattr__(self, "limits", list(self.limits or []))

    @property
    def reference(self) -> Reference:
        return Reference(self.id)

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    # Cooperative controls of a running execution (threaded executor); outside
    # an execution they report nothing and checkpoint() does nothing.

    def checkpoint(self) -> None:
        """Raise ``JobCancelled`` or ``TimeoutError`` if this running job was
        cancelled or ran past its time limit."""
        from chancy.executors import checkpoint

        checkpoint(self)

    @property
    def cancelled(self) -> bool:
        """Whether this running job was cancelled."""
        from chancy.executors import is_cancelled

        return is_cancelled(self)

    @property
    def time_remaining(self) -> float | None:
        """Seconds left before this running job's time limit, if it has one."""
        from chancy.executors import time_remaining

        return time_remaining(self)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> QueuedJob:
        """Build from a ``chancy.jobs`` row read with a dict row factory."""
        return cls(
            id=row["id"],
            func=row["func"],
            queue=row["queue"],
            kwargs=row["kwargs"],
            priority=row["priority"],
            max_attempts=row["max_attempts"],
            scheduled_at=row["scheduled_at"],
            limits=[Limit.deserialize(x) for x in row.get("limits") or []],
            unique_key=row["unique_key"],
            meta=row["meta"],
            state=QueuedJob.State(row["state"]),
            attempts=row["attempts"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            completed_at=row["completed_at"],
            taken_by=row["taken_by"],
            lease_expires_at=row["lease_expires_at"],
            claim_id=row["claim_id"],
            errors=row["errors"],
        )

    #: The columns :meth:`from_claim` reads, in order (``chancy.fetch`` rows).
    CLAIM_COLUMNS: ClassVar[str] = (
        "id, func, queue, kwargs, priority, max_attempts, scheduled_at, limits, "
        "unique_key, meta, attempts, created_at, started_at, lease_expires_at, "
        "claim_id, errors"
    )

    @classmethod
    def from_claim(cls, row: Sequence[Any], taken_by: str) -> QueuedJob:
        """Build a job just claimed by ``taken_by`` from a row of
        :attr:`CLAIM_COLUMNS`, without re-validating it.

        The worker's hot path: a claimed row is running, carries no completion
        time and was validated when it was pushed, so the fields are set
        directly instead of through the dataclass constructor.
        """
        (
            ident,
            func,
            queue,
            kwargs,
            priority,
            max_attempts,
            scheduled_at,
            limits,
            unique_key,
            meta,
            attempts,
            created_at,
            started_at,
            lease_expires_at,
            claim_id,
            errors,
        ) = row
        job = object.__new__(cls)
        job.__dict__.update(
            func=func,
            queue=queue,
            kwargs=kwargs,
            priority=priority,
            max_attempts=max_attempts,
            scheduled_at=scheduled_at,
            limits=[Limit.deserialize(x) for x in limits] if limits else [],
            unique_key=unique_key,
            meta=meta,
            id=ident,
            state=QueuedJob.State.RUNNING,
            attempts=attempts,
            created_at=created_at,
            started_at=started_at,
            completed_at=None,
            taken_by=taken_by,
            lease_expires_at=lease_expires_at,
            claim_id=claim_id,
            errors=errors,
        )
        return job


#: States a job never leaves on its own.
FINISHED_STATES: frozenset[QueuedJob.State] = frozenset(
    {QueuedJob.State.SUCCEEDED, QueuedJob.State.FAILED, QueuedJob.State.CANCELLED}
)


class IsAJob(Protocol[T]):  # type: ignore[misc]
    """A function decorated with :func:`job`: still callable, plus ``.job``."""

    job: Job

    def __call__(self, *args: Any, **kwargs: Any) -> T: ...


@overload
def job(func: Callable[..., T], /) -> IsAJob[T]: ...


@overload
def job(
    func: None = None, /, **options: Any
) -> Callable[[Callable[..., T]], IsAJob[T]]: ...


def job(
    func: Callable[..., T] | None = None, /, **options: Any
) -> IsAJob[T] | Callable[[Callable[..., T]], IsAJob[T]]:
    """Mark a function as a job: ``@job`` or ``@job(queue="mail", priority=5)``.

    The function is returned unchanged (still directly callable) and gains a
    ``.job`` attribute, a :class:`Job` built from ``options``. Push the
    function itself, ``func.job``, or a variant such as
    ``func.job.with_kwargs(name="x")``.
    """

    def decorate(f: Callable[..., T]) -> IsAJob[T]:
        f.job = Job.from_func(f, **options)  # type: ignore[attr-defined]
        return f  # type: ignore[return-value]

    if func is not None:
        return decorate(func)
    return decorate


def as_job(value: Job | Callable[..., Any]) -> Job:
    """Accept a :class:`Job`, a :func:`job`-decorated function, or ``func.job``."""
    if isinstance(value, Job):
        return value
    candidate = getattr(value, "job", None)
    if isinstance(candidate, Job):
        return candidate
    raise TypeError(f"expected a Job or a function decorated with @job, not {value!r}")
