"""Paper figures (PNG + PDF, one column = 3.3 in wide) from collected records and work dirs.

* :func:`cost_figure`: PQ / AP / mIoU against training device-hours, one marker per model, plus
  the summed cost of multi-model protocols from the suite's ablation.
* :func:`bars_figure`: grouped bars of PQ / AP / mIoU per model.
* :func:`curves_figure`: training loss and validation metrics against iterations, read from
  mmengine's ``<work_dir>/<timestamp>/vis_data/scalars.json``.
* :func:`qualitative_figure`: image, ground truth and each model's prediction for one task, read
  from the predictions the benchmark dumped (this module builds no model).
"""
import glob
import io
import json
import math
import os
import os.path as osp
import textwrap
from typing import Any, Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from unibench.reporting.tables import TASK_METRICS, answering_run  # noqa: E402
from unibench.structures import HEADLINE, INSTANCE_OFFSET, prediction_dump  # noqa: E402
from unibench.utils.io import atomic_write_bytes  # noqa: E402

COLUMN_WIDTH = 3.3  # inches: one column of a two-column paper
METRICS = tuple((column, HEADLINE[task].label, HEADLINE[task].scale)
                for task, column in TASK_METRICS)  # (frame column, axis label, scale)
MARKERS = ('o', 's', '^', 'D', 'v', 'P', 'X', '*', 'h', '<')
STYLE = {'font.size': 7, 'axes.titlesize': 7, 'axes.labelsize': 7, 'legend.fontsize': 6,
         'xtick.labelsize': 6, 'ytick.labelsize': 6, 'lines.linewidth': 1.0,
         'lines.markersize': 4, 'axes.grid': True, 'grid.alpha': 0.3, 'savefig.dpi': 300,
         'pdf.fonttype': 42}


def cost_figure(summary: pd.DataFrame, *, out_base: str,
                groups: Optional[Dict[str, Dict[str, Any]]] = None) -> List[str]:
    """Each task's metric against training device-hours (one panel per task).

    Args:
        summary: :func:`~unibench.reporting.tables.summarize` output.
        out_base: Output path without extension.
        groups: Suite ablation groups; protocols of several models get a hollow marker at
            their total cost.
    """
    styles = _styles(summary)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(3, 1, figsize=(COLUMN_WIDTH, 4.2), sharex=True)
        for ax, (metric, name, scale) in zip(axes, METRICS):
            for _, run in summary.iterrows():
                x, y = run.get('device_hours'), run.get(metric)
                if _finite(x) and _finite(y):
                    ax.errorbar(x, y * scale, yerr=_std(run, metric, scale), ls='none',
                                label=run['label'], **styles[run['name']])
            for group in (groups or {}).values():
                names = _group_names(group)
                if len(names) < 2:
                    continue
                point = _group_point(summary, group, metric=metric, task=_task(metric))
                if point is not None:
                    ax.plot(point[0], point[1] * scale, ls='none', marker='o', mfc='none',
                            mec='k', ms=6, label=f'{group["label"]} (total)')
            ax.set_ylabel(name)
        axes[-1].set_xlabel('training device-hours')
        _legend_below(fig, axes)
        return _save(fig, out_base)


def bars_figure(summary: pd.DataFrame, *, out_base: str) -> List[str]:
    """PQ, AP and mIoU of each model as grouped bars (std over seeds as error bars)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.2))
        n = max(len(summary), 1)
        width = 0.8 / n
        colors = plt.get_cmap('tab10').colors
        for i, (_, run) in enumerate(summary.iterrows()):
            for j, (metric, _, scale) in enumerate(METRICS):
                if _finite(run.get(metric)):
                    ax.bar(j - 0.4 + width * (i + 0.5), run[metric] * scale, width=width,
                           yerr=_std(run, metric, scale), color=colors[i % 10],
                           label=run['label'], error_kw=dict(lw=0.6, capsize=1.5))
        ax.set_xticks(range(len(METRICS)), [m[1] for m in METRICS])
        ax.set_ylabel('score (%)')
        ax.grid(axis='x', visible=False)
        _legend_below(fig, [ax])
        return _save(fig, out_base)


def curves_figure(work_dirs: Dict[str, str], *, out_base: str) -> List[str]:
    """Training loss and validation PQ / AP / mIoU against iterations, one line per run.

    Args:
        work_dirs: Legend label -> work dir.
    """
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 2, figsize=(COLUMN_WIDTH, 2.8), sharex=True)
        panels = [('loss', 'train loss', 1.0)] + list(METRICS)
        colors = plt.get_cmap('tab10').colors
        for i, (label, work_dir) in enumerate(work_dirs.items()):
            train, val = read_scalars(work_dir)
            style = dict(color=colors[i % 10], label=label)  # the same run looks the same
            for ax, (key, name, scale) in zip(axes.flat, panels):
                data = train if key == 'loss' else val
                if key in data and data[key].notna().any():
                    rows = data[['iter', key]].dropna()
                    ax.plot(rows['iter'], rows[key] * scale, ms=3,
                            marker=None if key == 'loss' else MARKERS[i % len(MARKERS)],
                            **style)
                ax.set_title(name if key == 'loss' else f'val {name}')
        for ax in axes[1]:
            ax.set_xlabel('iteration')
        _legend_below(fig, list(axes.flat))
        return _save(fig, out_base)


def read_scalars(work_dir: str) -> Tuple[pd.DataFrame, pd.DataFrame]:
    """Training and validation scalars of a work dir's training sessions.

    mmengine writes one ``scalars.json`` per session (resumes add one). Validation lines carry
    ``step`` = epoch (0) under ``LoggerHook(log_metric_by_epoch=True)``, the default, so their
    iteration is taken from the training line before them when ``step`` is not larger.

    Returns:
        ``(train, val)`` frames with an ``iter`` column; ``val`` has ``<task>/<metric>``.
    """
    train, val = [], []
    for path in sorted(glob.glob(osp.join(glob.escape(work_dir), '*', 'vis_data',
                                          'scalars.json'))):
        last_iter = None
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        if not any('loss' in line for line in lines):
            continue  # a tools/test.py session: no curve
        for line in lines:
            if 'loss' in line and 'iter' in line:
                last_iter = line['iter']
                train.append(line)
            elif any('/' in key for key in line) and last_iter is not None:
                val.append({**line, 'iter': max(line.get('step', 0), last_iter)})
    frames = []
    for rows in (train, val):
        frame = pd.DataFrame(rows)
        if not frame.empty:
            frame = frame.drop_duplicates('iter', keep='last').sort_values('iter')
        frames.append(frame.reset_index(drop=True))
    return frames[0], frames[1]


def qualitative_figure(models: Sequence[Dict[str, Any]], *, task: str, out_base: str,
                       score_thr: float = 0.5) -> List[str]:
    """Image, ground truth and each model's ``task`` prediction on the same val images.

    Args:
        models: ``{'label', 'predictions'}`` per model: the dump the benchmark wrote
            (:func:`unibench.benchmark.predictions.dump_predictions`), all of the same images.
        task: ``panoptic``, ``instance`` or ``semantic``.
        out_base: Output path without extension.
        score_thr: Instance predictions below this score are not drawn.
    """
    columns: List[Tuple[str, List[np.ndarray]]] = []
    images: List[np.ndarray] = []
    truths: List[np.ndarray] = []
    for spec in models:
        with np.load(spec['predictions']) as dump:
            if str(dump['task']) != task:
                raise ValueError(f'{spec["predictions"]} holds {dump["task"]} predictions, not '
                                 f'{task}')
            count, palette = len(dump['indices']), dump['palette']
            void = int(dump['num_classes'])
            if not images:
                images = [dump[f'image_{k}'] for k in range(count)]
                truths = [_paint_ids(dump[f'truth_{k}'], palette, int(dump['truth_void']))
                          for k in range(count)]
            elif count != len(images):
                raise ValueError(f'{spec["predictions"]} has {count} images, the first dump '
                                 f'{len(images)}')
            columns.append((spec['label'], [
                _paint_ids(_drawn(dump, k, void, score_thr), palette, void)
                for k in range(count)]))
    columns = [('image', images), ('ground truth', truths)] + columns
    rows = len(images)
    with plt.rc_context({**STYLE, 'axes.grid': False}):
        cell = COLUMN_WIDTH / len(columns)
        fig, axes = plt.subplots(max(rows, 1), len(columns), squeeze=False)
        for col, (title, pictures) in enumerate(columns):
            for row, picture in enumerate(pictures):
                ax = axes[row, col]
                ax.imshow(picture, interpolation='nearest')
                ax.set_xticks([])
                ax.set_yticks([])
                if row == 0:
                    ax.set_title(textwrap.fill(title, 14), fontsize=5, pad=2)
        height = cell * rows + 0.45
        fig.set_size_inches(COLUMN_WIDTH, height)
        fig.suptitle(f'{task} predictions', fontsize=7, y=1 - 0.03 / height, va='top')
        fig.subplots_adjust(wspace=0.03, hspace=0.03, left=0.01, right=0.99, bottom=0.01,
                            top=1 - 0.45 / height)
        return _save(fig, out_base, tight=False)


# ---- helpers ----------------------------------------------------------------------------------
def _drawn(dump: Any, k: int, void: int, score_thr: float) -> np.ndarray:
    """Image ``k``'s predicted ids; instance pixels scored below ``score_thr`` become void."""
    ids = dump[f'ids_{k}']
    if f'scores_{k}' in dump:
        ids = np.where(dump[f'scores_{k}'] >= score_thr, ids, void)
    return ids


def _paint_ids(ids: np.ndarray, palette: np.ndarray, num_classes: int) -> np.ndarray:
    """RGB image of ``label + instance * INSTANCE_OFFSET`` ids; void black, edges dark."""
    labels = ids % INSTANCE_OFFSET
    image = np.zeros(ids.shape + (3, ), dtype=np.float32)
    valid = labels < num_classes
    image[valid] = palette[labels[valid] % len(palette)]
    instances = ids // INSTANCE_OFFSET
    shade = 1.0 - 0.25 * ((instances * 7) % 4) / 3.0  # neighbouring instances differ
    image *= np.where(instances > 0, shade, 1.0)[..., None]
    edges = np.zeros(ids.shape, dtype=bool)
    edges[1:] |= ids[1:] != ids[:-1]
    edges[:, 1:] |= ids[:, 1:] != ids[:, :-1]
    image[edges] *= 0.3
    return image.clip(0, 255).astype(np.uint8)


def _styles(summary: pd.DataFrame) -> Dict[str, Dict[str, Any]]:
    colors = plt.get_cmap('tab10').colors
    return {name: dict(marker=MARKERS[i % len(MARKERS)], color=colors[i % 10])
            for i, name in enumerate(summary['name'])}


def _group_names(group: Dict[str, Any]) -> List[str]:
    runs = group['runs']
    return list(dict.fromkeys(runs.values() if isinstance(runs, dict) else runs))


def _group_point(summary: pd.DataFrame, group: Dict[str, Any], *, metric: str,
                 task: str) -> Optional[Tuple[float, float]]:
    names = _group_names(group)
    rows = [r for _, r in summary.iterrows() if r['name'] in names]
    hours = [r.get('device_hours') for r in rows]
    if len(rows) != len(names) or not all(_finite(h) for h in hours):
        return None
    runs = group['runs']
    source = runs.get(task) if isinstance(runs, dict) else answering_run(rows, task=task,
                                                                         metric=metric)
    value = next((r.get(metric) for r in rows if r['name'] == source), None)
    return (float(sum(hours)), float(value)) if _finite(value) else None


def _task(metric: str) -> str:
    return next(task for task, m in TASK_METRICS if m == metric)


def _std(run: pd.Series, metric: str, scale: float) -> Optional[float]:
    std = run.get(f'{metric}_std')
    return float(std) * scale if _finite(std) else None


def _legend_below(fig: Any, axes: Sequence[Any]) -> None:
    handles, labels = {}, []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in handles:
                handles[label] = handle
                labels.append(label)
    labels.sort(key=lambda label: label.endswith('(total)'))  # models first, sums last
    if labels:
        ncol = 2 if max(len(label) for label in labels) <= 26 else 1  # stay one column wide
        fig.legend([handles[k] for k in labels], labels, loc='lower center', ncol=ncol,
                   frameon=False, bbox_to_anchor=(0.5, 0.0))
        legend_in = 0.05 + 0.13 * math.ceil(len(labels) / ncol)  # 6 pt rows
        fig.tight_layout(rect=(0, legend_in / fig.get_figheight(), 1, 1))
    else:
        fig.tight_layout()


def _save(fig: Any, out_base: str, *, tight: bool = True) -> List[str]:
    os.makedirs(osp.dirname(osp.abspath(out_base)), exist_ok=True)
    paths = []
    for ext in ('png', 'pdf'):
        buf = io.BytesIO()  # rendered whole first, then written atomically
        fig.savefig(buf, format=ext, bbox_inches='tight' if tight else None)
        atomic_write_bytes(f'{out_base}.{ext}', buf.getvalue())
        paths.append(f'{out_base}.{ext}')
    plt.close(fig)
    return paths


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def write_figures(frame: pd.DataFrame, *, out_dir: str,
                  groups: Optional[Dict[str, Dict[str, Any]]] = None,
                  qualitative: Optional[Dict[str, Any]] = None) -> List[str]:
    """All figures of a suite into ``out_dir``; returns the paths.

    Args:
        frame: :func:`~unibench.reporting.records.collect` output.
        out_dir: Output folder.
        groups: Suite ablation groups (cost figure).
        qualitative: ``{'score_thr': 0.5}``; ``None`` skips the grids. A grid shows the runs
            whose work dir has a prediction dump for its task
            (:func:`~unibench.structures.prediction_dump`, written by
            :func:`unibench.benchmark.publish`).
    """
    from unibench.reporting.records import split_unfinished
    from unibench.reporting.tables import summarize

    frame, _ = split_unfinished(frame)
    if frame.empty:
        raise ValueError('no finished runs to draw')
    summary = summarize(frame)
    first = frame.drop_duplicates('name', keep='first').set_index('name')
    paths = cost_figure(summary, out_base=osp.join(out_dir, 'cost'), groups=groups)
    paths += bars_figure(summary, out_base=osp.join(out_dir, 'scores'))
    paths += curves_figure({first.loc[n, 'label']: first.loc[n, 'work_dir']
                            for n in summary['name']}, out_base=osp.join(out_dir, 'curves'))
    if qualitative is None:
        return paths
    for task, metric in TASK_METRICS:
        models = [dict(label=first.loc[name, 'label'],
                       predictions=prediction_dump(first.loc[name, 'work_dir'], task))
                  for name in summary['name'] if _finite(first.loc[name].get(metric))]
        models = [m for m in models if osp.isfile(m['predictions'])]
        if models:
            paths += qualitative_figure(models, task=task,
                                        score_thr=qualitative.get('score_thr', 0.5),
                                        out_base=osp.join(out_dir, f'qualitative_{task}'))
    return paths
