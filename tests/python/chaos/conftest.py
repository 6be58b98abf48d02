"""The chaos suite's pytest hooks.

- Tests marked ``chaos`` (the long forms) run only when the ``-m``
  expression names ``chaos`` (``make chaos``); ``make test`` runs the short
  forms, which carry no mark.
- Every scenario appends its summary line to ``harness.REPORT``. Under
  ``make chaos`` the lines are printed after pytest's own closing line, the
  main scenario's ``chaos: jobs=...`` line last, so ``make chaos`` ends with
  it; under ``make test`` they go into pytest's summary, so pytest's closing
  line stays the last line of the run.
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
    if _chaos_run(config):
        return
    skip = pytest.mark.skip(reason="the long chaos form runs with `make chaos`")
    for item in items:
        if item.get_closest_marker("chaos") is not None:
            item.add_marker(skip)


def _chaos_run(config: pytest.Config) -> bool:
    return "chaos" in (config.option.markexpr or "")


def _ordered_report() -> list[str]:
    # The per-scenario details first, then the main scenario's `chaos:` line.
    details = [line for line in REPORT if not line.startswith("chaos: ")]
    mains = [line for line in REPORT if line.startswith("chaos: ")]
    return details + mains


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if not _chaos_run(config) and REPORT:
        terminalreporter.section("chaos")
        for line in _ordered_report():
            terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _chaos_run(config):
        for line in _ordered_report():
            print(line, flush=True)
