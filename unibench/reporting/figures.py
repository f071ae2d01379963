"""Paper figures (PNG + PDF, one column = 3.3 in wide) from collected records and work dirs.

* :func:`cost_figure`: PQ / AP / mIoU against training device-hours, one marker per model, plus
  the summed cost of multi-model protocols from the suite's ablation.
* :func:`bars_figure`: grouped bars of PQ / AP / mIoU per model.
* :func:`curves_figure`: training loss and validation metrics against iterations, read from
  mmengine's ``<work_dir>/<timestamp>/vis_data/scalars.json``.
* :func:`qualitative_figure`: image, ground truth and each model's prediction for one task.
"""
import glob
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

from unibench.engine.checkpoint import last_checkpoint  # noqa: E402
from unibench.reporting.tables import TASK_METRICS, answering_run  # noqa: E402

COLUMN_WIDTH = 3.3  # inches: one column of a two-column paper
METRICS = (('panoptic/PQ', 'PQ', 1.0), ('instance/segm_mAP', 'AP', 100.0),
           ('semantic/mIoU', 'mIoU', 1.0))
MARKERS = ('o', 's', '^', 'D', 'v', 'P', 'X', '*', 'h', '<')
INSTANCE_OFFSET = 1000  # mmdet's panoptic id encoding: label + instance * offset
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


def qualitative_figure(models: Sequence[Dict[str, Any]], *, task: str, indices: Sequence[int],
                       out_base: str, score_thr: float = 0.5) -> List[str]:
    """Image, ground truth and each model's ``task`` prediction on the same val images.

    Args:
        models: ``{'label', 'config', 'checkpoint'}`` per model (``config`` a path or Config;
            the work dir's dumped config carries the run's overrides).
        task: ``panoptic``, ``instance`` or ``semantic`` (set as ``metainfo['task']``).
        indices: Test-set images (rows).
        out_base: Output path without extension.
        score_thr: Instance predictions below this score are not drawn.
    """
    from mmengine.config import Config

    from unibench.reporting.speed import build_inference_model, load_samples, predict

    columns: List[Tuple[str, List[np.ndarray]]] = []
    images, truths, palette = None, None, None
    for spec in models:
        cfg = spec['config'] if isinstance(spec['config'], Config) else Config.fromfile(
            spec['config'])
        samples = load_samples(cfg, indices=indices)
        if images is None:
            palette, images, truths = _ground_truth(cfg, samples, task=task)
        model = build_inference_model(cfg, checkpoint=spec.get('checkpoint'))
        # The void value of the model's output; models without a fusion head (the specialists)
        # predict in the dataset's label space.
        fusion = getattr(model, 'panoptic_fusion_head', None)
        num_classes = getattr(fusion, 'num_classes', None) or len(palette)
        columns.append((spec['label'], [
            _paint_prediction(predict(model, s, task=task), task=task, palette=palette,
                              num_classes=num_classes, score_thr=score_thr) for s in samples]))
    columns = [('image', images or []), ('ground truth', truths or [])] + columns
    with plt.rc_context({**STYLE, 'axes.grid': False}):
        cell = COLUMN_WIDTH / len(columns)
        fig, axes = plt.subplots(len(indices), len(columns), squeeze=False)
        for col, (title, pictures) in enumerate(columns):
            for row, picture in enumerate(pictures):
                ax = axes[row, col]
                ax.imshow(picture, interpolation='nearest')
                ax.set_xticks([])
                ax.set_yticks([])
                if row == 0:
                    ax.set_title(textwrap.fill(title, 14), fontsize=5, pad=2)
        height = cell * len(indices) + 0.45
        fig.set_size_inches(COLUMN_WIDTH, height)
        fig.suptitle(f'{task} predictions', fontsize=7, y=1 - 0.03 / height, va='top')
        fig.subplots_adjust(wspace=0.03, hspace=0.03, left=0.01, right=0.99, bottom=0.01,
                            top=1 - 0.45 / height)
        return _save(fig, out_base, tight=False)


# ---- helpers ----------------------------------------------------------------------------------
def _ground_truth(cfg: Any, samples: Sequence[Dict[str, Any]], *,
                  task: str) -> Tuple[np.ndarray, List[np.ndarray], List[np.ndarray]]:
    """Palette, RGB images and painted ground truth (from the panoptic PNGs) of ``samples``."""
    from mmcv import imread

    from unibench.datasets.convert import load_segment_ids
    from unibench.registry import DATASETS

    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    palette = np.array(dataset.metainfo['palette'], dtype=np.uint8)
    num_classes = len(dataset.metainfo['classes'])
    by_path = {osp.basename(dataset.get_data_info(i)['img_path']): dataset.get_data_info(i)
               for i in range(len(dataset))}
    images, truths = [], []
    for sample in samples:
        info = by_path[osp.basename(sample['data_samples'].img_path)]
        images.append(imread(info['img_path'], channel_order='rgb'))
        ids = load_segment_ids(info['seg_map_path'])
        panoptic = np.full(ids.shape, num_classes, dtype=np.int64)
        for k, segment in enumerate(info['segments_info']):
            if task == 'instance' and not segment['is_thing']:
                continue
            instance = (k + 1) if segment['is_thing'] and task != 'semantic' else 0
            panoptic[ids == segment['id']] = segment['category'] + instance * INSTANCE_OFFSET
        truths.append(_paint_ids(panoptic, palette, num_classes))
    return palette, images, truths


def _paint_prediction(sample: Any, *, task: str, palette: np.ndarray, num_classes: int,
                      score_thr: float) -> np.ndarray:
    if task == 'panoptic':
        ids = sample.pred_panoptic_seg.sem_seg[0].cpu().numpy().astype(np.int64)
    elif task == 'semantic':
        ids = sample.pred_sem_seg.sem_seg[0].cpu().numpy().astype(np.int64)
    else:
        pred = sample.pred_instances
        masks = pred.masks.cpu().numpy().astype(bool)
        ids = np.full(masks.shape[1:] if len(masks) else sample.ori_shape[:2], num_classes,
                      dtype=np.int64)
        order = np.argsort(pred.scores.cpu().numpy())  # draw the best on top
        for rank, k in enumerate(order):
            if float(pred.scores[k]) >= score_thr:
                ids[masks[k]] = int(pred.labels[k]) + (rank + 1) * INSTANCE_OFFSET
    return _paint_ids(ids, palette, num_classes)


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
        fig.savefig(f'{out_base}.{ext}', bbox_inches='tight' if tight else None)
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
        qualitative: ``{'indices': [...], 'score_thr': 0.5}``; ``None`` skips the grids.
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
        models = []
        for name in summary['name']:
            run = first.loc[name]
            config = osp.join(run['work_dir'], f'{run["config"]}.py')
            checkpoint = last_checkpoint(run['work_dir'])
            if _finite(run.get(metric)) and osp.isfile(config) and checkpoint:
                models.append(dict(label=run['label'], config=config, checkpoint=checkpoint))
        if models:
            paths += qualitative_figure(
                models, task=task, indices=qualitative.get('indices', (0, 1, 2)),
                score_thr=qualitative.get('score_thr', 0.5),
                out_base=osp.join(out_dir, f'qualitative_{task}'))
    return paths
