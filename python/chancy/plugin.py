"""The plugin interface the worker hosts.

A plugin has an identifier, the identifiers of plugins it depends on, a run
loop that the worker supervises (restarted with backoff if it fails), and
hooks called around each job. A plugin whose ``leader_only`` is true has its
loop started only while the worker holds a live leadership term and cancelled
as soon as that term is lost.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from chancy.app import Chancy
    from chancy.job import QueuedJob
    from chancy.worker import Worker


class Plugin(abc.ABC):
    """Base class of every Chancy plugin."""

    #: Run the loop only while this worker leads.
    leader_only: ClassVar[bool] = False

    @staticmethod
    @abc.abstractmethod
    def get_identifier() -> str:
        """A unique, stable name such as ``"chancy.pruner"``."""

    def get_dependencies(self) -> list[str]:
        """Identifiers of plugins that must be present for this one to work."""
        return []

    async def run(self, worker: Worker, chancy: Chancy) -> None:
        """The plugin's loop; returning ends it, raising restarts it with backoff."""
        return None

    async def on_job_starting(  # noqa: B027 - optional hook
        self, job: QueuedJob, worker: Worker
    ) -> None:
        """Called in the worker just before a job runs."""

    async def on_job_completed(  # noqa: B027 - optional hook
        self,
        job: QueuedJob,
        worker: Worker,
        exc: BaseException | None,
        result: Any,
    ) -> None:
        """Called in the worker after a job ran, before its outcome is written."""
