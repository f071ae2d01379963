"""How a suite's steps run: a subprocess each, logged, with its share of the cores; one suite
run per work root; a progress bar over the runs."""
import os
import os.path as osp
import subprocess
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional

TOOLS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools')
"""The repository's ``tools/`` folder, whose scripts the suite's steps run."""


def cpu_share(jobs: int) -> int:
    """Threads for each of ``jobs`` processes at once: the usable cores divided, at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover  (not Linux)
        cores = os.cpu_count() or 1
    return max(1, cores // jobs)


def execute_logged(argv: List[str], log_path: str, *, threads: Optional[int] = None) -> int:
    """Runs ``argv`` with stdout and stderr appended to ``log_path``; returns the exit code.
    ``threads`` caps the process's compute threads (OpenMP / MKL, hence torch's)."""
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    env = None
    if threads is not None:
        env = {**os.environ, 'OMP_NUM_THREADS': str(threads), 'MKL_NUM_THREADS': str(threads)}
    with open(log_path, 'a') as log:
        log.write(f'$ {" ".join(argv)}\n' if threads is None else
                  f'$ OMP_NUM_THREADS={threads} {" ".join(argv)}\n')
        log.flush()
        return subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, env=env).returncode


@contextmanager
def exclusive(work_root: str) -> Iterator[None]:
    """Refuses a second ``run`` of the same work root (both would train the same runs)."""
    os.makedirs(work_root, exist_ok=True)
    with open(osp.join(work_root, '.suite.lock'), 'w') as lock:
        try:
            import fcntl
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover  (no flock: trust the user)
            pass
        except BlockingIOError:
            raise RuntimeError(f'another benchmark run is using {work_root}; wait for it or '
                               'use --work-root') from None
        yield


class progress:
    """A rich progress bar over the suite's runs (plain counting when rich is missing)."""

    def __init__(self, total: int) -> None:
        self.total = total

    def __enter__(self) -> Callable[[], None]:
        try:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )
        except ImportError:
            self.bar = None
            return lambda: None
        self.bar = Progress(TextColumn('suite'), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), transient=False)
        self.bar.start()
        task = self.bar.add_task('runs', total=self.total)
        return lambda: self.bar.advance(task)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()
