"""Tasks with dependencies on a fixed number of worker threads (the suite's ``jobs``).

A free worker takes the first waiting task, in list order, whose needs have all finished well;
so a suite's trainings start as soon as the pre-training they load is built, not when every
pre-training is, and a core does not idle while another task could use it. A task one of whose
needs failed is not run: ``blocked(task, failed_need)`` gives its result instead.
"""
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence


@dataclass(frozen=True)
class Task:
    """One unit of work: ``run()`` returns its result, ``ok(result)`` whether it went well."""

    key: str
    run: Callable[[], Any]
    needs: Sequence[str] = ()
    ok: Callable[[Any], bool] = bool


def run_tasks(tasks: List[Task], *, workers: int,
              blocked: Callable[[Task, str], Any]) -> Dict[str, Any]:
    """Runs ``tasks`` on ``workers`` threads, each as soon as its needs have finished well.

    Args:
        tasks: In the order they should start; a task's needs must come before it (so that no
            set of tasks can wait for one another).
        workers: Tasks at once (>= 1); one runs them in list order.
        blocked: The result of a task that is not run because ``failed_need`` failed (or was
            itself blocked).

    Returns:
        ``{task.key: result}``. An exception in a task blocks its dependants and is raised
        again once every other task has finished.
    """
    if workers < 1:
        raise ValueError(f'workers must be a positive integer, got {workers}')
    seen: set = set()
    for task in tasks:
        if task.key in seen:
            raise ValueError(f'task {task.key!r} is listed twice')
        late = [n for n in task.needs if n not in seen]
        if late:
            raise ValueError(f'task {task.key!r} needs {late}, which must be listed before it')
        seen.add(task.key)
    waiting = list(tasks)
    results: Dict[str, Any] = {}
    good: Dict[str, bool] = {}
    errors: List[BaseException] = []
    changed = threading.Condition()

    def take() -> tuple:
        """The first task that can start now and its failed need (``None``: run it)."""
        for task in waiting:
            failed: Optional[str] = next((n for n in task.needs if good.get(n) is False), None)
            if failed is not None or all(good.get(n) for n in task.needs):
                waiting.remove(task)
                return task, failed
        return None, None

    def worker() -> None:
        while True:
            with changed:
                while True:
                    task, failed = take()
                    if task is not None:
                        break
                    if not waiting:
                        return
                    changed.wait()
            result, success = None, False
            try:
                if failed is not None:
                    result = blocked(task, failed)
                else:
                    result = task.run()
                    success = bool(task.ok(result))
            except BaseException as err:  # noqa: B036  (re-raised below, after the others)
                errors.append(err)
            with changed:
                results[task.key], good[task.key] = result, success
                changed.notify_all()

    threads = [threading.Thread(target=worker, name=f'suite-job-{i}', daemon=True)
               for i in range(min(workers, len(tasks)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return {task.key: results[task.key] for task in tasks}
