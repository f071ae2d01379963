"""The classic panoptic baseline: one semantic and one instance prediction combined into one map.

Kirillov et al., "Panoptic Segmentation", CVPR 2019, Sec. 7 (the heuristic that combines the
outputs of two specialised models), as panopticapi ``combine_semantic_and_instance_predictions.py``
and detectron2 ``combine_semantic_and_instance_outputs`` (Apache-2.0) implement it: instances in
decreasing score, each dropped when too much of it is already claimed and otherwise keeping its
unclaimed pixels; then each stuff class of the semantic map on the unclaimed pixels, if large
enough. Written anew for mmdet's output encoding.
"""
import torch
from torch import Tensor

from unibench.structures import INSTANCE_OFFSET

# detectron2 PanopticFPN defaults (combine_*): score 0.5, overlap 0.5, stuff area 4096 pixels at
# COCO test scale (short side 800); configs scale the area to their image size.
SCORE_THR = 0.5
OVERLAP_THR = 0.5
STUFF_AREA = 4096


def combine_semantic_and_instances(sem_seg: Tensor, masks: Tensor, labels: Tensor,
                                   scores: Tensor, *, num_things_classes: int,
                                   num_classes: int, score_thr: float = SCORE_THR,
                                   overlap_thr: float = OVERLAP_THR,
                                   stuff_area: float = STUFF_AREA) -> Tensor:
    """Panoptic map from a semantic map and scored instance masks.

    Args:
        sem_seg: ``(H, W)`` integer class map in the dataset's label order (things
            ``[0, num_things_classes)``, then stuff); other values (255) are ignored.
        masks: ``(N, H, W)`` instance masks (bool or 0/1).
        labels: ``(N,)`` thing labels of the instances.
        scores: ``(N,)`` instance scores.
        num_things_classes: Thing classes come first in the label order.
        num_classes: Things plus stuff; also the void value of the output.
        score_thr: Instances scoring below it are dropped (the sorted walk stops there).
        overlap_thr: An instance whose area already claimed by better instances exceeds this
            fraction of its own area is dropped.
        stuff_area: A stuff class keeps its unclaimed pixels only if there are at least this
            many.

    Returns:
        ``(H, W)`` int32 map in mmdet's encoding: ``label + k * INSTANCE_OFFSET`` for the
        ``k``-th kept instance (``k`` from 1), ``label`` for stuff, ``num_classes`` for void.
        Thing classes of the semantic map never become segments: only instances claim things.
    """
    if masks.shape[1:] != sem_seg.shape or not len(masks) == len(labels) == len(scores):
        raise ValueError(f'combine_semantic_and_instances: masks {tuple(masks.shape)}, labels '
                         f'{tuple(labels.shape)} and scores {tuple(scores.shape)} do not match '
                         f'the semantic map {tuple(sem_seg.shape)}')
    if len(labels) and int(labels.max()) >= num_things_classes:
        raise ValueError(f'combine_semantic_and_instances: instance label {int(labels.max())} is '
                         f'not a thing class (0..{num_things_classes - 1})')
    panoptic = torch.full(sem_seg.shape, num_classes, dtype=torch.int32, device=sem_seg.device)
    claimed = torch.zeros(sem_seg.shape, dtype=torch.bool, device=sem_seg.device)
    masks = masks.to(device=sem_seg.device, dtype=torch.bool)
    kept = 0
    for idx in torch.sort(scores, descending=True, stable=True).indices.tolist():
        if float(scores[idx]) < score_thr:
            break
        mask = masks[idx]
        area = int(mask.sum())
        if area == 0 or int((mask & claimed).sum()) / area > overlap_thr:
            continue
        mask = mask & ~claimed
        if not mask.any():  # nothing left to claim (overlap_thr >= 1): no empty segment id
            continue
        kept += 1
        panoptic[mask] = int(labels[idx]) + kept * INSTANCE_OFFSET
        claimed |= mask
    for label in torch.unique(sem_seg).tolist():
        if not num_things_classes <= label < num_classes:
            continue
        mask = (sem_seg == label) & ~claimed
        if int(mask.sum()) >= stuff_area:
            panoptic[mask] = label
    return panoptic
