"""Job functions the command-line tests push by name."""

from __future__ import annotations

from chancy import job


@job(queue="mail", max_attempts=3, priority=4)
def send(*, to: str) -> str:
    return to
