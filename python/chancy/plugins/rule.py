"""Rules: Python expressions over jobs that compile to an SQL predicate.

A rule reads like a comparison and compiles, through :mod:`psycopg.sql`, to a
boolean SQL expression over the table alias ``j`` (a row of ``chancy.jobs``).
Every value is rendered as a quoted SQL literal (``sql.Literal``); no text is
ever pasted into the SQL. A text value holding ``;``, ``--`` or ``/*``, which
``chancy.prune`` refuses in predicate text, is spelled as the literal hex of
its UTF-8 bytes, decoded by Postgres (``convert_from(decode('..', 'hex'),
'UTF8')``)::

    from chancy.plugins.rule import Age, Queue, State, Meta

    rule = (Queue() == "mail") & (Age() > 3600)
    rule = (State() == "failed") | Meta("tenant").in_(["a", "b"])
    rule = ~Job().contains("tmp")
    rule.as_string()   # the SQL text, e.g. for chancy.prune(predicate => ...)

Fields: :class:`Age`, :class:`Queue`, :class:`Job` (the function name),
:class:`State`, :class:`Priority`, :class:`Attempts`, :class:`CreatedAt`,
:class:`ScheduledAt`, :class:`CompletedAt`, :class:`ID` and
:class:`Meta` (a key, or a path of keys, of the job's ``meta``).

Conditions are built with ``== != < <= > >=``, :meth:`Field.is_null`,
:meth:`Field.is_not_null`, :meth:`Field.in_`, :meth:`Field.not_in`,
:meth:`Field.contains`, :meth:`Field.like` and :meth:`Field.ilike`, and
combined with ``&`` (and), ``|`` (or) and ``~`` (not).

Semantics worth knowing:

- ``Age()`` is the number of seconds since the job finished, for a finished
  job (``completed_at``), and since it was created otherwise
  (``coalesce(j.completed_at, j.created_at)``). ``Age() > n`` compiles to a
  comparison on the timestamp itself (``... < now() - n seconds``) so an index
  can serve it; the pruner compiles it as ``j.completed_at < ...``, which is
  the same thing for finished jobs and is served by ``jobs_prune_idx``.
- ``~rule`` matches every row that ``rule`` does not match, including rows
  where ``rule`` is unknown because a value is missing (it compiles to
  ``(rule) IS NOT TRUE``). Likewise ``a != v`` is exactly ``~(a == v)``
  (``IS DISTINCT FROM``) and ``a.not_in(vs)`` is exactly ``~a.in_(vs)``.
  The ordering comparisons and ``==`` never match a missing value.
- ``Meta("k") == v`` compares as JSON: ``Meta("n") == 5`` matches the number
  5 (and 5.0), not the string ``"5"``; ordering comparisons only match values
  of the same JSON type as ``v`` (numbers numerically, strings as text).
- ``contains(s)`` is a case-insensitive substring test (``case_sensitive=True``
  for an exact-case one); ``%``, ``_`` and ``\\`` in ``s`` are matched
  literally. ``like``/``ilike`` take a pattern whose wildcards are meant.

Python's operator precedence makes some spellings mean something else than
they read; Chancy refuses them with :class:`~chancy.errors.InvalidRuleError`
when the rule is built. ``Queue() == "x" & (Age() > 60)`` (``&`` binds before
``==``: parenthesise each comparison), ``a and b`` / ``a or b`` / ``not a``
(use ``&``, ``|``, ``~``), chained comparisons such as ``1 < Age() < 5``,
comparing a combined condition (``(a & b) | Job() == "x"``), and ``== None``
(use :meth:`Field.is_null`).

Fields and conditions are deliberately unhashable: their ``==`` builds a
condition, so they cannot serve as dict keys or set members.
"""

from __future__ import annotations

import datetime
import json
import math
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar, NoReturn

from psycopg import sql
from psycopg.types.json import Jsonb

from chancy.errors import InvalidRuleError

__all__ = [
    "ID",
    "Age",
    "Attempts",
    "CompletedAt",
    "Condition",
    "CreatedAt",
    "Field",
    "InvalidRuleError",
    "Job",
    "Meta",
    "Priority",
    "Queue",
    "Column",
    "ScheduledAt",
    "State",
    "compile_rule",
]

JOB_STATES = ("pending", "running", "retrying", "succeeded", "failed", "cancelled")

_COMPARISONS = {
    "==": sql.SQL("="),
    "!=": sql.SQL("IS DISTINCT FROM"),
    "<": sql.SQL("<"),
    "<=": sql.SQL("<="),
    ">": sql.SQL(">"),
    ">=": sql.SQL(">="),
}
# Age grows as the timestamp it is measured from shrinks.
_AGE_TO_TIMESTAMP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}

_PRECEDENCE_HINT = (
    "In Python `&`, `|` and `~` bind tighter than comparisons, so write each "
    "comparison in parentheses: (Queue() == 'x') & (Age() > 60)."
)


# chancy.prune refuses predicate text holding these (statement separators and
# comments), so a value containing one is spelled in hex instead.
_REFUSED_IN_PREDICATES = (";", "--", "/*")


def _text(value: str) -> sql.Composable:
    """A text literal; hex-encoded if it holds what chancy.prune refuses."""
    if any(seq in value for seq in _REFUSED_IN_PREDICATES):
        return sql.SQL("convert_from(decode({}, 'hex'), 'UTF8')").format(
            sql.Literal(value.encode().hex())
        )
    return sql.Literal(value)


def _json(value: Any) -> sql.Composable:
    """A jsonb literal of ``value`` (see :func:`_text`)."""
    text = json.dumps(value)
    if any(seq in text for seq in _REFUSED_IN_PREDICATES):
        return sql.SQL("{}::jsonb").format(_text(text))
    return sql.Literal(Jsonb(value))


def _value(value: Any) -> sql.Composable:
    return _text(value) if isinstance(value, str) else sql.Literal(value)


def _refuse(message: str) -> NoReturn:
    raise InvalidRuleError(message)


class _Context:
    """How a rule is being compiled."""

    __slots__ = ("finished_only",)

    def __init__(self, *, finished_only: bool) -> None:
        self.finished_only = finished_only


# ---------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------


class Condition:
    """A boolean rule over a job; combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def _compile(self, ctx: _Context) -> sql.Composable:
        raise NotImplementedError

    def to_sql(self, *, finished_only: bool = False) -> sql.Composable:
        """The predicate over alias ``j`` as a :class:`psycopg.sql.Composable`.

        With ``finished_only`` the caller promises the predicate is only ever
        applied to finished jobs (the pruner does), which lets ``Age()``
        compile to ``j.completed_at`` so ``jobs_prune_idx`` serves it.
        """
        return self._compile(_Context(finished_only=finished_only))

    def as_string(self, *, finished_only: bool = False) -> str:
        """The predicate as SQL text, e.g. for ``chancy.prune(predicate => ...)``."""
        return self.to_sql(finished_only=finished_only).as_string(None)

    # -- combination -------------------------------------------------------

    def __and__(self, other: object) -> Condition:
        return _And(self, _require_condition(other, "&"))

    def __or__(self, other: object) -> Condition:
        return _Or(self, _require_condition(other, "|"))

    def __rand__(self, other: object) -> NoReturn:
        _refuse_reflected(other, "&")

    def __ror__(self, other: object) -> NoReturn:
        _refuse_reflected(other, "|")

    def __invert__(self) -> Condition:
        return _Not(self)

    # -- traps ---------------------------------------------------------------

    def __bool__(self) -> NoReturn:
        _refuse(
            "A rule has no truth value: use `&`, `|` and `~` instead of `and`, "
            "`or` and `not`, and write a range as two comparisons "
            "((Age() > 1) & (Age() < 5)) rather than a chained one (1 < Age() < 5)."
        )

    def _refuse_comparison(self, other: object) -> NoReturn:
        _refuse(
            f"Cannot compare the condition {self!r} with {other!r}: a condition "
            f"is already true or false. {_PRECEDENCE_HINT}"
        )

    def __eq__(self, other: object) -> NoReturn:
        self._refuse_comparison(other)

    def __ne__(self, other: object) -> NoReturn:
        self._refuse_comparison(other)

    def __lt__(self, other: object) -> NoReturn:
        self._refuse_comparison(other)

    def __le__(self, other: object) -> NoReturn:
        self._refuse_comparison(other)

    def __gt__(self, other: object) -> NoReturn:
        self._refuse_comparison(other)

    def __ge__(self, other: object) -> NoReturn:
        self._refuse_comparison(other)

    def __repr__(self) -> str:
        return f"<Rule {self.as_string()}>"


def _require_condition(other: object, op: str) -> Condition:
    if isinstance(other, Condition):
        return other
    if isinstance(other, Field):
        _refuse(
            f"Cannot combine a condition with the field {other!r} using `{op}`: "
            f"compare the field first. {_PRECEDENCE_HINT}"
        )
    _refuse(
        f"Cannot combine a condition with {other!r} using `{op}`: both sides "
        f"must be conditions. {_PRECEDENCE_HINT}"
    )


def _refuse_reflected(other: object, op: str) -> NoReturn:
    _refuse(
        f"Cannot combine {other!r} with a condition using `{op}`: both sides "
        f"must be conditions. {_PRECEDENCE_HINT}"
    )


class _And(Condition):
    __slots__ = ("left", "right")

    def __init__(self, left: Condition, right: Condition) -> None:
        self.left = left
        self.right = right

    def _compile(self, ctx: _Context) -> sql.Composable:
        return sql.SQL("({} AND {})").format(
            self.left._compile(ctx), self.right._compile(ctx)
        )


class _Or(Condition):
    __slots__ = ("left", "right")

    def __init__(self, left: Condition, right: Condition) -> None:
        self.left = left
        self.right = right

    def _compile(self, ctx: _Context) -> sql.Composable:
        return sql.SQL("({} OR {})").format(
            self.left._compile(ctx), self.right._compile(ctx)
        )


class _Not(Condition):
    __slots__ = ("inner",)

    def __init__(self, inner: Condition) -> None:
        self.inner = inner

    def _compile(self, ctx: _Context) -> sql.Composable:
        return sql.SQL("({} IS NOT TRUE)").format(self.inner._compile(ctx))


class _Leaf(Condition):
    """A condition on one field; rendering is delegated to the field."""

    __slots__ = ("field", "op", "value")

    def __init__(self, field: Field, op: str, value: Any) -> None:
        self.field = field
        self.op = op
        self.value = value

    def _compile(self, ctx: _Context) -> sql.Composable:
        return self.field._compile_leaf(self.op, self.value, ctx)


# ---------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------


class Field:
    """A value of a job that conditions are built on."""

    __slots__ = ()

    #: Name used in error messages.
    label: ClassVar[str] = "field"
    #: Whether like/ilike/contains make sense.
    textual: ClassVar[bool] = False
    #: Whether < <= > >= make sense.
    ordered: ClassVar[bool] = True

    # -- what subclasses provide ---------------------------------------------

    def _expr(self, ctx: _Context) -> sql.Composable:
        raise NotImplementedError

    def _check(self, value: object) -> Any:
        """Validate a value for this field, returning the value to render."""
        raise NotImplementedError

    def _literal(self, value: Any) -> sql.Composable:
        return _value(value)

    # -- building conditions -------------------------------------------------

    def _compare(self, op: str, value: object) -> Condition:
        if value is None:
            _refuse(
                f"Cannot compare {self!r} with None: use {self!r}.is_null() or "
                f"{self!r}.is_not_null()."
            )
        if isinstance(value, (Field, Condition)):
            _refuse(
                f"Cannot compare {self!r} with {value!r}: rules compare a field "
                f"with a value. {_PRECEDENCE_HINT}"
            )
        if op not in ("==", "!=") and not self.ordered:
            _refuse(f"{self!r} cannot be ordered; use ==, != or in_().")
        return _Leaf(self, op, self._check(value))

    def __eq__(self, value: object) -> Condition:  # type: ignore[override]
        return self._compare("==", value)

    def __ne__(self, value: object) -> Condition:  # type: ignore[override]
        return self._compare("!=", value)

    def __lt__(self, value: object) -> Condition:
        return self._compare("<", value)

    def __le__(self, value: object) -> Condition:
        return self._compare("<=", value)

    def __gt__(self, value: object) -> Condition:
        return self._compare(">", value)

    def __ge__(self, value: object) -> Condition:
        return self._compare(">=", value)

    def is_null(self) -> Condition:
        """Matches jobs where this value is missing (SQL ``IS NULL``)."""
        return _Leaf(self, "is_null", None)

    def is_not_null(self) -> Condition:
        """Matches jobs where this value is present (SQL ``IS NOT NULL``)."""
        return _Leaf(self, "is_not_null", None)

    def in_(self, values: Iterable[Any]) -> Condition:
        """Matches jobs whose value is in ``values`` (none if ``values`` is empty)."""
        return _Leaf(self, "in", self._check_many(values))

    def not_in(self, values: Iterable[Any]) -> Condition:
        """Exactly ``~self.in_(values)``: also matches jobs without a value."""
        return ~self.in_(values)

    def contains(self, text: str, *, case_sensitive: bool = False) -> Condition:
        """Substring test; ``%``, ``_`` and ``\\`` in ``text`` match literally.

        Case-insensitive unless ``case_sensitive=True``.
        """
        self._require_textual("contains")
        if not isinstance(text, str):
            _refuse(f"{self!r}.contains() takes a string, not {text!r}.")
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return _Leaf(self, "like" if case_sensitive else "ilike", f"%{escaped}%")

    def like(self, pattern: str) -> Condition:
        """SQL ``LIKE``: ``%`` any run of characters, ``_`` one, ``\\`` escapes."""
        return self._pattern("like", pattern)

    def ilike(self, pattern: str) -> Condition:
        """Case-insensitive :meth:`like`."""
        return self._pattern("ilike", pattern)

    def _pattern(self, op: str, pattern: object) -> Condition:
        self._require_textual(op)
        if not isinstance(pattern, str):
            _refuse(f"{self!r}.{op}() takes a string pattern, not {pattern!r}.")
        return _Leaf(self, op, pattern)

    def _require_textual(self, what: str) -> None:
        if not self.textual:
            _refuse(f"{self!r} is not text; {what}() applies to text fields only.")

    def _check_many(self, values: Iterable[Any]) -> list[Any]:
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            _refuse(
                f"{self!r}.in_() takes a list of values, not {values!r} "
                "(for one value use ==)."
            )
        checked = []
        for value in values:
            if value is None:
                _refuse(f"{self!r}.in_() cannot hold None; use is_null() instead.")
            checked.append(self._check(value))
        return checked

    # -- compiling -----------------------------------------------------------

    def _compile_leaf(self, op: str, value: Any, ctx: _Context) -> sql.Composable:
        expr = self._expr(ctx)
        if op == "is_null":
            return sql.SQL("({} IS NULL)").format(expr)
        if op == "is_not_null":
            return sql.SQL("({} IS NOT NULL)").format(expr)
        if op == "in":
            if not value:
                return sql.SQL("false")
            items = sql.SQL(", ").join(self._literal(v) for v in value)
            return sql.SQL("({} IN ({}))").format(expr, items)
        if op == "like":
            return sql.SQL("({} LIKE {} ESCAPE '\\')").format(expr, _text(value))
        if op == "ilike":
            return sql.SQL("({} ILIKE {} ESCAPE '\\')").format(expr, _text(value))
        return sql.SQL("({} {} {})").format(
            expr, _COMPARISONS[op], self._literal(value)
        )

    # -- traps ---------------------------------------------------------------

    def __bool__(self) -> NoReturn:
        _refuse(
            f"{self!r} is a field, not a condition: compare it with a value, "
            "e.g. (Age() > 60)."
        )

    def __and__(self, other: object) -> NoReturn:
        self._refuse_combine(other, "&")

    def __rand__(self, other: object) -> NoReturn:
        self._refuse_combine(other, "&")

    def __or__(self, other: object) -> NoReturn:
        self._refuse_combine(other, "|")

    def __ror__(self, other: object) -> NoReturn:
        self._refuse_combine(other, "|")

    def __invert__(self) -> NoReturn:
        self._refuse_combine(None, "~")

    def _refuse_combine(self, other: object, op: str) -> NoReturn:
        _refuse(
            f"Cannot apply `{op}` to the field {self!r}: only conditions "
            f"combine. {_PRECEDENCE_HINT}"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _Column(Field):
    """A column of ``chancy.jobs``."""

    __slots__ = ()
    column: ClassVar[str]

    def _expr(self, ctx: _Context) -> sql.Composable:
        return sql.Identifier("j", self.column)


class _TextColumn(_Column):
    __slots__ = ()
    textual = True

    def _check(self, value: object) -> str:
        if not isinstance(value, str):
            _refuse(f"{self!r} holds text; {value!r} is not a string.")
        return value


class _IntColumn(_Column):
    __slots__ = ()

    def _check(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            _refuse(f"{self!r} holds integers; {value!r} is not an int.")
        return value


class _TimeColumn(_Column):
    __slots__ = ()

    def _check(self, value: object) -> datetime.datetime:
        if not isinstance(value, datetime.datetime):
            _refuse(f"{self!r} holds timestamps; {value!r} is not a datetime.")
        if value.tzinfo is None or value.utcoffset() is None:
            _refuse(
                f"{self!r} needs a timezone-aware datetime; {value!r} is naive "
                "(use e.g. datetime.now(timezone.utc))."
            )
        return value


class Queue(_TextColumn):
    """The job's queue name."""

    __slots__ = ()
    column = "queue"


class Job(_TextColumn):
    """The job's function name (``module.qualname``)."""

    __slots__ = ()
    column = "func"


class State(_TextColumn):
    """The job's state (pending, running, retrying, succeeded, failed, cancelled)."""

    __slots__ = ()
    column = "state"

    def _check(self, value: object) -> str:
        text = super()._check(value)
        if text not in JOB_STATES:
            _refuse(f"Unknown job state {text!r}; states are {', '.join(JOB_STATES)}.")
        return text


class Priority(_IntColumn):
    """The job's priority (higher runs first)."""

    __slots__ = ()
    column = "priority"


class Attempts(_IntColumn):
    """How many attempts the job has made."""

    __slots__ = ()
    column = "attempts"


class CreatedAt(_TimeColumn):
    """When the job was pushed."""

    __slots__ = ()
    column = "created_at"


class ScheduledAt(_TimeColumn):
    """When the job is, or was, due to run."""

    __slots__ = ()
    column = "scheduled_at"


class CompletedAt(_TimeColumn):
    """When the job finished (missing for unfinished jobs)."""

    __slots__ = ()
    column = "completed_at"


class ID(_Column):
    """The job's id (a UUID, or its text)."""

    __slots__ = ()
    column = "id"
    ordered = True

    def _check(self, value: object) -> uuid.UUID:
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        _refuse(f"{self!r} holds UUIDs; {value!r} is not a UUID.")


class Age(Field):
    """Seconds since the job finished, or since it was created if it has not.

    ``coalesce(j.completed_at, j.created_at)``; see the module docstring for
    how comparisons compile so that an index serves them.
    """

    __slots__ = ()

    def _anchor(self, ctx: _Context) -> sql.Composable:
        if ctx.finished_only:
            return sql.SQL("j.completed_at")
        return sql.SQL("coalesce(j.completed_at, j.created_at)")

    def _expr(self, ctx: _Context) -> sql.Composable:
        return sql.SQL("extract(epoch FROM now() - {})").format(self._anchor(ctx))

    def _check(self, value: object) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _refuse(f"{self!r} is a number of seconds; {value!r} is not a number.")
        if not math.isfinite(value):
            _refuse(f"{self!r} must be compared with a finite number, not {value!r}.")
        return value

    def _compile_leaf(self, op: str, value: Any, ctx: _Context) -> sql.Composable:
        if op in _AGE_TO_TIMESTAMP:
            # now() - t > n  <=>  t < now() - n seconds: a plain range on t.
            return sql.SQL("({} {} now() - make_interval(secs => {}))").format(
                self._anchor(ctx),
                sql.SQL(_AGE_TO_TIMESTAMP[op]),
                sql.Literal(float(value)),
            )
        return super()._compile_leaf(op, value, ctx)


class Meta(Field):
    """A key of the job's ``meta``, or a path of keys: ``Meta("a", "b")``.

    Compares as JSON: strings, numbers and booleans match only values of their
    own JSON type. Ordering comparisons take a string or a number.
    """

    __slots__ = ("path",)
    textual = True

    def __init__(self, *path: str) -> None:
        if not path:
            _refuse("Meta() needs at least one key, e.g. Meta('tenant').")
        for key in path:
            if not isinstance(key, str) or not key:
                _refuse(f"Meta keys are non-empty strings; {key!r} is not.")
        self.path = path

    def _path(self) -> sql.Composable:
        keys = sql.SQL(", ").join(_text(k) for k in self.path)
        return sql.SQL("ARRAY[{}]::text[]").format(keys)

    def _expr(self, ctx: _Context) -> sql.Composable:
        # As text: what like/ilike/contains and is_null apply to.
        return sql.SQL("(j.meta #>> {})").format(self._path())

    def _json(self) -> sql.Composable:
        return sql.SQL("(j.meta #> {})").format(self._path())

    def _check(self, value: object) -> str | int | float | bool:
        if isinstance(value, float) and not math.isfinite(value):
            _refuse(f"{self!r} cannot be compared with {value!r}.")
        if not isinstance(value, (str, int, float, bool)):
            _refuse(f"{self!r} compares with a string, number or bool, not {value!r}.")
        return value

    def _compare(self, op: str, value: object) -> Condition:
        if op not in ("==", "!=") and isinstance(value, bool):
            _refuse(f"{self!r} cannot be ordered against a bool; use == or !=.")
        return super()._compare(op, value)

    def _compile_leaf(self, op: str, value: Any, ctx: _Context) -> sql.Composable:
        if op in ("==", "!=", "in"):
            return self._compile_json(op, value)
        if op in ("<", "<=", ">", ">="):
            # CASE keeps the cast from ever seeing a value of another type.
            json_type, cast = (
                ("string", sql.SQL("text"))
                if isinstance(value, str)
                else ("number", sql.SQL("numeric"))
            )
            typed = sql.SQL("CASE WHEN jsonb_typeof({}) = {} THEN ({})::{} END").format(
                self._json(), sql.Literal(json_type), self._expr(ctx), cast
            )
            return sql.SQL("({} {} {})").format(typed, _COMPARISONS[op], _value(value))
        return super()._compile_leaf(op, value, ctx)

    def _compile_json(self, op: str, value: Any) -> sql.Composable:
        expr = self._json()
        if op == "in":
            if not value:
                return sql.SQL("false")
            items = sql.SQL(", ").join(_json(v) for v in value)
            return sql.SQL("({} IN ({}))").format(expr, items)
        return sql.SQL("({} {} {})").format(expr, _COMPARISONS[op], _json(value))

    def __repr__(self) -> str:
        return f"Meta({', '.join(repr(k) for k in self.path)})"


_FIELDS: dict[str, type[Field]] = {
    "age": Age,
    "queue": Queue,
    "func": Job,
    "state": State,
    "priority": Priority,
    "attempts": Attempts,
    "created_at": CreatedAt,
    "scheduled_at": ScheduledAt,
    "completed_at": CompletedAt,
    "id": ID,
}


def Column(name: str) -> Field:  # noqa: N802 - reads like the field classes
    """The field for a column name, e.g. ``Column("queue")``; ``meta`` keys use Meta."""
    try:
        return _FIELDS[name]()
    except (KeyError, TypeError):
        pass
    _refuse(
        f"Unknown rule field {name!r}; known fields are "
        f"{', '.join(sorted(_FIELDS))} (and Meta('key') for keys of meta)."
    )


def compile_rule(rule: object, *, finished_only: bool = False) -> str:
    """Validate ``rule`` and return its SQL predicate text.

    Raises :class:`~chancy.errors.InvalidRuleError` if ``rule`` is not a
    condition (for example a plain ``bool`` left by a precedence mistake).
    """
    if isinstance(rule, bool):
        _refuse(
            f"The rule is the plain bool {rule!r}, not a condition: a comparison "
            f"collapsed before Chancy saw it. {_PRECEDENCE_HINT}"
        )
    if isinstance(rule, Field):
        _refuse(f"{rule!r} is a field, not a condition: compare it with a value.")
    if not isinstance(rule, Condition):
        _refuse(f"A rule must be a condition such as Age() > 3600, not {rule!r}.")
    return rule.as_string(finished_only=finished_only)
