"""Runs MiniStack as a child of the Tailguard process that started it (npm start, the test suite).

The parent stops MiniStack itself when it can; this covers a parent that dies without doing so
(SIGKILL, a crashed test runner): MiniStack then stops within a second instead of running on.
"""
import os
import runpy
import signal
import sys
import threading
import time

PARENT_PID = int(os.environ.get("TAILGUARD_PARENT_PID", "0"))


def stop_when_parent_is_gone() -> None:
    while True:
        time.sleep(1)
        try:
            os.kill(PARENT_PID, 0)
        except ProcessLookupError:
            # Leading our own group (the parent starts us detached), the Lambda runtimes MiniStack
            # started go with it; otherwise the group is the parent's, which is not ours to end.
            if os.getpgrp() == os.getpid():
                os.killpg(os.getpgrp(), signal.SIGTERM)
            else:
                os.kill(os.getpid(), signal.SIGTERM)
            return


if PARENT_PID > 0:
    threading.Thread(target=stop_when_parent_is_gone, daemon=True).start()
sys.argv = ["ministack"]
runpy.run_module("ministack", run_name="__main__", alter_sys=True)
