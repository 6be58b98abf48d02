"""The chaos suite's pytest hooks.

- Tests marked ``chaos`` (the long forms) run only when the ``-m``
  expression names ``chaos`` (``make chaos``); ``make test`` runs the short
  forms, which carry no mark.
- Every scenario appends its summary line to ``harness.REPORT``; the lines
  are printed after pytest's own closing line, the main scenario's
  ``chaos: jobs=...`` line last, so ``make chaos`` ends with it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .cluster import Cluster
from .harness import REPORT


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A started throwaway cluster of this test's own, destroyed after it."""
    made = Cluster()
    made.start()
    try:
        yield made
    finally:
        made.destroy()


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if "chaos" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="the long chaos form runs with `make chaos`")
    for item in items:
        if item.get_closest_marker("chaos") is not None:
            item.add_marker(skip)


def pytest_unconfigure(config: pytest.Config) -> None:
    # After pytest's own closing line: the per-scenario details first, then
    # the one `chaos:` line of the main scenario, last of all.
    details = [line for line in REPORT if not line.startswith("chaos: ")]
    mains = [line for line in REPORT if line.startswith("chaos: ")]
    for line in details + mains:
        print(line, flush=True)
