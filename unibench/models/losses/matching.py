"""Hungarian matching of every output and image of a batch at once.

The costs are mmdet's ``ClassificationCost``, ``CrossEntropyLossCost`` and ``DiceCost`` (their
configured weights and settings, read from the built ``HungarianAssigner``), computed for all
``L`` outputs and ``B`` images in one batched pass instead of ``L * B`` calls of the assigner; the
assignment itself stays scipy's ``linear_sum_assignment`` per output and image, on the CPU, as in
mmdet and the official code. ``tests/models/test_matching.py`` checks each cost and the
assignment against mmdet's assigner.
"""
from typing import List, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.task_modules.assigners import ClassificationCost, CrossEntropyLossCost, DiceCost
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def batched_cost(match_cost, cls_logits: Tensor, gt_labels: Tensor, pred_points: Tensor,
                 gt_points: Tensor) -> Tensor:
    """One mmdet match cost for all outputs and images.

    Args:
        match_cost: A built mmdet ``ClassificationCost``, ``CrossEntropyLossCost`` (sigmoid) or
            ``DiceCost``.
        cls_logits: ``(L, B, Q, K + 1)`` class logits.
        gt_labels: ``(B, M)`` target labels, padded to the batch's largest ``M``.
        pred_points: ``(L, B, Q, P)`` mask logits at each image's matching points.
        gt_points: ``(L, B, M, P)`` target masks at the same points (padding rows are zero).

    Returns:
        ``(L, B, Q, M)`` weighted costs; padded columns hold finite values to be sliced off.
    """
    if isinstance(match_cost, ClassificationCost):
        prob = cls_logits.softmax(-1)
        index = gt_labels[None, :, None, :].expand(*prob.shape[:3], -1)
        cost = -prob.gather(-1, index)
    elif isinstance(match_cost, CrossEntropyLossCost) and match_cost.use_sigmoid:
        # BCE(x, 1) t + BCE(x, 0) (1 - t) summed over points = sum softplus(x) - x . t
        cost = (F.softplus(pred_points).sum(-1, keepdim=True) -
                pred_points @ gt_points.transpose(-1, -2)) / pred_points.shape[-1]
    elif isinstance(match_cost, DiceCost):
        pred = pred_points.sigmoid() if match_cost.pred_act else pred_points
        numerator = 2 * pred @ gt_points.transpose(-1, -2)
        if match_cost.naive_dice:
            denominator = pred.sum(-1)[..., None] + gt_points.sum(-1)[..., None, :]
        else:
            denominator = pred.pow(2).sum(-1)[..., None] + gt_points.pow(2).sum(-1)[..., None, :]
        cost = 1 - (numerator + match_cost.eps) / (denominator + match_cost.eps)
    else:
        raise TypeError(f'SetCriterion has no batched form of the match cost '
                        f'{type(match_cost).__name__}; supported: ClassificationCost, '
                        'CrossEntropyLossCost(use_sigmoid=True), DiceCost')
    return cost * match_cost.weight


def hungarian(cost: Tensor, counts: List[int]) -> List[List[Tuple[Tensor, Tensor]]]:
    """Minimum-cost assignment of each output and image.

    Args:
        cost: ``(L, B, Q, M_max)`` total costs (moved to the CPU once).
        counts: ``M_b``, the targets of each image (its valid columns).

    Returns:
        Per output, per image: matched query indices (ascending) and their target indices,
        ``(min(Q, M_b),)`` int64 CPU tensors.

    Raises:
        FloatingPointError: a cost is NaN or infinite (non-finite predictions), naming where.
    """
    cost = cost.detach().float().cpu()
    bad = ~torch.isfinite(cost)
    for b, m in enumerate(counts):
        bad[:, b, :, m:] = False
    if bad.any():
        layer, image = bad.nonzero()[0, :2].tolist()
        raise FloatingPointError(f'Hungarian matching: the cost matrix of output {layer}, image '
                                 f'{image} is not finite (NaN or inf predictions)')
    matches = []
    for per_layer in cost.numpy():
        row = []
        for b, m in enumerate(counts):
            rows, cols = linear_sum_assignment(per_layer[b, :, :m])
            row.append((torch.from_numpy(rows).long(), torch.from_numpy(cols).long()))
        matches.append(row)
    return matches
