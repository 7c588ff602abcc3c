"""What a handler learns about the attempt it runs, and how it talks back."""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .errors import NonRetryableError
from .protocol import DEFAULT_TENANT, LOG_LEVELS, Channel, ChildOutcome, ParentOutcome, decode_outcome


class Context:
    """The attempt a handler runs: its job, progress and logs, and whether it was cancelled."""

    def __init__(
        self,
        job_id: str,
        job_type: str,
        attempt: int,
        speculative: bool,
        channel: Channel,
        tenant: str = DEFAULT_TENANT,
        parents: dict[str, ParentOutcome] | None = None,
    ) -> None:
        self.job_id = job_id
        self.type = job_type
        # Who the job is for ("default" when submitted without one): quotas, shares and stats key on it.
        self.tenant = tenant
        self.parents: dict[str, ParentOutcome] = parents or {}
        """A workflow step's parents by step name, as they ended (read by the worker at claim):
        ``{"status", "result" | "error"}``; a parent that spawned is seen as its join ended.
        Empty for a root step or a job outside a workflow."""
        self.attempt = attempt
        # A backup racing a straggling attempt: only the first to finish counts.
        self.speculative = speculative
        self._channel = channel
        self._lock = threading.Lock()
        self._cancelled = False
        self._finished = False
        self._on_cancel: list[Callable[[], None]] = []
        # Pages of a join's children as the worker answers them (None: the job was cancelled).
        self._children_pages: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()

    @property
    def cancelled(self) -> bool:
        """True once the worker aborted the attempt (timeout, cancel, lost race, shutdown).

        The result of a cancelled job is thrown away: stop and return (or raise) soon.
        """
        return self._cancelled

    def progress(self, fraction: float) -> None:
        """Reports progress, 0 to 1: the straggler detector compares it with the usual pace."""
        fraction = float(fraction)
        if not math.isfinite(fraction):
            raise ValueError(f"progress must be a finite number, not {fraction}")
        self._send({"kind": "progress", "id": self.job_id, "fraction": fraction})

    def log(self, message: str, level: str = "info") -> None:
        """Logs through the worker's logger, tagged with the job."""
        if level not in LOG_LEVELS:
            raise ValueError(f"level must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
        self._send({"kind": "log", "id": self.job_id, "level": level, "message": str(message)})

    def spawn(self, children: list[dict[str, Any]], join: dict[str, Any]) -> None:
        """Spawns children and their join as steps of this step's workflow (docs/workflows.md).

        Each child and the join are job fields (``type``, ``payload``, ...); the join may say
        ``onParentFailure: "continue"``. The spawn is committed with this job's success: return
        after it, and the children run while no worker slot waits for them. A spawn the worker
        refuses (outside a workflow, twice, too large) fails the job for good.
        """
        self._send({"kind": "spawn", "id": self.job_id, "request": {"children": children, "join": join}})

    def children(self) -> Iterator[ChildOutcome]:
        """A join's children as they ended, in order: ``{"index", "status", "result" | "error"}``.

        Read from the worker a page of 100 at a time as the loop goes on: 10,000 results fit
        neither one message nor, necessarily, memory. Raises NonRetryableError for a job that is
        not a spawn's join.
        """
        while True:
            self._send({"kind": "children", "id": self.job_id})
            page = self._children_pages.get()
            if page is None:
                raise RuntimeError("the job was cancelled")
            if "error" in page:
                raise NonRetryableError(page["error"])
            yield from map(decode_outcome, page["children"])
            if page["done"]:
                return

    def _send(self, message: dict[str, object]) -> None:
        # A thread the handler left running must not report on a later job's behalf.
        if not self._finished:
            self._channel.send(message)

    def _deliver_children(self, page: dict[str, Any]) -> None:
        self._children_pages.put(page)

    def _cancel(self) -> None:
        # A handler waiting for a page of its children stops waiting.
        self._children_pages.put(None)
        with self._lock:
            self._cancelled = True
            callbacks, self._on_cancel = self._on_cancel, []
        for callback in callbacks:
            callback()

    def _call_on_cancel(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if not self._cancelled:
                self._on_cancel.append(callback)
                return
        callback()

    def _finish(self) -> None:
        self._finished = True
