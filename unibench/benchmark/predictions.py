"""Dumped predictions for the qualitative figures: the benchmark runs the models, the figures
(:func:`unibench.reporting.figures.qualitative_figure`) only read what is written here.

One ``.npz`` per run and task (:func:`~unibench.structures.prediction_dump`) holds for each
of the chosen test images: the RGB image, the ground truth and the prediction as id maps in mmdet's
encoding (``label + instance * INSTANCE_OFFSET``, void = ``num_classes``), and, for instance
predictions, the scores (so the figure chooses its score threshold), with the dataset's palette.
A dump is remade when its checkpoint is newer or it was made for other images.
"""
import copy
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from unibench.benchmark.speed import build_inference_model, load_samples, predict
from unibench.engine.checkpoint import last_checkpoint
from unibench.structures import INSTANCE_OFFSET, TASKS, prediction_dump
from unibench.utils.io import atomic_write


def dump_predictions(cfg: Config, *, checkpoint: Optional[str], task: str,
                     indices: Sequence[int], out: str) -> str:
    """Runs the inference model of ``cfg`` on test images ``indices`` for ``task``; writes
    ``out`` atomically and returns it."""
    if task not in TASKS:
        raise ValueError(f'dump_predictions: unknown task {task!r}; expected one of {TASKS}')
    samples = load_samples(cfg, indices=indices)
    truth = ground_truth(cfg, samples, task=task)
    model = build_inference_model(cfg, checkpoint=checkpoint)
    # The void value of the model's output; models without a fusion head (the specialists)
    # predict in the dataset's label space.
    fusion = getattr(model, 'panoptic_fusion_head', None)
    num_classes = getattr(fusion, 'num_classes', None) or truth['num_classes']
    arrays: Dict[str, Any] = dict(task=np.array(task), indices=np.asarray(indices, np.int64),
                                  checkpoint=np.array(checkpoint or ''),
                                  palette=truth['palette'], num_classes=np.array(num_classes),
                                  truth_void=np.array(truth['num_classes']))
    for k, sample in enumerate(samples):
        arrays[f'image_{k}'] = truth['images'][k]
        arrays[f'truth_{k}'] = truth['ids'][k]
        arrays.update({f'{key}_{k}': value for key, value in
                       prediction_ids(predict(model, sample, task=task), task=task,
                                      void=num_classes).items()})
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    atomic_write(out, lambda f: np.savez_compressed(f, **arrays))
    return out


def dump_qualitative(frame: Any, *, indices: Sequence[int]) -> List[str]:
    """The prediction dumps the qualitative grids read: for each finished run (first seed) and
    each task it has a test result for, its last checkpoint on test images ``indices``."""
    from unibench.reporting.records import split_unfinished
    from unibench.reporting.tables import TASK_METRICS

    finished, _ = split_unfinished(frame)
    dumps = []
    for _, run in finished.drop_duplicates('name', keep='first').iterrows():
        config = osp.join(run['work_dir'], f'{run["config"]}.py')
        checkpoint = last_checkpoint(run['work_dir'])
        if not (osp.isfile(config) and checkpoint):
            continue
        for task, metric in TASK_METRICS:
            value = run.get(metric)
            if isinstance(value, (int, float)) and value == value:
                print(f'qualitative predictions: {run["name"]} {task}', flush=True)
                dumps.append(ensure_dump(run['work_dir'], config=config, checkpoint=checkpoint,
                                         task=task, indices=indices))
    return dumps


def ensure_dump(work_dir: str, *, config: str, checkpoint: str, task: str,
                indices: Sequence[int]) -> str:
    """The run's dump for ``task`` and ``indices``, (re)made if missing or stale (an older
    checkpoint, other images)."""
    out = prediction_dump(work_dir, task)
    if osp.isfile(out) and osp.getmtime(out) >= osp.getmtime(checkpoint):
        with np.load(out) as data:
            if data['indices'].tolist() == list(indices) and str(data['checkpoint']) == checkpoint:
                return out
    return dump_predictions(Config.fromfile(config), checkpoint=checkpoint, task=task,
                            indices=indices, out=out)


def prediction_ids(sample: Any, *, task: str, void: int) -> Dict[str, np.ndarray]:
    """``ids`` of a predicted sample; for instances one id map per instance order plus scores:
    ``ids`` holds ``label + (rank + 1) * INSTANCE_OFFSET`` drawn best on top, ``scores`` the score
    of each pixel's drawn instance (0 elsewhere) so a threshold can be applied later."""
    if task == 'panoptic':
        return dict(ids=sample.pred_panoptic_seg.sem_seg[0].cpu().numpy().astype(np.int64))
    if task == 'semantic':
        return dict(ids=sample.pred_sem_seg.sem_seg[0].cpu().numpy().astype(np.int64))
    pred = sample.pred_instances
    masks = pred.masks.cpu().numpy().astype(bool)
    shape = masks.shape[1:] if len(masks) else tuple(sample.ori_shape[:2])
    ids = np.full(shape, void, dtype=np.int64)
    scores = np.zeros(shape, dtype=np.float32)
    values = pred.scores.cpu().numpy()
    for rank, k in enumerate(np.argsort(values, kind='stable')):  # the best drawn last, on top
        ids[masks[k]] = int(pred.labels[k]) + (rank + 1) * INSTANCE_OFFSET
        scores[masks[k]] = values[k]
    return dict(ids=ids, scores=scores)


def ground_truth(cfg: Config, samples: Sequence[Dict[str, Any]], *, task: str) -> Dict[str, Any]:
    """Palette, class count, RGB images and ground-truth id maps (from the panoptic PNGs)."""
    from mmcv import imread

    from unibench.datasets.convert import load_segment_ids
    from unibench.registry import DATASETS

    dataset = DATASETS.build(copy.deepcopy(cfg.test_dataloader.dataset))
    num_classes = len(dataset.metainfo['classes'])
    by_path = {osp.basename(dataset.get_data_info(i)['img_path']): dataset.get_data_info(i)
               for i in range(len(dataset))}
    images: List[np.ndarray] = []
    truths: List[np.ndarray] = []
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
        truths.append(panoptic)
    return dict(palette=np.array(dataset.metainfo['palette'], dtype=np.uint8),
                num_classes=num_classes, images=images, ids=truths)
