"""Handlers by job type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .context import Context

Handler = Callable[[Any, Context], Any]
"""Gets the payload and the context; returns a JSON-serializable result (or an awaitable of one)
or raises."""

H = TypeVar("H", bound=Handler)


class Registry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def handler(self, job_type: str) -> Callable[[H], H]:
        """Registers the decorated function (sync or `async def`) as the handler of `job_type`."""

        def register(function: H) -> H:
            if job_type in self._handlers:
                raise ValueError(f"a handler for {job_type} is already registered")
            self._handlers[job_type] = function
            return function

        return register

    def get(self, job_type: str) -> Handler | None:
        return self._handlers.get(job_type)

    @property
    def types(self) -> list[str]:
        return list(self._handlers)


default_registry = Registry()
"""The registry `@handler` adds to and `run()` serves."""

handler = default_registry.handler
