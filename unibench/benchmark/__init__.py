"""Running benchmarks: suites (train, test, time each run), speed runs, runs composed of trained
runs and peer comparisons. ``tools/benchmark.py`` is the command line; tables and figures are
:mod:`unibench.reporting`'s (it reads what these write).

:func:`load_suite` / :func:`run_suite` / :func:`publish`, :func:`measure_speed`,
:func:`compose_run`, :func:`build_inference_model` (the one inference model of ``tools/test.py``,
speed runs, composition and the painter's prompts).
"""
from .compose import compose_run
from .evaluate import score_checkpoint
from .speed import build_inference_model, inference_model_cfg, measure_speed, predict, write_speed
from .suite import RunSpec, Suite, load_suite, publish, run_status, run_suite
from .timing import time_runs

__all__ = [
    'RunSpec', 'Suite', 'build_inference_model', 'compose_run', 'inference_model_cfg',
    'load_suite', 'measure_speed', 'predict', 'publish', 'run_status', 'run_suite',
    'score_checkpoint', 'time_runs', 'write_speed'
]
