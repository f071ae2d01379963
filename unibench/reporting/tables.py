"""Result tables in the papers' layout, rendered as Markdown, LaTeX (booktabs) and CSV.

Rows are models (runs aggregated over seeds: mean ± sample std when there are several). The
columns follow the OneFormer and Mask2Former tables: PQ, PQ^Th, PQ^St, AP, mIoU, then size and
cost. The ablation table groups runs into training protocols (one joint model versus one model
per task; OneFormer App. Tab. IV) and adds up their cost.
"""
import math
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pandas as pd

from unibench.reporting.records import split_unfinished
from unibench.structures import HEADLINE, TASKS
from unibench.utils.io import atomic_write_text

# (task, column of the collected frame) of each task's headline metric
TASK_METRICS = tuple((task, f'{task}/{HEADLINE[task].name}') for task in TASKS)
DASH = {'md': '–', 'tex': '--'}


@dataclass(frozen=True)
class Column:
    """A table column: ``key`` in the summary frame, headers, and number format."""

    key: str
    md: str
    tex: str
    digits: int = 1
    scale: float = 1.0
    unit: str = ''
    text: bool = False
    spread: bool = True  # show ± std over seeds (not for counts fixed by the config)


@dataclass
class Table:
    """Rows of ``{column key: str | (mean, std)}`` plus notes (rendered under / in the caption)."""

    name: str
    title: str
    columns: List[Column]
    rows: List[Dict[str, Any]]
    notes: List[str] = field(default_factory=list)
    wide: bool = False  # LaTeX table* (both columns of a two-column paper)


RESULT_COLUMNS = [
    Column('label', 'Model', 'Model', text=True),
    Column('backbone', 'Backbone', 'Backbone', text=True),
    Column('tasks_trained', 'Trained on', 'Trained on', text=True),
    Column('n', 'Seeds', 'Seeds', digits=0, spread=False),
    Column('panoptic/PQ', 'PQ', 'PQ'),
    Column('panoptic/PQ_th', 'PQ<sup>Th</sup>', r'PQ$^\mathrm{Th}$'),
    Column('panoptic/PQ_st', 'PQ<sup>St</sup>', r'PQ$^\mathrm{St}$'),
    Column('instance/segm_mAP', 'AP', 'AP', scale=100.0),  # COCO AP is a fraction
    Column('semantic/mIoU', 'mIoU', 'mIoU'),
    Column('params_inference', 'Params', '\\#Params', scale=1e-6, unit='M', spread=False),
    Column('flops', 'FLOPs', 'FLOPs', digits=2, scale=1e-9, unit='G', spread=False),
    Column('iterations', 'Iters', 'Iters', digits=0, spread=False),
    Column('device_hours', 'Device-h', 'Device-h', digits=3),
    Column('train_img_per_s', 'Train img/s', 'Train img/s'),
    Column('ms_per_img', 'Inf. ms/img', 'Inf.\\ ms/img'),
    Column('peak_memory_bytes', 'Peak mem. (GiB)', 'Peak mem.\\ (GiB)', digits=2,
           scale=1 / 2**30),
]
# Columns a suite may add to the results table (suite key ``extra_columns``), after Device-h.
OPTIONAL_COLUMNS = {
    'trained_models': Column('trained_models', 'Trained models', 'Trained models', digits=0,
                             spread=False),
}
ABLATION_COLUMNS = [
    Column('label', 'Training', 'Training', text=True),
    Column('n', 'Seeds', 'Seeds', digits=0, spread=False),
    Column('panoptic/PQ', 'PQ', 'PQ'),
    Column('instance/segm_mAP', 'AP', 'AP', scale=100.0),
    Column('semantic/mIoU', 'mIoU', 'mIoU'),
    Column('iterations', 'Iterations (total)', 'Iterations (total)', digits=0),
    Column('device_hours', 'Device-h (total)', 'Device-h (total)', digits=3),
    Column('checkpoints', 'Checkpoints', 'Checkpoints', digits=0),
    Column('params_inference', 'Stored params', 'Stored params', scale=1e-6, unit='M'),
]
_TEXT_KEYS = ('suite', 'label', 'backbone', 'tasks_trained', 'family', 'config',
              'peak_memory_kind', 'flops_input', 'device', 'metrics_source')
_TASK_ABBREV = {'panoptic': 'P', 'instance': 'I', 'semantic': 'S'}


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per run name (first-appearance order): ``<col>`` mean, ``<col>_std``, ``n``.

    Adds ``ms_per_img``: the mean of the ``ms_per_img/<task>`` columns of a run.
    """
    frame = frame.copy()
    speed_cols = [c for c in frame.columns if c.startswith('ms_per_img/')]
    frame['ms_per_img'] = frame[speed_cols].mean(axis=1) if speed_cols else math.nan
    numeric = [c for c in frame.columns
               if c not in _TEXT_KEYS and pd.api.types.is_numeric_dtype(frame[c])
               and c not in ('seed', 'index')]
    rows = []
    for name, group in frame.groupby('name', sort=False):
        row: Dict[str, Any] = dict(name=name, n=len(group))
        for key in _TEXT_KEYS:
            if key in group:
                row[key] = group[key].iloc[0]
        for key in numeric:
            values = group[key].dropna()
            row[key] = values.mean() if len(values) else math.nan
            row[f'{key}_std'] = values.std(ddof=1) if len(values) > 1 else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def results_table(summary: pd.DataFrame, *, title: str = 'Results',
                  extra_columns: Sequence[str] = ()) -> Table:
    """The main table: one row per model, plus the named :data:`OPTIONAL_COLUMNS`."""
    unknown = sorted(set(extra_columns) - set(OPTIONAL_COLUMNS))
    if unknown:
        raise ValueError(f'unknown extra_columns {unknown}; choose from {sorted(OPTIONAL_COLUMNS)}')
    columns = list(RESULT_COLUMNS)
    at = next(i for i, c in enumerate(columns) if c.key == 'device_hours') + 1
    columns[at:at] = [OPTIONAL_COLUMNS[key] for key in extra_columns]
    rows = []
    for _, run in summary.iterrows():
        row = _cells(run, columns)
        row['tasks_trained'] = _abbrev_tasks(run.get('tasks_trained'))
        rows.append(row)
    notes = _notes(summary)
    if 'trained_models' in extra_columns:
        notes.append('Trained models: a combination of specialists trains none of its own; its '
                     'Iters and Device-h add up the trainings of its models.')
    return Table(name='results', title=title, columns=columns, rows=rows, notes=notes,
                 wide=True)


def ablation_table(summary: pd.DataFrame, groups: Dict[str, Dict[str, Any]], *,
                   title: str = 'One joint model versus one model per task') -> Table:
    """Training protocols side by side (OneFormer App. Tab. IV, with measured cost).

    Each group is ``{'label', 'runs'}``; ``runs`` is a list of run names, or a mapping
    task -> run name. For a list, each task's metric comes from the run trained on that task
    with the fewest training tasks (the specialist), else from any run that reports it. Cost
    columns add up over the group's models; the metric std is over the answering run's seeds.
    """
    by_name = {row['name']: row for _, row in summary.iterrows()}
    rows, notes = [], []
    for key, group in groups.items():
        runs = group['runs']
        names = list(dict.fromkeys(runs.values() if isinstance(runs, dict) else runs))
        present = [by_name[n] for n in names if n in by_name]
        missing = [n for n in names if n not in by_name]
        row: Dict[str, Any] = dict(label=group.get('label', key))
        sources = []
        for task, metric in TASK_METRICS:
            # With a model missing, another model's answer would stand in for the specialist's.
            source = (runs.get(task) if isinstance(runs, dict) else answering_run(
                present, task=task, metric=metric, specialist_only=bool(missing)))
            run = by_name.get(source) if source else None
            value = _value(run, metric) if run is not None else None
            row[metric] = _scaled(value, _column(ABLATION_COLUMNS, metric))
            if value is not None:
                sources.append(f'{_column(ABLATION_COLUMNS, metric).md} from {run["label"]}')
        if missing:
            notes.append(f'{row["label"]}: no finished run of {", ".join(missing)}; its totals '
                         'are left out.')
        for metric in ('iterations', 'device_hours', 'params_inference'):
            values = [r.get(metric) for r in present]
            complete = values and not missing and all(_finite(v) for v in values)
            total = sum(values) if complete else None
            row[metric] = _scaled((total, None) if total is not None else None,
                                  _column(ABLATION_COLUMNS, metric))
        # A composed run's checkpoint holds the models its dependencies trained.
        models = [r.get('trained_models') for r in present]
        row['checkpoints'] = (float(sum(m if _finite(m) else 1 for m in models) + len(missing)),
                              None)
        row['n'] = (float(min((r['n'] for r in present), default=0)), None)
        rows.append(row)
        if len(names) > 1 and sources:
            notes.append(f'{row["label"]}: ' + ', '.join(sources) + '.')
    notes.append('Totals add up the models of a protocol; stored params are the inference '
                 'parameters of all its checkpoints.')
    return Table(name='ablation', title=title, columns=ABLATION_COLUMNS, rows=rows, notes=notes)


def answering_run(runs: Sequence[pd.Series], *, task: str, metric: str,
                  specialist_only: bool = False) -> Optional[str]:
    """Name of the run whose ``metric`` a protocol reports for ``task`` (see ablation_table).

    ``specialist_only``: only a run trained on ``task`` may answer.
    """
    candidates = [r for r in runs if _finite(r.get(metric)) and (
        not specialist_only or task in str(r.get('tasks_trained') or '').split('+'))]
    if not candidates:
        return None

    def rank(run: pd.Series) -> Tuple[int, int]:
        trained = str(run.get('tasks_trained') or '').split('+')
        return (task not in trained, len(trained))

    return min(candidates, key=rank)['name']


def to_markdown(table: Table) -> str:
    """GitHub Markdown table followed by its notes."""
    header = '| ' + ' | '.join(c.md for c in table.columns) + ' |'
    align = '|' + '|'.join(':--' if c.text else '--:' for c in table.columns) + '|'
    lines = [f'**{table.title}**', '', header, align]
    for row in table.rows:
        lines.append('| ' + ' | '.join(_render(row.get(c.key), c, 'md') for c in table.columns)
                     + ' |')
    if table.notes:
        lines += [''] + [f'- {note}' for note in table.notes]
    return '\n'.join(lines) + '\n'


def to_latex(table: Table, *, label: str) -> str:
    """A booktabs ``table`` (needs ``\\usepackage{booktabs}``); notes go into the caption."""
    spec = ''.join('l' if c.text else 'r' for c in table.columns)
    caption = ' '.join([latex_escape(table.title) + '.'] + [latex_escape(n) for n in table.notes])
    env = 'table*' if table.wide else 'table'
    lines = [r'\begin{' + env + '}[t]', r'\centering', r'\small',
             r'\caption{' + caption + '}', r'\label{' + label + '}',
             r'\begin{tabular}{' + spec + '}', r'\toprule',
             ' & '.join(c.tex for c in table.columns) + r' \\', r'\midrule']
    for row in table.rows:
        lines.append(' & '.join(_render(row.get(c.key), c, 'tex') for c in table.columns)
                     + r' \\')
    lines += [r'\bottomrule', r'\end{tabular}', r'\end{' + env + '}']
    return '\n'.join(lines) + '\n'


def to_frame(table: Table) -> pd.DataFrame:
    """The table's numbers (display units) as a frame: ``<header>`` and ``<header> std``."""
    records = []
    for row in table.rows:
        record: Dict[str, Any] = {}
        for c in table.columns:
            value = row.get(c.key)
            if c.text:
                record[c.md] = value
            else:
                mean, std = value if value is not None else (None, None)
                record[c.md] = mean
                record[f'{c.md} std'] = std
        records.append(record)
    return pd.DataFrame(records)


def write_tables(tables: Sequence[Table], *, out_dir: str, prefix: str) -> List[str]:
    """Writes ``<name>.md``, ``<name>.tex`` and ``<name>.csv`` of each table; returns paths.

    Each file is written atomically: a report killed or failing mid-way leaves every file
    either as it was or complete."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for table in tables:
        base = osp.join(out_dir, table.name)
        for ext, text in (('md', to_markdown(table)),
                          ('tex', to_latex(table, label=f'tab:{prefix}-{table.name}')),
                          ('csv', to_frame(table).to_csv(index=False))):
            atomic_write_text(f'{base}.{ext}', text)
            paths.append(f'{base}.{ext}')
    return paths


def latex_escape(text: str) -> str:
    """Escapes LaTeX's special characters; ``±`` and ``×`` become math."""
    out = []
    for ch in str(text):
        out.append({'&': r'\&', '%': r'\%', '$': r'\$', '#': r'\#', '_': r'\_', '{': r'\{',
                    '}': r'\}', '~': r'\textasciitilde{}', '^': r'\textasciicircum{}',
                    '\\': r'\textbackslash{}', '±': r'$\pm$', '×': r'$\times$',
                    '–': '--'}.get(ch, ch))
    return ''.join(out)


def format_mean_std(mean: Optional[float], std: Optional[float], *, digits: int, unit: str = '',
                    style: str = 'md') -> str:
    """``41.2 ± 0.3`` (``$\\pm$`` in LaTeX); the std is left out when absent or NaN."""
    if not _finite(mean):
        return DASH[style]
    text = f'{mean:.{digits}f}{unit}'
    if _finite(std):
        text += (' ± ' if style == 'md' else r' $\pm$ ') + f'{std:.{digits}f}'
    return text


# ---- helpers ----------------------------------------------------------------------------------
def _cells(run: pd.Series, columns: Sequence[Column]) -> Dict[str, Any]:
    row: Dict[str, Any] = {}
    for c in columns:
        row[c.key] = run.get(c.key) if c.text else _scaled(_value(run, c.key), c)
    return row


def _value(run: pd.Series, key: str) -> Optional[Tuple[float, Optional[float]]]:
    mean = run.get(key)
    if not _finite(mean):
        return None
    std = run.get(f'{key}_std')
    return float(mean), float(std) if _finite(std) else None


def _scaled(value: Optional[Tuple[float, Optional[float]]],
            column: Column) -> Optional[Tuple[float, Optional[float]]]:
    if value is None:
        return None
    mean, std = value
    return mean * column.scale, (std * column.scale if std is not None else None)


def _render(value: Any, column: Column, style: str) -> str:
    if column.text:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return DASH[style]
        return latex_escape(value) if style == 'tex' else str(value)
    if value is None:
        return DASH[style]
    mean, std = value
    return format_mean_std(mean, std if column.spread else None, digits=column.digits,
                           unit=column.unit, style=style)


def _column(columns: Sequence[Column], key: str) -> Column:
    return next(c for c in columns if c.key == key)


def _notes(summary: pd.DataFrame) -> List[str]:
    notes = ['Mean ± sample std over seeds where a model has several. PQ and mIoU in %; AP is '
             'COCO mask AP in %.']
    inputs = sorted({str(v) for v in summary.get('flops_input', pd.Series()).dropna()})
    if inputs:
        notes.append('FLOPs: one inference forward (no post-processing) at input '
                     + ', '.join(i.replace('x', '×') for i in inputs)
                     + '; fvcore counting (1 multiply-add = 1 FLOP).')
    kinds = sorted({str(v) for v in summary.get('peak_memory_kind', pd.Series()).dropna()})
    described = {'cpu_peak_rss': 'CPU peak RSS of the training process',
                 'cuda_max_memory_allocated': 'CUDA max_memory_allocated during training'}
    if kinds:
        notes.append('Peak memory: ' + '; '.join(described.get(k, k) for k in kinds) + '.')
    notes.append('Params: inference model. Device-h: training wall-clock × devices. Train img/s '
                 'after warm-up. Inf. ms/img: batch 1, mean over the tasks evaluated.')
    notes.append('Trained on: P panoptic, I instance, S semantic (joint: task sampled per '
                 'image).')
    return notes


def _abbrev_tasks(tasks: Any) -> Optional[str]:
    if not isinstance(tasks, str) or not tasks:
        return None
    return '+'.join(_TASK_ABBREV.get(t, t) for t in tasks.split('+'))


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def write_report(frame: pd.DataFrame, *, out_dir: str, suite_name: str,
                 ablation: Optional[Dict[str, Dict[str, Any]]] = None,
                 extra_columns: Sequence[str] = ()) -> List[str]:
    """Writes the results table (with ``extra_columns``), the ablation table (when groups are
    given) and the raw rows.

    Returns:
        Paths of ``results.{md,tex,csv}``, ``ablation.{md,tex,csv}`` and ``records.csv``.
    """
    finished, unfinished = split_unfinished(frame)
    if finished.empty:
        raise ValueError(f'no finished runs to report for suite {suite_name!r}')
    records = osp.join(out_dir, 'records.csv')
    os.makedirs(out_dir, exist_ok=True)
    atomic_write_text(records, frame.to_csv(index=False))  # every record, finished or not
    frame = finished
    summary = summarize(frame)
    tables = [results_table(summary, title=f'{suite_name}: results',
                            extra_columns=extra_columns)]
    if unfinished:
        tables[0].notes.append('Not finished, left out: ' + ', '.join(unfinished) + '.')
    if ablation:
        tables.append(ablation_table(summary, ablation,
                                     title=f'{suite_name}: one joint model versus one model '
                                           'per task'))
    return write_tables(tables, out_dir=out_dir, prefix=suite_name) + [records]
