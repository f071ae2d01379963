"""A dataset's own ground truth as a model's predictions: what every metric must score perfectly
(PQ 100, mask AP 1, mIoU 100), the dataset tests' check of loaders, pipelines and metrics."""
from typing import Dict, List

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData, PixelData

from unibench.datasets.convert import load_segment_ids, mask_bbox
from unibench.registry import EVALUATOR
from unibench.structures import INSTANCE_OFFSET


def gt_as_prediction(dataset, idx: int) -> DetDataSample:
    """Sample ``idx`` of a panoptic ``dataset`` with its ground truth, read from the annotation
    files at the image's own size, as the three predictions.

    Crowd things (mmdet's ``is_thing=False`` below the thing count) stay void in the panoptic map
    and are no instance, as the metrics ignore them; the semantic prediction is the sample's
    ``gt_sem_seg`` when the pipeline loads it, else the panoptic map's classes.
    """
    sample = dataset[idx]['data_samples']
    info = dataset.get_data_info(idx)
    num_things = len(dataset.metainfo['thing_classes'])
    void = len(dataset.metainfo['classes'])  # the panoptic metrics' VOID
    ids = load_segment_ids(info['seg_map_path'])
    pan = np.full(ids.shape, void, np.int64)
    masks, labels = [], []
    for k, seg in enumerate(info['segments_info']):
        region = ids == seg['id']
        if seg['category'] >= num_things:
            pan[region] = seg['category']
        elif seg['is_thing']:
            pan[region] = seg['category'] + (k + 1) * INSTANCE_OFFSET
            masks.append(region)
            labels.append(seg['category'])
    if 'gt_sem_seg' in sample:
        sem = sample.gt_sem_seg.sem_seg.clone()
    else:
        sem = torch.from_numpy(np.where(pan == void, 255, pan % INSTANCE_OFFSET))[None]
    boxes = [[x, y, x + w, y + h] for x, y, w, h in map(mask_bbox, masks)]
    sample.pred_panoptic_seg = PixelData(sem_seg=torch.from_numpy(pan)[None])
    sample.pred_sem_seg = PixelData(sem_seg=sem)
    sample.pred_instances = InstanceData(
        masks=torch.from_numpy(np.stack(masks)), labels=torch.tensor(labels),
        scores=torch.ones(len(labels)), bboxes=torch.tensor(boxes, dtype=torch.float32))
    return sample


def evaluate(evaluator_cfg: dict, dataset, samples: List[DetDataSample]) -> Dict[str, float]:
    """Every task metric of ``evaluator_cfg`` (a ``TaskEvaluator``) on ``samples``."""
    evaluator = EVALUATOR.build(evaluator_cfg)
    evaluator.dataset_meta = dataset.metainfo
    metrics = {}
    for task in evaluator.tasks:
        evaluator.task(task).process(samples)
        metrics.update(evaluator.task(task).evaluate(len(samples)))
    return metrics
