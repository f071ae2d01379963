"""Decoding of painted outputs into each task's prediction (semantic, instance, panoptic).

Follows Painter's evaluators (baaivision/Painter, commit 17518d2c, MIT):

* semantic: nearest class-palette colour per pixel, L1 distance (``ADE20kSemSegEvaluatorCustom``,
  ``dist_type='abs'``); every pixel gets a class.
* instance (class-agnostic, location colours): for each location colour, the pixels whose mean
  absolute channel distance to it is below ``dist_thr`` form one instance
  (``COCOCAInstSegEvaluatorCustom.post_process_segm_output_by_threshold``, ``--dist_thr 19`` in
  eval/coco_panoptic/eval.sh); pixels further than ``dist_thr`` from every location colour
  (in particular the black background) belong to no instance. Score = ``1 - d / max(d_max, 1)``
  with ``d`` the instance's mean distance, over the ``max_candidates`` (2000) candidates of
  smallest ``d`` (Painter's ``topk`` before NMS). A noisy pixel can lie within ``dist_thr`` of two
  neighbouring colours, so masks may overlap; as Painter, class-agnostic matrix NMS (mmdet's
  ``mask_matrix_nms``, Gaussian, sigma 2) decays the scores of overlapping masks and the best
  ``max_per_image`` are kept. The class is voted by the semantic painting:
  ``argmax_k sum_pixels (1 - dist_k / max dist)`` over thing classes
  (``COCOInstSegEvaluatorCustom.merge_inst_semseg_result_to_instseg``).
* panoptic: instances in score order claim their pixels (dropped when more than
  ``overlap_thr`` of the mask is already taken), then stuff classes of the semantic map fill
  the free pixels (regions smaller than ``stuff_min_area`` dropped): detectron2's
  ``combine_semantic_and_instance_outputs``, the standard semantic + instance heuristic.
  The ids follow mmdet (``label + instance_id * INSTANCE_OFFSET``, void = ``num_classes``).

Paintings are in 0-255 RGB.
"""
from typing import Tuple

import torch
from mmdet.models.layers import mask_matrix_nms
from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from unibench.models.postprocess.combine_panoptic import combine_semantic_and_instances

_COLOR_CHUNK = 256  # location colours compared at once (memory: chunk x H x W floats)


def color_distance(painting: Tensor, colors: Tensor) -> Tensor:
    """Mean absolute channel difference ``(K, H, W)`` between ``(3, H, W)`` and ``(K, 3)``."""
    return (painting[None] - colors[:, :, None, None].to(painting)).abs().mean(dim=1)


def decode_semantic(painting: Tensor, palette: Tensor,
                    dist_type: str = 'abs') -> Tuple[PixelData, Tensor]:
    """Nearest palette colour per pixel.

    Args:
        painting: ``(3, H, W)`` RGB in [0, 255].
        palette: ``(K, 3)`` class colours.
        dist_type: Painter's ``--dist_type`` (COCOPanoSemSegEvaluatorCustom): ``'abs'`` (mean
            absolute channel difference, Painter's default and unibench's) or ``'square'``
            (mean squared difference; the argmin of HF ``post_process_semantic_segmentation``).

    Returns:
        ``PixelData(sem_seg=(1, H, W) int64)`` and the distances ``(K, H, W)``.
    """
    if dist_type == 'abs':
        dist = color_distance(painting, palette)
    elif dist_type == 'square':
        dist = (painting[None] - palette[:, :, None, None].to(painting)).pow(2).mean(dim=1)
    else:
        raise ValueError(f"decode_semantic: dist_type must be 'abs' or 'square', got "
                         f'{dist_type!r}')
    return PixelData(sem_seg=dist.argmin(dim=0)[None]), dist


def decode_instances(painting: Tensor, location_palette: Tensor, sem_dist: Tensor, *,
                     num_things_classes: int, dist_thr: float = 19.0, min_area: int = 1,
                     max_candidates: int = 2000, max_per_image: int = 100) -> InstanceData:
    """Class-aware instances from a location-coloured painting and the semantic distances.

    Args:
        painting: ``(3, H, W)`` instance painting, RGB in [0, 255].
        location_palette: ``(M, 3)`` location colours.
        sem_dist: ``(K, H, W)`` distances of the semantic painting to the class palette.
        num_things_classes: Instances are labelled among the first (thing) classes.
        dist_thr: Largest mean channel distance (0-255 scale) of an instance pixel to its
            colour: the background threshold.
        min_area: Instances with fewer pixels are dropped.
        max_candidates: Candidates with the smallest mean distance kept before NMS; the scores
            are normalised over them (Painter's ``topk = 2000``,
            ``COCOCAInstSegEvaluatorCustom.post_process_segm_output_by_threshold``).
        max_per_image: Highest-scoring instances kept.

    Returns:
        ``InstanceData`` with ``masks (N, H, W) bool``, ``labels``, ``scores``, ``bboxes``;
        without any instance, one empty mask with score 0 (as Painter's evaluator, so that an
        image, or a whole dataset, without detections scores AP 0 instead of no AP).
    """
    masks, mean_dist = [], []
    for start in range(0, len(location_palette), _COLOR_CHUNK):
        dist = color_distance(painting, location_palette[start:start + _COLOR_CHUNK])
        m = dist < dist_thr
        area = m.sum(dim=(1, 2))
        keep = area >= max(min_area, 1)
        masks.append(m[keep])
        mean_dist.append((dist * m)[keep].sum(dim=(1, 2)) / area[keep])
    masks, mean_dist = torch.cat(masks), torch.cat(mean_dist)
    if len(mean_dist) > max_candidates:  # Painter: sort by mean distance, keep the top k
        order = mean_dist.argsort()[:max_candidates]
        masks, mean_dist = masks[order], mean_dist[order]
    scores = 1 - mean_dist / mean_dist.max().clamp(min=1.0) if len(masks) else mean_dist
    scores, _, masks, _ = mask_matrix_nms(masks, torch.zeros_like(scores, dtype=torch.long),
                                          scores, kernel='gaussian', sigma=2.0,
                                          max_num=max_per_image)
    if not len(masks):  # Painter's evaluator: one empty, zero-score instance (AP counts it)
        masks = torch.zeros((1, *painting.shape[-2:]), dtype=torch.bool, device=painting.device)
        scores = painting.new_zeros(1)
    thing_dist = sem_dist[:num_things_classes]
    prob = 1 - thing_dist / thing_dist.max().clamp(min=1e-6)
    labels = torch.einsum('nhw,khw->nk', masks.to(prob), prob).argmax(dim=1)
    return InstanceData(masks=masks, labels=labels, scores=scores, bboxes=mask2bbox(masks))


def merge_panoptic(sem_seg: Tensor, instances: InstanceData, *, num_things_classes: int,
                   num_classes: int, score_thr: float = 0.0, overlap_thr: float = 0.5,
                   stuff_min_area: int = 64) -> PixelData:
    """Panoptic map from an instance and a semantic prediction of one image: the standard
    heuristic, :func:`~unibench.models.postprocess.combine_panoptic.combine_semantic_and_instances`.

    Args:
        sem_seg: ``(H, W)`` class map.
        instances: Thing instances (masks, labels, scores).
        num_things_classes: Labels below it are things (taken from instances only).
        num_classes: Void id.
        score_thr: Instances scoring lower are left out (scores are relative within an image:
            the worst instance of an image scores about 0, so the default keeps all).
        overlap_thr: An instance whose pixels are already taken beyond this fraction is dropped.
        stuff_min_area: Smallest stuff region kept (pixels).

    Returns:
        ``PixelData(sem_seg=(1, H, W) int32)``, ids ``label + instance_id * INSTANCE_OFFSET``.
    """
    pan = combine_semantic_and_instances(
        sem_seg, instances.masks, instances.labels, instances.scores,
        num_things_classes=num_things_classes, num_classes=num_classes, score_thr=score_thr,
        overlap_thr=overlap_thr, stuff_area=stuff_min_area)
    return PixelData(sem_seg=pan[None])
