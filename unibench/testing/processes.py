"""Killing tool subprocesses the way a pre-empted job is killed (the kill / resume tests)."""
import os
import signal
import subprocess


def kill_session(proc: subprocess.Popen, *, timeout: float = 60.0) -> int:
    """SIGKILLs the process group of ``proc`` (started with ``start_new_session=True``: its data
    workers and torchrun children die with it) and waits for it.

    A process that has already ended is not an error here; its return code, which this returns,
    tells the caller (``-signal.SIGKILL`` when the kill ended it).
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return proc.wait(timeout=timeout)
