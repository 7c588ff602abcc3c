"""The JSON-lines messages exchanged with the Node worker (see docs/python-handlers.md)."""

from __future__ import annotations

import base64
import json
import threading
import traceback
from typing import Any, BinaryIO, TypedDict

from .errors import NonRetryableError

PROTOCOL_VERSION = 1

# The Node bridge passes the file descriptor the messages to it go to in this variable.
PROTOCOL_FD_ENV = "TAILGUARD_PROTOCOL_FD"

LOG_LEVELS = ("debug", "info", "warning", "error")
# The tenant of a job submitted without one (src/jobs/model/tenant.ts).
DEFAULT_TENANT = "default"


class _Status(TypedDict):
    status: str


class ParentOutcome(_Status, total=False):
    """How a workflow step's parent ended: its job's ``status`` (``SUCCEEDED``, ``DEAD``,
    ``CANCELLED``), with its ``result`` (JSON, or ``bytes``) when it succeeded, else its ``error``."""

    result: Any
    error: str


class ChildOutcome(ParentOutcome):
    """How a spawn's child ended, with its ``index`` among the spawn's children."""

    index: int


def decode_outcome(outcome: dict[str, Any]) -> Any:
    """A parent's or child's outcome as the worker sent it: a bytes result comes as base64."""
    if "resultBytes" not in outcome:
        return outcome
    decoded = {key: value for key, value in outcome.items() if key != "resultBytes"}
    decoded["result"] = base64.b64decode(outcome["resultBytes"])
    return decoded


def encode(message: dict[str, Any]) -> bytes:
    """One message as one line. NaN and Infinity are refused: they are not JSON."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    message = json.loads(line)
    if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
        raise ValueError(f"not a protocol message: {line[:200]!r}")
    return message


def error_message(job_id: str, error: BaseException) -> dict[str, Any]:
    return {
        "kind": "error",
        "id": job_id,
        "name": type(error).__name__,
        "message": str(error),
        "retryable": not isinstance(error, NonRetryableError),
        "traceback": "".join(traceback.format_exception(error)),
    }


class Channel:
    """Writes messages to the worker; threads may share it (progress from a loader thread)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        self.write(encode(message))

    def write(self, line: bytes) -> None:
        with self._lock:
            self._stream.write(line)
            self._stream.flush()
