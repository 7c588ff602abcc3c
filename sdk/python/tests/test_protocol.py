"""The SDK side of the protocol: serve() over pipes, and run() in a real process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import unittest
from pathlib import Path
from typing import Any, BinaryIO

SDK = Path(__file__).resolve().parent.parent
# Tests the SDK of this checkout, installed or not.
sys.path.insert(0, str(SDK))

from tailguard import Context, NonRetryableError, Registry, serve  # noqa: E402

TIMEOUT_S = 10


def job(job_id: str, job_type: str, payload: Any = None) -> dict[str, Any]:
    return {
        "kind": "job",
        "id": job_id,
        "type": job_type,
        "payload": payload,
        "attempt": 1,
        "speculative": False,
    }


class Served:
    """serve() on a thread of its own, talked to through pipes as the worker would."""

    def __init__(self, registry: Registry) -> None:
        to_sdk_r, self._to_sdk_w = os.pipe()
        from_sdk_r, from_sdk_w = os.pipe()
        self._inbound: BinaryIO = os.fdopen(to_sdk_r, "rb")
        self._outbound: BinaryIO = os.fdopen(from_sdk_w, "wb")
        self._replies = os.fdopen(from_sdk_r, "rb")
        self._thread = threading.Thread(target=self._serve, args=(registry,), daemon=True)
        self._thread.start()

    def _serve(self, registry: Registry) -> None:
        with self._inbound, self._outbound:
            serve(registry, self._inbound, self._outbound)

    def send(self, message: dict[str, Any]) -> None:
        os.write(self._to_sdk_w, json.dumps(message).encode() + b"\n")

    def receive(self) -> dict[str, Any]:
        line = self._replies.readline()
        if not line:
            raise EOFError("serve() ended")
        return json.loads(line)

    def end_input(self) -> None:
        if self._to_sdk_w >= 0:
            os.close(self._to_sdk_w)
            self._to_sdk_w = -1

    def has_ended(self) -> bool:
        self._thread.join(TIMEOUT_S)
        return not self._thread.is_alive()

    def close(self) -> None:
        self.end_input()
        self.has_ended()
        self._replies.close()


class ServeTest(unittest.TestCase):
    def setUp(self) -> None:
        self.registry = Registry()
        self.started = threading.Event()

    def serve(self) -> Served:
        served = Served(self.registry)
        self.addCleanup(served.close)
        return served

    def test_announces_the_registered_types(self) -> None:
        self.registry.handler("a")(lambda payload, ctx: None)
        self.registry.handler("b")(lambda payload, ctx: None)
        ready = self.serve().receive()
        self.assertEqual(ready, {"kind": "ready", "protocol": 1, "types": ["a", "b"]})

    def test_refuses_a_second_handler_for_a_type(self) -> None:
        self.registry.handler("a")(lambda payload, ctx: None)
        with self.assertRaises(ValueError):
            self.registry.handler("a")(lambda payload, ctx: None)

    def test_answers_a_job_with_its_result_after_its_progress_and_logs(self) -> None:
        @self.registry.handler("embed")
        def embed(payload: Any, ctx: Context) -> dict[str, Any]:
            ctx.progress(0.5)
            ctx.log("half", "debug")
            return {"size": len(payload["text"]), "job": ctx.job_id, "type": ctx.type, "tenant": ctx.tenant}

        served = self.serve()
        served.receive()
        served.send({**job("j1", "embed", {"text": "abc"}), "tenant": "acme"})
        self.assertEqual(served.receive(), {"kind": "progress", "id": "j1", "fraction": 0.5})
        self.assertEqual(
            served.receive(), {"kind": "log", "id": "j1", "level": "debug", "message": "half"}
        )
        self.assertEqual(
            served.receive(),
            {
                "kind": "result",
                "id": "j1",
                "value": {"size": 3, "job": "j1", "type": "embed", "tenant": "acme"},
            },
        )

    def test_sends_a_spawn_before_its_jobs_result(self) -> None:
        @self.registry.handler("split")
        def split(payload: Any, ctx: Context) -> int:
            ctx.spawn([{"type": "square", "payload": {"x": 0}}], {"type": "sum", "onParentFailure": "continue"})
            return 1

        served = self.serve()
        served.receive()
        served.send(job("j1", "split"))
        self.assertEqual(
            served.receive(),
            {
                "kind": "spawn",
                "id": "j1",
                "request": {
                    "children": [{"type": "square", "payload": {"x": 0}}],
                    "join": {"type": "sum", "onParentFailure": "continue"},
                },
            },
        )
        self.assertEqual(served.receive(), {"kind": "result", "id": "j1", "value": 1})

    def test_reads_a_joins_children_a_page_at_a_time_as_it_asks(self) -> None:
        @self.registry.handler("sum")
        def total(payload: Any, ctx: Context) -> int:
            return sum(child["result"]["x2"] for child in ctx.children())

        served = self.serve()
        served.receive()
        served.send(job("j1", "sum"))
        self.assertEqual(served.receive(), {"kind": "children", "id": "j1"})
        first = [{"index": i, "status": "SUCCEEDED", "result": {"x2": i * i}} for i in range(2)]
        served.send({"kind": "children", "id": "j1", "children": first, "done": False})
        self.assertEqual(served.receive(), {"kind": "children", "id": "j1"})
        last = [{"index": 2, "status": "SUCCEEDED", "result": {"x2": 4}}]
        served.send({"kind": "children", "id": "j1", "children": last, "done": True})
        self.assertEqual(served.receive(), {"kind": "result", "id": "j1", "value": 5})

    def test_gives_a_joins_child_its_bytes_result_as_bytes(self) -> None:
        @self.registry.handler("sizes")
        def sizes(payload: Any, ctx: Context) -> list[int]:
            return [len(child["result"]) for child in ctx.children()]

        served = self.serve()
        served.receive()
        served.send(job("j1", "sizes"))
        served.receive()
        page = [{"index": 0, "status": "SUCCEEDED", "resultBytes": "AQID"}]
        served.send({"kind": "children", "id": "j1", "children": page, "done": True})
        self.assertEqual(served.receive(), {"kind": "result", "id": "j1", "value": [3]})

    def test_gives_a_step_its_parents_by_name_a_bytes_result_as_bytes(self) -> None:
        @self.registry.handler("merge")
        def merge(payload: Any, ctx: Context) -> dict[str, Any]:
            return {name: [outcome["status"], repr(outcome.get("result"))] for name, outcome in ctx.parents.items()}

        served = self.serve()
        served.receive()
        parents = {
            "split": {"status": "SUCCEEDED", "result": {"total": 285}},
            "thumb": {"status": "SUCCEEDED", "resultBytes": "AQID"},
            "broken": {"status": "DEAD", "error": "boom"},
        }
        served.send({**job("j1", "merge"), "parents": parents})
        self.assertEqual(
            served.receive()["value"],
            {
                "split": ["SUCCEEDED", "{'total': 285}"],
                "thumb": ["SUCCEEDED", repr(b"\x01\x02\x03")],
                "broken": ["DEAD", "None"],
            },
        )

    def test_fails_a_job_that_reads_children_but_is_no_join_for_good(self) -> None:
        @self.registry.handler("sum")
        def total(payload: Any, ctx: Context) -> int:
            return len(list(ctx.children()))

        served = self.serve()
        served.receive()
        served.send(job("j1", "sum"))
        served.receive()
        served.send({"kind": "children", "id": "j1", "children": [], "done": True, "error": "no join"})
        answer = served.receive()
        self.assertEqual((answer["kind"], answer["message"], answer["retryable"]), ("error", "no join", False))

    def test_tells_a_job_from_an_older_worker_the_default_tenant_and_no_parents(self) -> None:
        @self.registry.handler("whose")
        def whose(payload: Any, ctx: Context) -> list[Any]:
            return [ctx.tenant, ctx.parents]

        served = self.serve()
        served.receive()
        served.send(job("j1", "whose"))
        self.assertEqual(served.receive(), {"kind": "result", "id": "j1", "value": ["default", {}]})

    def test_refuses_a_bad_progress_or_log_level_in_the_handler(self) -> None:
        @self.registry.handler("bad")
        def bad(payload: Any, ctx: Context) -> None:
            ctx.log("x", level=payload)

        served = self.serve()
        served.receive()
        served.send(job("j1", "bad", "loud"))
        self.assertEqual(served.receive()["name"], "ValueError")

    def test_marks_a_non_retryable_error_so(self) -> None:
        class BadPayload(NonRetryableError):
            pass

        @self.registry.handler("poison")
        def poison(payload: Any, ctx: Context) -> None:
            raise BadPayload("no text")

        served = self.serve()
        served.receive()
        served.send(job("j1", "poison"))
        reply = served.receive()
        self.assertEqual(
            (reply["kind"], reply["name"], reply["message"]), ("error", "BadPayload", "no text")
        )
        self.assertFalse(reply["retryable"])
        self.assertIn("raise BadPayload", reply["traceback"])

    def test_marks_any_other_exception_retryable(self) -> None:
        @self.registry.handler("flaky")
        def flaky(payload: Any, ctx: Context) -> None:
            raise TimeoutError("the GPU is busy")

        served = self.serve()
        served.receive()
        served.send(job("j1", "flaky"))
        reply = served.receive()
        self.assertEqual(
            (reply["name"], reply["message"], reply["retryable"]),
            ("TimeoutError", "the GPU is busy", True),
        )

    def test_fails_a_result_that_is_not_json_for_good(self) -> None:
        self.registry.handler("nan")(lambda payload, ctx: float("nan"))
        self.registry.handler("set")(lambda payload, ctx: {1, 2})
        served = self.serve()
        served.receive()
        for job_type in ("nan", "set"):
            served.send(job("j1", job_type))
            reply = served.receive()
            self.assertEqual((reply["name"], reply["retryable"]), ("NonRetryableError", False))
            self.assertIn("the result is not JSON", reply["message"])

    def test_reads_a_stored_payload_from_its_file_json_parsed_bytes_as_an_open_file(self) -> None:
        seen: dict[str, Any] = {}

        @self.registry.handler("read")
        def read(payload: Any, ctx: Context) -> int:
            if hasattr(payload, "read"):
                seen["bytes"] = payload.read()
                seen["file"] = payload
                return len(seen["bytes"])
            seen["json"] = payload
            return 0

        folder = tempfile.mkdtemp()
        json_path, bytes_path = Path(folder, "p.json"), Path(folder, "p.bin")
        json_path.write_text('{"a": [1, 2]}')
        bytes_path.write_bytes(b"\x00\x01\x02")
        served = self.serve()
        served.receive()
        served.send({**job("j1", "read"), "payloadFile": {"path": str(json_path), "format": "json"}})
        served.send({**job("j2", "read"), "payloadFile": {"path": str(bytes_path), "format": "bytes"}})
        self.assertEqual(served.receive()["value"], 0)
        self.assertEqual(served.receive()["value"], 3)
        self.assertEqual(seen["json"], {"a": [1, 2]})
        self.assertEqual(seen["bytes"], b"\x00\x01\x02")
        self.assertTrue(seen["file"].closed)

    def test_returns_a_bytes_result_as_a_file_not_through_the_pipe(self) -> None:
        self.registry.handler("bytes")(lambda payload, ctx: b"\xff" * 10)
        served = self.serve()
        served.receive()
        served.send(job("j1", "bytes"))
        reply = served.receive()
        self.addCleanup(os.remove, reply["file"])
        self.assertNotIn("value", reply)
        self.assertEqual(Path(reply["file"]).read_bytes(), b"\xff" * 10)

    def test_fails_a_job_of_an_unknown_type_for_good(self) -> None:
        served = self.serve()
        served.receive()
        served.send(job("j1", "nope"))
        self.assertEqual(served.receive()["retryable"], False)

    def test_cancel_reaches_a_running_handler(self) -> None:
        @self.registry.handler("long")
        def long(payload: Any, ctx: Context) -> bool:
            self.started.set()
            while not ctx.cancelled:
                threading.Event().wait(0.01)
            return ctx.cancelled

        served = self.serve()
        served.receive()
        served.send(job("j1", "long"))
        self.assertTrue(self.started.wait(TIMEOUT_S))
        served.send({"kind": "cancel", "id": "other"})  # a cancel for another job is moot
        served.send({"kind": "cancel", "id": "j1"})
        self.assertEqual(served.receive(), {"kind": "result", "id": "j1", "value": True})

    def test_cancel_stops_an_async_handler_at_its_await(self) -> None:
        @self.registry.handler("long")
        async def long(payload: Any, ctx: Context) -> None:
            self.started.set()
            await asyncio.sleep(3600)

        self.registry.handler("after")(lambda payload, ctx: "ran")
        served = self.serve()
        served.receive()
        served.send(job("j1", "long"))
        self.assertTrue(self.started.wait(TIMEOUT_S))
        served.send({"kind": "cancel", "id": "j1"})
        reply = served.receive()
        self.assertEqual((reply["kind"], reply["name"]), ("error", "CancelledError"))
        served.send(job("j2", "after"))
        self.assertEqual(served.receive(), {"kind": "result", "id": "j2", "value": "ran"})

    def test_async_handlers_share_one_event_loop(self) -> None:
        @self.registry.handler("loop")
        async def loop(payload: Any, ctx: Context) -> int:
            return id(asyncio.get_running_loop())

        served = self.serve()
        served.receive()
        served.send(job("j1", "loop"))
        first = served.receive()["value"]
        served.send(job("j2", "loop"))
        self.assertEqual(served.receive()["value"], first)

    def test_a_finished_jobs_context_reports_nothing(self) -> None:
        contexts: list[Context] = []

        @self.registry.handler("keep")
        def keep(payload: Any, ctx: Context) -> None:
            contexts.append(ctx)

        self.registry.handler("after")(lambda payload, ctx: "ran")
        served = self.serve()
        served.receive()
        served.send(job("j1", "keep"))
        served.receive()
        contexts[0].progress(0.9)  # as a thread the handler left behind would
        served.send(job("j2", "after"))
        self.assertEqual(served.receive(), {"kind": "result", "id": "j2", "value": "ran"})

    def test_finishes_its_job_and_ends_when_input_ends(self) -> None:
        input_ended = threading.Event()

        @self.registry.handler("slow")
        def slow(payload: Any, ctx: Context) -> bool:
            self.started.set()
            input_ended.wait(TIMEOUT_S)
            return ctx.cancelled

        served = self.serve()
        served.receive()
        served.send(job("j1", "slow"))
        self.assertTrue(self.started.wait(TIMEOUT_S))
        served.end_input()
        input_ended.set()
        self.assertEqual(served.receive(), {"kind": "result", "id": "j1", "value": False})
        with self.assertRaises(EOFError):
            served.receive()
        self.assertTrue(served.has_ended())


HANDLERS = textwrap.dedent(
    """
    import os
    from tailguard import handler, run

    print("printed at import")

    @handler("noisy")
    def noisy(payload, ctx):
        print("printed by the handler")
        os.write(1, b"written to fd 1\\n")
        return input() if payload == "read stdin" else "clean"

    if __name__ == "__main__":
        run()
    """
)


class RunTest(unittest.TestCase):
    """run() in a real process, as the worker starts it and as a person does."""

    def setUp(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.script = Path(directory.name) / "handlers.py"
        self.script.write_text(HANDLERS)
        self.env = {**os.environ, "PYTHONPATH": str(SDK)}
        self.env.pop("TAILGUARD_PROTOCOL_FD", None)
        self.jobs = b"".join(
            json.dumps(job(job_id, "noisy", payload)).encode() + b"\n"
            for job_id, payload in (("j1", None), ("j2", "read stdin"))
        )

    def test_by_hand_messages_go_to_stdout_and_prints_to_stderr(self) -> None:
        done = subprocess.run(
            [sys.executable, str(self.script)],
            input=self.jobs,
            capture_output=True,
            env=self.env,
            timeout=TIMEOUT_S,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.decode().splitlines()
        # Printed at import, before run() took stdout over: a person sees it among the messages.
        self.assertEqual(lines[0], "printed at import")
        messages = [json.loads(line) for line in lines[1:]]
        self.assertEqual(messages[0]["kind"], "ready")
        self.assertEqual(messages[1], {"kind": "result", "id": "j1", "value": "clean"})
        # A handler reading stdin reads nothing: the jobs are the protocol's.
        self.assertEqual((messages[2]["name"], messages[2]["retryable"]), ("EOFError", True))
        self.assertIn(b"printed by the handler", done.stderr)
        self.assertIn(b"written to fd 1", done.stderr)

    def test_started_by_the_worker_messages_go_to_their_own_pipe(self) -> None:
        read_end, write_end = os.pipe()
        env = {**self.env, "TAILGUARD_PROTOCOL_FD": str(write_end)}
        with subprocess.Popen(
            [sys.executable, str(self.script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            pass_fds=(write_end,),
        ) as child:
            os.close(write_end)
            with os.fdopen(read_end, "rb") as messages:
                out, err = child.communicate(self.jobs, timeout=TIMEOUT_S)
                replies = [json.loads(line) for line in messages.read().splitlines()]
        self.assertEqual(child.returncode, 0, err)
        self.assertEqual([reply["kind"] for reply in replies], ["ready", "result", "error"])
        handler_output = b"printed by the handler\nwritten to fd 1\n"
        self.assertEqual(out, b"printed at import\n" + 2 * handler_output)


if __name__ == "__main__":
    unittest.main()
