"""Importable job functions used by the core tests."""

from __future__ import annotations

from chancy import job


@job(queue="default", priority=3)
def greet(name: str) -> str:
    return f"hello {name}"


def plain(x: int = 0) -> int:
    return x
