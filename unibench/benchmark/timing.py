"""The speed step of a suite's runs after their trainings: every run to time, one after another,
in one ``tools/benchmark.py speed-runs`` process with every core (a process start-up, ~17 s on
the 2-core CPU, costs more than timing one of the demo's models)."""
import os.path as osp
import sys
import time
import traceback
from typing import Callable, Dict, List

from unibench.benchmark.compose import run_options
from unibench.benchmark.execution import TOOLS
from unibench.benchmark.speed import measure_speed, write_speed
from unibench.benchmark.status import RunStatus, expand_tasks, run_status
from unibench.benchmark.suite_file import Suite
from unibench.engine.checkpoint import last_checkpoint
from unibench.engine.config import load_config


def speed_command(suite: Suite, run_ids: List[str], *,
                  python: str = sys.executable) -> List[str]:
    """The command line that times several runs of a suite one after another in one process
    (``tools/benchmark.py speed-runs``; each run as its ``speed`` step would)."""
    return [python, osp.join(TOOLS, 'benchmark.py'), 'speed-runs', suite.path,
            '--work-root', suite.work_root, '--runs', *run_ids]


def time_runs(suite: Suite, run_ids: List[str]) -> List[str]:
    """Times each named run's last checkpoint on every task it serves (the suite's ``speed``
    settings) into its record, one after another; returns the runs that failed (each failure
    is printed and does not stop the others)."""
    specs = {spec.run_id: spec for spec in suite.runs}
    unknown = sorted(set(run_ids) - set(specs))
    if unknown:
        raise ValueError(f'{suite.path}: no runs {unknown}; its runs: {sorted(specs)}')
    settings, failed = {'num_images': 10, 'warmup': 3, **(suite.speed or {})}, []
    for run_id in run_ids:
        spec = specs[run_id]
        try:
            cfg = load_config(spec.config, work_dir=spec.work_dir, options=run_options(spec))
            checkpoint = last_checkpoint(spec.work_dir)
            if checkpoint is None:
                raise FileNotFoundError(f'no checkpoint in {spec.work_dir}')
            results = measure_speed(cfg, checkpoint=checkpoint, tasks=expand_tasks(spec),
                                    **settings)
        except Exception:  # noqa: BLE001  (reported; the other runs are still timed)
            print(f'{run_id}: speed FAILED\n{traceback.format_exc()}', flush=True)
            failed.append(run_id)
            continue
        write_speed(spec.work_dir, results)
        print(f'{run_id}: ' + ', '.join(f'{task} {r["ms_per_img"]:.1f} ms/img'
                                        for task, r in results.items()), flush=True)
    return failed


def time_suite_runs(suite: Suite, statuses: List[RunStatus], *,
                    execute: Callable[[List[str], str], int],
                    echo: Callable[[str], None]) -> Dict[str, bool]:
    """Runs :func:`speed_command` for these runs; for each, whether it failed (no timing)."""
    log = osp.join(suite.work_root, 'logs', 'speed.log')
    start = time.perf_counter()
    code = execute(speed_command(suite, [s.spec.run_id for s in statuses]), log)
    failed = {s.spec.run_id: 'speed' in run_status(s.spec).todo for s in statuses}
    bad = [run for run, no in failed.items() if no]
    echo(f'speed: {len(statuses) - len(bad)} runs timed in {time.perf_counter() - start:.0f} s'
         + (f'; FAILED (exit {code}): {bad}; log: {log}' if bad else ''))
    return failed
