"""Strict JSON for job kwargs, meta and queue options.

Chancy stores these as ``jsonb``. A value is accepted only if it comes back
from the database equal to what was pushed: ``None``, ``bool``, ``int``,
finite ``float``, ``str`` without NUL characters, ``list``, and ``dict``
with ``str`` keys, nested freely. Anything else (``datetime``, ``Decimal``,
``UUID``, ``bytes``, ``set``, ``tuple``, NaN or infinity, a NUL character,
an unpaired surrogate, a non-string key, nesting deeper than
:data:`MAX_DEPTH` levels, arbitrary objects) is refused with an error naming the
key path, e.g. ``kwargs['when']`` or ``kwargs['items'][2]``. Convert such
values yourself (``when.isoformat()``, ``str(amount)``) before pushing.

One loss is numeric: a float the database prints without a fraction (such
as ``1e16``) is read back as the equal ``int``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_DEPTH", "JSONError", "check", "dumps"]

#: Deepest nesting of lists and objects accepted (deeper values are refused).
MAX_DEPTH = 200


class JSONError(ValueError):
    """A value cannot be stored as JSON exactly; ``path`` names where."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


_HINTS: dict[str, str] = {
    "datetime": "convert it with .isoformat()",
    "date": "convert it with .isoformat()",
    "time": "convert it with .isoformat()",
    "timedelta": "convert it to seconds with .total_seconds()",
    "Decimal": "convert it with str()",
    "UUID": "convert it with str()",
    "bytes": "decode or base64-encode it to a str",
    "bytearray": "decode or base64-encode it to a str",
    "set": "convert it to a list",
    "frozenset": "convert it to a list",
    "tuple": "convert it to a list (JSON has no tuples)",
}


def _refuse(path: str, value: object) -> JSONError:
    name = type(value).__name__
    hint = _HINTS.get(name, "only None, bool, int, float, str, list and dict are")
    return JSONError(path, f"{name} cannot be stored as JSON ({hint})")


def _text_problem(text: str, what: str) -> str | None:
    if "\x00" in text:
        return f"{what} with NUL characters (\\x00) cannot be stored"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return f"{what} with unpaired surrogates cannot be stored as UTF-8"
    return None


def check(value: object, path: str) -> None:
    """Raise :class:`JSONError` if ``value`` does not round-trip through jsonb."""
    # An explicit stack rather than recursion: deep nesting stays a clean error.
    stack: list[tuple[object, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise JSONError(where, f"nested deeper than {MAX_DEPTH} levels")
        if item is None or isinstance(item, bool | int):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                raise JSONError(where, f"{item!r} cannot be stored as JSON")
            continue
        if isinstance(item, str):
            problem = _text_problem(item, "strings")
            if problem is not None:
                raise JSONError(where, problem)
            continue
        if isinstance(item, list):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(item))
            continue
        if isinstance(item, dict):
            for key, v in item.items():
                if not isinstance(key, str):
                    raise JSONError(
                        where,
                        f"key {key!r} is a {type(key).__name__}; "
                        "JSON object keys must be str",
                    )
                problem = _text_problem(key, "keys")
                if problem is not None:
                    raise JSONError(where, problem)
                stack.append((v, f"{where}[{key!r}]", depth + 1))
            continue
        raise _refuse(where, item)


def dumps(value: object, path: str) -> str:
    """Check ``value`` (see :func:`check`) and return its JSON text."""
    check(value, path)
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def wrap(exc_type: Callable[[str], Exception], value: object, path: str) -> str:
    """Like :func:`dumps`, raising ``exc_type(message)`` from the JSON error."""
    try:
        return dumps(value, path)
    except JSONError as exc:
        raise exc_type(str(exc)) from exc


def loads(text: str | bytes) -> Any:
    """Parse JSON text."""
    return json.loads(text)
