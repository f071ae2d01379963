"""Importance sampling of the mask losses' points (PointRend's, as Mask2Former trains with it).

:func:`uncertain_point_coords` is mmdet's ``get_uncertain_point_coords_with_randomness`` with
``labels=None`` (detectron2's ``get_uncertain_point_coords_with_randomness`` with
``calculate_uncertainty``, which the official Mask2Former and OneFormer criteria call): the same
two ``torch.rand`` draws in the same order, so the same points for the same seed. It selects them
faster on the CPU, where this step cost more than the rest of the loss (128² crops, batch 8, 4,096
points, 364 matched masks: 148 ms against 74 ms, ``tools/analysis_tools/point_sampling_bench.py``):

* The ``k`` most uncertain candidates (largest ``-|logit|``) are the ``k`` smallest ``|logit|``,
  selected on the float's bits read as ``int32`` (for non-negative floats the integer order is
  the float order; aten's integer top-k is faster) and unsorted: the losses sum over the points,
  so their order within a mask does not change them (mmdet returns them by decreasing
  uncertainty).
* The chosen ``(x, y)`` pairs are gathered as one 64-bit word each instead of through a flat
  advanced index.

``tests/models/test_point_sampling.py`` checks the point sets against mmdet's for the same seed.
"""
import torch
from mmcv.ops import point_sample
from torch import Tensor


def uncertain_point_coords(mask_logits: Tensor, *, num_points: int, oversample_ratio: float,
                           importance_sample_ratio: float) -> Tensor:
    """Points where each mask's logit is least certain, plus uniform ones.

    Draws ``int(num_points * oversample_ratio)`` uniform candidates per mask, keeps the
    ``int(importance_sample_ratio * num_points)`` whose bilinearly sampled logit is closest to 0,
    and appends ``num_points`` minus that many fresh uniform points.

    Args:
        mask_logits: ``(N, 1, h, w)`` mask logits (no gradient is taken through the selection).
        num_points: ``P`` points per mask.
        oversample_ratio: Candidates per point (``>= 1``).
        importance_sample_ratio: Share of the points taken by uncertainty (``[0, 1]``).

    Returns:
        ``(N, P, 2)`` coordinates in ``[0, 1]``, ``(x, y)`` as ``point_sample`` reads them: the
        importance-sampled ones first (in no particular order), then the uniform ones.

    Raises:
        ValueError: ``oversample_ratio`` below 1 or ``importance_sample_ratio`` outside
            ``[0, 1]``.
    """
    if oversample_ratio < 1:
        raise ValueError(f'oversample_ratio must be >= 1, got {oversample_ratio}')
    if not 0 <= importance_sample_ratio <= 1:
        raise ValueError('importance_sample_ratio must be in [0, 1], got '
                         f'{importance_sample_ratio}')
    num_masks = mask_logits.shape[0]
    num_sampled = int(num_points * oversample_ratio)
    num_uncertain = int(importance_sample_ratio * num_points)
    candidates = torch.rand(num_masks, num_sampled, 2, device=mask_logits.device)
    with torch.no_grad():
        certainty = point_sample(mask_logits.detach(), candidates, align_corners=False)[:, 0]
        certainty = certainty.abs_().float().contiguous()
        chosen = certainty.view(torch.int32).topk(num_uncertain, dim=1, largest=False,
                                                  sorted=False).indices
    if candidates.dtype == torch.float32:  # (x, y) as one int64 word: a gather of N x k words
        coords = candidates.view(torch.int64).squeeze(-1).gather(1, chosen)
        coords = coords.unsqueeze(-1).view(torch.float32)
    else:
        coords = candidates.gather(1, chosen[..., None].expand(-1, -1, 2))
    num_random = num_points - num_uncertain
    if num_random > 0:
        randoms = torch.rand(num_masks, num_random, 2, device=mask_logits.device)
        coords = torch.cat([coords, randoms], dim=1)
    return coords
