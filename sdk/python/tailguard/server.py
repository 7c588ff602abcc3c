"""Serves jobs from the Node worker, one at a time, on the handlers' main thread."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import queue
import sys
import tempfile
import threading
from collections.abc import Awaitable
from typing import Any, BinaryIO

from .context import Context
from .errors import NonRetryableError
from .protocol import (
    DEFAULT_TENANT,
    PROTOCOL_FD_ENV,
    PROTOCOL_VERSION,
    Channel,
    decode,
    decode_outcome,
    encode,
    error_message,
)
from .registry import Registry, default_registry


def run(registry: Registry = default_registry) -> None:
    """Serves the registered handlers until stdin ends. Call it once the handlers are defined."""
    inbound, outbound = _protocol_streams()
    serve(registry, inbound, outbound)


def _protocol_streams() -> tuple[BinaryIO, BinaryIO]:
    """Takes the protocol's streams, so nothing a handler reads or prints can touch them."""
    inbound = os.fdopen(os.dup(0), "rb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    fd = os.environ.get(PROTOCOL_FD_ENV)
    if fd is not None:
        # Started by the worker: the messages go to a pipe of their own; stdout is free for prints.
        return inbound, os.fdopen(int(fd), "wb")
    # Started by hand: the messages go to stdout, and whatever else writes to stdout (print, native
    # libraries) now writes to stderr.
    sys.stdout.flush()
    outbound = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return inbound, outbound


def serve(registry: Registry, inbound: BinaryIO, outbound: BinaryIO) -> None:
    """Announces the handler types, then runs each job received on `inbound` until it ends."""
    channel = Channel(outbound)
    current = _CurrentJob()
    jobs: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
    # Cancels must arrive while a handler runs, so a thread reads while the main thread works.
    reader = threading.Thread(
        target=_read, args=(inbound, jobs, current), name="tailguard-reader", daemon=True
    )
    reader.start()
    channel.send({"kind": "ready", "protocol": PROTOCOL_VERSION, "types": registry.types})
    runner = _AsyncRunner()
    try:
        while (message := jobs.get()) is not None:
            channel.write(_run_job(registry, message, current, channel, runner))
    finally:
        runner.close()


def _read(
    inbound: BinaryIO, jobs: queue.SimpleQueue[dict[str, Any] | None], current: _CurrentJob
) -> None:
    try:
        for line in inbound:
            message = decode(line)
            if message["kind"] == "job":
                jobs.put(message)
            elif message["kind"] == "cancel":
                current.cancel(message["id"])
            elif message["kind"] == "children":
                current.deliver_children(message)
    finally:
        # End of input (the worker closed it or is gone), or input that is not the protocol: the
        # jobs received so far finish, then the process ends. The worker kills one that lingers.
        jobs.put(None)


def _run_job(
    registry: Registry,
    message: dict[str, Any],
    current: _CurrentJob,
    channel: Channel,
    runner: _AsyncRunner,
) -> bytes:
    """Runs one job; returns its result or error message, encoded."""
    context = Context(
        message["id"],
        message["type"],
        message["attempt"],
        message["speculative"],
        channel,
        # A worker older than tenants sends none.
        message.get("tenant", DEFAULT_TENANT),
        {name: decode_outcome(outcome) for name, outcome in message.get("parents", {}).items()},
    )
    current.start(context)
    try:
        with contextlib.ExitStack() as resources:
            function = registry.get(context.type)
            if function is None:
                raise NonRetryableError(f"no handler for job type {context.type}")
            value = function(_payload(message, resources), context)
            if inspect.isawaitable(value):
                value = runner.run(value, context)
            if isinstance(value, (bytes, bytearray, memoryview)):
                return encode({"kind": "result", "id": context.job_id, "file": _bytes_file(value)})
            try:
                return encode({"kind": "result", "id": context.job_id, "value": value})
            except (TypeError, ValueError) as error:
                raise NonRetryableError(f"the result is not JSON: {error}") from error
    except (Exception, asyncio.CancelledError) as error:
        return encode(error_message(context.job_id, error))
    finally:
        context._finish()
        current.finish()


def _payload(message: dict[str, Any], resources: contextlib.ExitStack) -> Any:
    """The job's payload: inline JSON, or a payload kept in the payload bucket that the worker
    downloaded to a file. JSON is parsed from the file; bytes reach the handler as the open binary
    file (read it, or stream it: `hashlib.file_digest(payload, "sha256")`), closed after the job."""
    stored = message.get("payloadFile")
    if stored is None:
        return message.get("payload")
    if stored["format"] == "json":
        with open(stored["path"], "rb") as file:
            return json.load(file)
    return resources.enter_context(open(stored["path"], "rb"))


def _bytes_file(value: bytes | bytearray | memoryview) -> str:
    """A bytes result goes to the worker as a file (it reads and removes it), not through the pipe."""
    with tempfile.NamedTemporaryFile(prefix="tailguard-result-", delete=False) as file:
        file.write(value)
        return file.name


class _CurrentJob:
    """The running job, where the reader thread can cancel it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context: Context | None = None

    def start(self, context: Context) -> None:
        with self._lock:
            self._context = context

    def finish(self) -> None:
        with self._lock:
            self._context = None

    def deliver_children(self, page: dict[str, Any]) -> None:
        with self._lock:
            context = self._context
        if context is not None and context.job_id == page["id"]:
            context._deliver_children(page)

    def cancel(self, job_id: str) -> None:
        with self._lock:
            context = self._context
        # A cancel can cross the job's result on the way: one for a job that is over is moot.
        if context is not None and context.job_id == job_id:
            context._cancel()


class _AsyncRunner:
    """One event loop per process, so what an async handler keeps between jobs stays usable."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, awaitable: Awaitable[Any], context: Context) -> Any:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
        loop = self._loop
        task = asyncio.ensure_future(awaitable, loop=loop)
        # An async handler is cancelled at its next await, with no need to check `ctx.cancelled`.
        context._call_on_cancel(lambda: loop.call_soon_threadsafe(task.cancel))
        return loop.run_until_complete(task)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
