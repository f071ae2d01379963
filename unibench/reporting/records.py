"""Gathers run records (``record.json``) into one table: one row per run and seed.

Metrics keep the units the evaluators report (PQ and mIoU in percent, COCO AP as a fraction);
the tables rescale for display. A run's metrics come from its ``tools/test.py`` evaluations
(the latest one per task); a run that was never tested falls back to its last validation.
"""
import glob
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pandas as pd

from unibench.utils.io import atomic_write_text
from unibench.utils.records import RECORD_FILE, read_record

ID_COLUMNS = ('suite', 'name', 'label', 'run', 'seed', 'index')


def find_records(root: str) -> List[str]:
    """Work dirs under ``root`` (``root`` included) that hold a record, sorted."""
    pattern = osp.join(glob.escape(root), '**', RECORD_FILE)
    return sorted(osp.dirname(p) for p in glob.glob(pattern, recursive=True))


def collect(root: str, *, runs: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """Every record under ``root`` as one row (see :func:`flatten_record`), in suite order.

    Args:
        root: Folder searched recursively for ``record.json``.
        runs: Keep only these run ids (a suite's current runs; old work dirs are ignored).
    """
    rows = [flatten_record(read_record(work_dir), work_dir=work_dir)
            for work_dir in find_records(root)]
    frame = pd.DataFrame(rows)
    if runs is not None and not frame.empty:
        frame = frame[frame['run'].isin(list(runs))]
    if frame.empty:
        return frame
    return frame.sort_values(['index', 'name', 'seed'], kind='stable',
                             na_position='last').reset_index(drop=True)


def split_unfinished(frame: pd.DataFrame) -> Tuple[pd.DataFrame, List[str]]:
    """Rows fit for tables, and the run ids left out because their training did not finish.

    Records without a training section (a checkpoint evaluated by ``tools/test.py`` only) stay.
    """
    if frame.empty or 'status' not in frame:
        return frame, []
    unfinished = frame['status'].notna() & (frame['status'] != 'finished')
    return frame[~unfinished].reset_index(drop=True), list(frame.loc[unfinished, 'run'])


def write_csv(frame: pd.DataFrame, path: str) -> str:
    """Writes ``frame`` as CSV atomically (folders created); returns the path."""
    atomic_write_text(osp.abspath(path), frame.to_csv(index=False))
    return path


def flatten_record(record: Dict[str, Any], *, work_dir: str) -> Dict[str, Any]:
    """One flat row: identity, cost, size, ``<task>/<metric>`` and ``ms_per_img/<task>``."""
    suite = record.get('suite', {})
    ident = record.get('identity', {})
    train = record.get('train', {})
    size = record.get('size', {})
    flops = size.get('flops') or {}
    peak = train.get('peak_memory') or {}
    name = suite.get('name') or ident.get('config') or osp.basename(work_dir)
    row: Dict[str, Any] = dict(
        suite=suite.get('suite'), name=name, label=suite.get('label') or name,
        run=suite.get('run') or osp.basename(osp.normpath(work_dir)),
        seed=ident.get('seed', suite.get('seed')), index=suite.get('index'),
        config=ident.get('config'), family=ident.get('family'), model=ident.get('model'),
        backbone=ident.get('backbone'), dataset=(ident.get('dataset') or {}).get('type'),
        tasks_trained=_join(ident.get('tasks_trained')),
        status=train.get('status'), iterations=train.get('iterations'),
        batch_size=train.get('batch_size'), images_seen=train.get('images_seen'),
        wall_clock_s=train.get('wall_clock_s'), devices=train.get('devices'),
        device_hours=train.get('device_hours'), train_img_per_s=train.get('train_img_per_s'),
        # A composed run (unibench.benchmark.compose) counts the models its dependencies trained.
        trained_models=train.get('trained_models', 1) if train else None,
        data_time_share=train.get('data_time_share'), peak_memory_bytes=peak.get('bytes'),
        peak_memory_kind=peak.get('kind'), params_train=size.get('params_train'),
        params_inference=size.get('params_inference'), flops=flops.get('flops'),
        flops_input=_shape(flops.get('input_shape')), flops_reason=flops.get('reason'),
        checkpoint_bytes=(size.get('checkpoint') or {}).get('bytes'),
        device=((ident.get('device') or {}).get('name')), num_processes=ident.get('num_processes'),
        precision=ident.get('precision'), torch=(ident.get('versions') or {}).get('torch'),
        git_commit=(ident.get('git') or {}).get('commit'), work_dir=osp.abspath(work_dir))
    metrics, source = latest_metrics(record)
    row['metrics_source'] = source
    row.update(metrics)
    for task, speed in sorted((record.get('speed') or {}).items()):
        row[f'ms_per_img/{task}'] = speed.get('ms_per_img')
    return row


def latest_metrics(record: Dict[str, Any]) -> Tuple[Dict[str, Any], Optional[str]]:
    """``({'<task>/<metric>': value}, 'test' | 'val' | None)`` from a record's evaluations.

    Test evaluations win over validation; within a mode, the latest evaluation of each task.
    """
    evaluations = list((record.get('evaluations') or {}).values())
    for mode in ('test', 'val'):
        chosen = [e for e in evaluations if e.get('mode') == mode]
        if not chosen:
            continue
        per_task: Dict[str, Dict[str, Any]] = {}
        for entry in sorted(chosen, key=lambda e: e.get('evaluated_at') or ''):
            for task, result in (entry.get('results') or {}).items():
                per_task[task] = result.get('metrics') or {}
        return {f'{task}/{k}': v for task, m in per_task.items() for k, v in m.items()}, mode
    return {}, None


def _join(tasks: Optional[List[str]]) -> Optional[str]:
    return '+'.join(tasks) if tasks else None


def _shape(shape: Optional[List[int]]) -> Optional[str]:
    return 'x'.join(str(s) for s in shape) if shape else None
