"""Records in, tables and figures out: this package reads run records and dumped predictions and
builds no model (running suites, speed runs and composition is :mod:`unibench.benchmark`).

:func:`collect` (records -> one frame), :func:`write_report` (Markdown, LaTeX, CSV),
:func:`~unibench.reporting.figures.write_figures`, :func:`write_speed`.
"""
from .records import collect, find_records, flatten_record, write_csv
from .tables import (
    ablation_table,
    format_mean_std,
    results_table,
    summarize,
    to_latex,
    to_markdown,
    write_report,
)

__all__ = [
    'ablation_table', 'collect', 'find_records', 'flatten_record', 'format_mean_std',
    'results_table', 'summarize', 'to_latex', 'to_markdown', 'write_csv', 'write_report'
]
