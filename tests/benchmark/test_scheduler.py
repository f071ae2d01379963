"""The suite's task scheduler: list order, needs, a free worker never idles while a task can run."""
import threading

import pytest

from unibench.benchmark.scheduler import Task, run_tasks


def test_one_worker_runs_the_tasks_in_list_order():
    order = []
    tasks = [Task(key=k, run=lambda k=k: order.append(k) or True) for k in 'abc']
    assert run_tasks(tasks, workers=1, blocked=lambda t, f: None) == dict(a=True, b=True, c=True)
    assert order == ['a', 'b', 'c']


def test_a_task_starts_when_its_needs_are_done_while_another_still_runs():
    # 'slow' finishes only once 'quick_user' has run: 'quick_user' needs only 'quick', so a
    # scheduler that waited for every earlier task (or ran in list order) would deadlock here.
    user_ran = threading.Event()
    tasks = [Task(key='slow', run=lambda: user_ran.wait(timeout=10)),
             Task(key='quick', run=lambda: True),
             Task(key='slow_user', needs=['slow'], run=lambda: True),
             Task(key='quick_user', needs=['quick'], run=lambda: user_ran.set() or True)]
    results = run_tasks(tasks, workers=2, blocked=lambda t, f: None)
    assert results == dict(slow=True, quick=True, slow_user=True, quick_user=True)


def test_the_dependants_of_a_failed_task_are_blocked_not_run():
    ran = []
    tasks = [Task(key='base', run=lambda: False),
             Task(key='child', needs=['base'], run=lambda: ran.append('child')),
             Task(key='grandchild', needs=['child'], run=lambda: ran.append('grandchild')),
             Task(key='free', run=lambda: ran.append('free') or True)]
    results = run_tasks(tasks, workers=2, blocked=lambda task, failed: f'blocked by {failed}')
    assert ran == ['free']
    assert results['child'] == 'blocked by base' and results['grandchild'] == 'blocked by child'


def test_an_exception_blocks_the_dependants_and_is_raised_after_the_rest():
    ran = []

    def boom():
        raise RuntimeError('boom')

    tasks = [Task(key='bad', run=boom), Task(key='after', needs=['bad'], run=lambda: 1),
             Task(key='other', run=lambda: ran.append('other') or True)]
    with pytest.raises(RuntimeError, match='boom'):
        run_tasks(tasks, workers=1, blocked=lambda t, f: ran.append(f'{t.key} blocked'))
    assert ran == ['after blocked', 'other']


def test_needs_must_come_earlier_and_keys_be_unique():
    with pytest.raises(ValueError, match=r"'a' needs \['b'\], which must be listed before it"):
        run_tasks([Task(key='a', needs=['b'], run=bool), Task(key='b', run=bool)], workers=1,
                  blocked=lambda t, f: None)
    with pytest.raises(ValueError, match="'a' is listed twice"):
        run_tasks([Task(key='a', run=bool)] * 2, workers=1, blocked=lambda t, f: None)
    with pytest.raises(ValueError, match='workers must be a positive integer, got 0'):
        run_tasks([], workers=0, blocked=lambda t, f: None)
