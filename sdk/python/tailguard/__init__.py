"""Tailguard job handlers in Python, run by a Node worker through the JSON-lines protocol."""

from .context import Context
from .errors import NonRetryableError
from .protocol import ChildOutcome, ParentOutcome
from .registry import Handler, Registry, default_registry, handler
from .server import run, serve

__all__ = [
    "ChildOutcome",
    "Context",
    "Handler",
    "NonRetryableError",
    "ParentOutcome",
    "Registry",
    "default_registry",
    "handler",
    "run",
    "serve",
]
