"""Tool subprocesses in tests: run one and check it succeeded, or kill one the way a pre-empted job
is killed (the kill / resume tests)."""
import os
import signal
import subprocess
import sys


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


def run_tool(*args: str, timeout: float = 600.0, env: dict = None) -> str:
    """Runs ``python *args`` (a tool and its arguments) from the repository root with one
    OpenMP thread, asserts it succeeded, and returns its stdout and stderr (the last 3,000
    characters of each in the failure message)."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run([sys.executable, *args], cwd=repo, capture_output=True, text=True,
                          timeout=timeout,
                          env={**os.environ, 'OMP_NUM_THREADS': '1', **(env or {})})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr
