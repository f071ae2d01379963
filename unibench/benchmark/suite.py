"""Running a benchmark suite (the suite file: :mod:`unibench.benchmark.suite_file`).

Each (run, seed) trains in ``<work_root>/<name>-seed<k>/`` through ``tools/train.py``, is
evaluated by ``tools/test.py`` and timed by ``tools/benchmark.py speed`` (``jobs`` > 1: every
run in one ``speed-runs`` process at the end), each a subprocess with its own log, so one crash
does not stop the suite. The work dir's ``record.json`` says which of
these steps are done, so an interrupted suite resumes where it stopped. A run with ``depends``
has a ``compose`` step instead of ``train``: it needs the same seed of each dependency finished
(they come earlier in ``runs``), its cost is theirs added up, and it takes only its own
``options`` (the suite-wide ones configure training).

A suite with ``pretrain`` first builds (or finds in the cache) the pre-trained backbone(s) that
its models' configs name (``tools/pretrain.py``; :mod:`unibench.engine.pretrained`); each
pre-training run's record is copied to ``<work_root>/<name>/`` (``pretrain`` by default) so the
tables show its cost as a row of its own, once, shared by the models that load it.

With ``jobs`` > 1 (the suite file's, or ``run_suite(jobs=...)``) that many runs train at once,
each step's process limited to its share of the cores (``OMP_NUM_THREADS``): on a 2-core CPU
two 1-thread trainings of the demo's small models do 1.4x the steps of one 2-thread training,
whose small kernels do not keep two cores busy. Runs start in suite order, each as soon as what
it needs is built (:mod:`unibench.benchmark.scheduler`): the runs it depends on and the
pre-trainings its config loads (``CachedPretrained``; a config that names none of the suite's
waits for all of them). So a painter that loads only the ViT's pre-training trains while the
ResNet's is still running. A run whose pre-training or dependency failed is not started. A
single pre-training that every run waits for runs alone, with every core.
"""
import os.path as osp
import sys
import time
from functools import partial
from typing import Any, Callable, Dict, Iterator, List, Optional

from unibench.benchmark.compose import run_options
from unibench.benchmark.execution import TOOLS, cpu_share, exclusive, execute_logged, progress
from unibench.benchmark.scheduler import Task, run_tasks
from unibench.benchmark.status import RunStatus, expand_tasks, run_status  # noqa: F401
from unibench.benchmark.suite_file import (  # noqa: F401  (the suite API in one place)
    EVAL_TASKS,
    PRETRAIN_RUN,
    RunSpec,
    Suite,
    load_suite,
)
from unibench.benchmark.timing import time_runs, time_suite_runs  # noqa: F401
from unibench.engine.checkpoint import last_checkpoint
from unibench.engine.config import load_config
from unibench.engine.hooks import read_record, update_record
from unibench.structures import HEADLINE

Executor = Callable[[List[str], str], int]
"""``execute(argv, log_path) -> return code``; tests replace it to record what would run."""


def step_command(spec: RunSpec, step: str, *, checkpoint: Optional[str] = None,
                 speed: Optional[Dict[str, int]] = None, then_test: Optional[str] = None,
                 python: str = sys.executable) -> List[str]:
    """The command line of one step (``train`` or ``compose``, ``test:<task>``, ``speed``) of a
    run; a run with ``depends`` also gets its dependencies' configs and checkpoints. A ``train``
    step with ``then_test`` also tests that task in its process (``tools/train.py --test``)."""
    options = ['--cfg-options', *[f'{k}={format_option(v)}' for k, v in run_options(spec).items()]]
    if step == 'compose':
        return [python, osp.join(TOOLS, 'benchmark.py'), 'compose', spec.config, '--work-dir',
                spec.work_dir, '--depends', *spec.dependency_dirs.values(), *options]
    if step == 'train':
        resume = ['--resume'] if last_checkpoint(spec.work_dir) else []
        test = ['--test', then_test] if then_test else []
        return [python, osp.join(TOOLS, 'train.py'), spec.config, '--work-dir', spec.work_dir,
                *resume, *test, *options]
    if checkpoint is None:
        raise FileNotFoundError(f'{spec.run_id}: no checkpoint in {spec.work_dir} for {step}')
    if step.startswith('test:'):
        return [python, osp.join(TOOLS, 'test.py'), spec.config, checkpoint, '--work-dir',
                spec.work_dir, '--task', step.split(':', 1)[1], *options]
    speed = speed or {}
    return [python, osp.join(TOOLS, 'benchmark.py'), 'speed', spec.config, checkpoint,
            '--work-dir', spec.work_dir, '--tasks', *expand_tasks(spec),
            '--num-images', str(speed.get('num_images', 10)),
            '--warmup', str(speed.get('warmup', 3)), *options]


def run_suite(suite: Suite, *, dry_run: bool = False, execute: Optional[Executor] = None,
              echo: Callable[[str], None] = print,
              jobs: Optional[int] = None) -> List[Dict[str, Any]]:
    """Trains, evaluates and times every run that is not done yet, ``jobs`` at a time.

    Args:
        suite: The parsed suite.
        dry_run: Only list each run's status and the steps it would run.
        execute: Runs one command, logging to a file; defaults to a subprocess (with its share
            of the cores when ``jobs`` > 1).
        echo: Where the per-run lines go.
        jobs: Runs at once; default: the suite's ``jobs``.

    Returns:
        One dict per run: ``run``, ``todo`` (steps needed), ``ran``, ``failed`` (step or
        ``None``), ``seconds``.
    """
    statuses = [run_status(spec, speed=suite.speed is not None) for spec in suite.runs]
    if dry_run:
        width = max([len(s.spec.run_id) for s in statuses] + [3])
        for s in statuses:
            todo = 'done' if s.done else 'todo: ' + ', '.join(s.todo)
            todo = f'stale: {s.stale}' if s.stale else todo
            echo(f'{s.spec.run_id:<{width}}  {todo:<40}  {s.spec.work_dir}')
        echo(f'{sum(s.done for s in statuses)}/{len(statuses)} runs done; '
             f'{sum(not s.done for s in statuses)} to run')
        return [dict(run=s.spec.run_id, todo=s.todo, ran=[], failed=None, seconds=0.0)
                for s in statuses]
    jobs = suite.jobs if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f'jobs must be a positive integer, got {jobs}')
    alone = execute or execute_logged  # a step with the machine to itself
    shared = alone if jobs == 1 else execute or partial(execute_logged, threads=cpu_share(jobs))
    needs = {s.spec.run_id: _pretrain_needs(suite, s) for s in statuses}
    # A single pre-training that every run waits for has nothing beside it: every core.
    solo = len(suite.pretrain) == 1 and all(needs[s.spec.run_id] for s in statuses
                                            if not s.done)
    tasks = [Task(key=entry['name'], run=partial(_pretrain, suite, entry, echo=echo,
                                                 execute=alone if solo else shared))
             for entry in suite.pretrain]
    todo = {s.spec.run_id: s.todo for s in statuses}
    with exclusive(suite.work_root), progress(len(statuses)) as advance:
        def job(status: RunStatus) -> Dict[str, Any]:
            result = _run_one(suite, status, execute=shared, echo=echo,
                              defer=('speed', ) if jobs > 1 else ())
            advance()
            return result

        def blocked(task: Task, failed: str) -> Dict[str, Any]:
            echo(f'{task.key}: not run, it needs {failed}, which failed')
            advance()
            return dict(run=task.key, todo=todo[task.key], ran=[], failed=failed, seconds=0.0)

        for status in statuses:
            spec = status.spec
            tasks.append(Task(key=spec.run_id, run=partial(job, status),
                              needs=needs[spec.run_id] + [f'{d}-seed{spec.seed}'
                                                          for d in spec.dependency_dirs],
                              # A composed run checks its dependencies itself (and names
                              # what is missing), so a failed run does not block it.
                              ok=lambda result: True))
        done = run_tasks(tasks, workers=jobs, blocked=blocked)
        results = [done[s.spec.run_id] for s in statuses]
        if jobs == 1:
            return results
        # Timings need the machine to themselves: after the runs, every core, one model at a
        # time, all in one process (a process start-up, ~17 s here, costs more than a timing).
        timed = [s for s, r in zip(statuses, results) if r['failed'] is None
                 and 'speed' in s.todo]
        if timed:
            failed = time_suite_runs(suite, timed, execute=alone, echo=echo)
            for result in results:
                if result['run'] in failed:
                    result['ran'].append('speed')
                    result['failed'] = 'speed' if failed[result['run']] else None
        return results


def publish(suite: Suite, out_dir: str, *, tables: bool = True, figures: bool = True,
            qualitative: bool = True) -> List[str]:
    """Tables and/or figures of the suite's records (its pre-training's included) into
    ``out_dir``; returns the paths written."""
    from unibench.reporting.records import collect
    from unibench.reporting.tables import write_report
    frame, paths = collect(suite.work_root, runs=suite.run_ids), []
    if tables:
        paths += write_report(frame, out_dir=out_dir, suite_name=suite.name,
                              ablation=suite.ablation, extra_columns=suite.extra_columns)
    if figures:
        from unibench.reporting.figures import write_figures  # matplotlib only when needed

        grid = dict(suite.figures.get('qualitative', {})) if qualitative else None
        if grid is not None:
            from unibench.benchmark.predictions import dump_qualitative
            dump_qualitative(frame, indices=grid.pop('indices', (0, 1, 2)))
        paths += write_figures(frame, out_dir=out_dir, groups=suite.ablation, qualitative=grid)
    return paths


def _pretrain_needs(suite: Suite, status: RunStatus) -> List[str]:
    """The suite's pre-trainings a run waits for: those its model loads (``CachedPretrained``),
    or all of them when it names none (the suite says they come first); none for a run that is
    done or stale, nor for a composed one (it waits for its dependencies)."""
    spec = status.spec
    if not suite.pretrain or status.done or status.stale or spec.depends:
        return []
    cfg = load_config(spec.config, work_dir=spec.work_dir, options=spec.cfg_options)
    loaded = set(_cached_pretrainings(cfg.to_dict().get('model')))  # not unused variables
    mine = [e['name'] for e in suite.pretrain if osp.normpath(e['config']) in loaded]
    return mine or [e['name'] for e in suite.pretrain]


def _cached_pretrainings(node: Any) -> Iterator[str]:
    """The ``pretrain`` paths of every ``CachedPretrained`` initialiser in a config's dicts."""
    if isinstance(node, dict):
        if node.get('type') == 'CachedPretrained' and isinstance(node.get('pretrain'), str):
            yield osp.normpath(node['pretrain'])
        for value in node.values():
            yield from _cached_pretrainings(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _cached_pretrainings(value)


def _pretrain(suite: Suite, entry: Dict[str, str], *, execute: Executor,
              echo: Callable[[str], None]) -> bool:
    """Builds or finds one pre-trained backbone; its record goes to ``<work_root>/<name>``."""
    name = entry['name']
    work_dir = osp.join(suite.work_root, name)
    log = osp.join(work_dir, 'logs', 'pretrain.log')
    start = time.perf_counter()
    argv = [sys.executable, osp.join(TOOLS, 'pretrain.py'), entry['config'],
            '--record-dir', work_dir]
    code = execute(argv, log)
    if code != 0:
        echo(f'{name}: FAILED (exit {code}); log: {log}; the runs that load it do not start')
        return False
    record = update_record(work_dir, dict(suite=dict(
        suite=suite.name, run=name, name=name, seed=0, index=-1,
        label=entry.get('label', 'Backbone pre-training (shared)'), config=entry['config'])))
    cached = (record.get('pretrain') or {}).get('cached')
    echo(f'{name}: {"cached" if cached else "trained"} in '
         f'{time.perf_counter() - start:.0f} s; {summary_line(record)}')
    return True


def _run_one(suite: Suite, status: RunStatus, *, execute: Executor,
             echo: Callable[[str], None], defer: tuple = ()) -> Dict[str, Any]:
    """Runs a run's remaining steps but those in ``defer``, in order, until one fails."""
    spec = status.spec
    result = dict(run=spec.run_id, todo=list(status.todo), ran=[], failed=None, seconds=0.0)
    if status.stale:
        # Training on would mix two settings in one work dir; the old results stay reported.
        echo(f'{spec.run_id}: skipped, {status.stale}; delete {spec.work_dir} to run it again')
        result['failed'] = 'stale'
        return result
    if status.done:
        echo(f'{spec.run_id}: already done ({spec.work_dir})')
        return result
    start = time.perf_counter()
    update_record(spec.work_dir, dict(suite=dict(
        suite=suite.name, run=spec.run_id, name=spec.name, label=spec.label, seed=spec.seed,
        config=spec.config, eval_tasks=list(spec.eval_tasks), options=spec.options,
        index=spec.index)))
    steps = [t for t in status.todo if t not in defer]
    while steps:
        step = steps.pop(0)
        log = osp.join(spec.work_dir, 'logs', step.replace(':', '-') + '.log')
        # A training tests in its own process (one start-up fewer); a failed test is the test's.
        test = steps.pop(0) if step == 'train' and steps[:1] and \
            steps[0].startswith('test:') else None
        result['ran'].append(step)
        try:
            argv = step_command(spec, step, checkpoint=last_checkpoint(spec.work_dir),
                                speed=suite.speed, then_test=test and test.split(':', 1)[1])
        except FileNotFoundError as err:
            result['failed'] = step
            echo(f'{spec.run_id}: FAILED at {step}: {err}')
            break
        code = execute(argv, log)
        record = read_record(spec.work_dir)
        if test and (code == 0 or record.get('train', {}).get('status') == 'finished'):
            result['ran'].append(test)
            step = test  # trained: a failure is the test's
        if code != 0:
            result['failed'] = step
            reason = record.get('train', {}).get('reason')
            echo(f'{spec.run_id}: FAILED at {step} (exit {code}'
                 f'{f": {reason}" if reason else ""}); log: {log}')
            break
    result['seconds'] = time.perf_counter() - start
    if result['failed'] is None:
        echo(f'{spec.run_id}: done in {result["seconds"]:.0f} s; '
             f'{summary_line(read_record(spec.work_dir))}')
    return result


def summary_line(record: Dict[str, Any]) -> str:
    """``PQ 41.2  AP 27.0  mIoU 46.1  0.05 device-h`` from a record's test results."""
    parts = []
    for entry in record.get('evaluations', {}).values():
        if entry.get('mode') != 'test':
            continue
        for task, (metric, label, scale) in HEADLINE.items():
            value = entry.get('results', {}).get(task, {}).get('metrics', {}).get(metric)
            if value is not None:
                parts.append(f'{label} {value * scale:.1f}')
    hours = record.get('train', {}).get('device_hours')
    if hours is not None:
        parts.append(f'{hours:.3g} device-h')
    return '  '.join(parts)


def format_option(value: Any) -> str:
    """A value as mmengine's ``DictAction`` parses it back (``(64,64)``, ``[1,2]``, ``None``)."""
    if isinstance(value, (list, tuple)):
        inner = ','.join(format_option(v) for v in value)
        if isinstance(value, tuple):
            return f'({inner},)' if len(value) == 1 else f'({inner})'
        return f'[{inner}]'
    if isinstance(value, dict):
        raise TypeError(f'suite options are dotted keys with scalar or list values, got {value}')
    return str(value)
