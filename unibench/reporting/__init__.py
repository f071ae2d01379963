"""Benchmark suites, record collection, tables, figures and inference speed.

``tools/benchmark.py`` is the command line; each step is a function here so notebooks and
tests use the same code: :func:`load_suite` / :func:`run_suite` (train, test, time each run),
:func:`collect` (records -> one frame), :func:`write_report` (Markdown, LaTeX, CSV),
:func:`write_figures`, :func:`measure_speed` and :func:`compose_run` (a run made of trained
runs).
"""
from .compose import compose_run
from .records import collect, find_records, flatten_record, write_csv
from .speed import measure_speed, write_speed
from .suite import RunSpec, Suite, load_suite, publish, run_status, run_suite
from .tables import (ablation_table, format_mean_std, results_table, summarize, to_latex,
                     to_markdown, write_report)

__all__ = [
    'RunSpec', 'Suite', 'ablation_table', 'collect', 'compose_run', 'find_records',
    'flatten_record', 'format_mean_std', 'load_suite', 'measure_speed', 'publish',
    'results_table', 'run_status', 'run_suite', 'summarize', 'to_latex', 'to_markdown',
    'write_csv', 'write_report', 'write_speed'
]
