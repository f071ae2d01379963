"""mmdet's importance sampling of the loss points against unibench's, and their parts.

usage: python tools/analysis_tools/point_sampling_bench.py NUM_MASKS SIDE NUM_POINTS

Times (median of 5 after 1) mmdet's ``get_uncertain_point_coords_with_randomness`` and
:func:`unibench.models.losses.point_sampling.uncertain_point_coords` on ``(N, 1, SIDE, SIDE)``
logits with the official ratios (oversample 3, importance 0.75), and the top-k variants.
"""
import sys
import time

import torch
from mmcv.ops import point_sample
from mmdet.models.utils import get_uncertain_point_coords_with_randomness

from unibench.models.losses.point_sampling import uncertain_point_coords


def ms(fn, n: int = 5) -> float:
    fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[n // 2] * 1e3


def main() -> None:
    masks, side, points = (int(a) for a in sys.argv[1:4])
    torch.manual_seed(0)
    logits = torch.randn(masks, 1, side, side)
    candidates = torch.rand(masks, 3 * points, 2)
    k = int(0.75 * points)
    certainty = point_sample(logits, candidates, align_corners=False)[:, 0].abs()
    rows = {
        'mmdet, whole': lambda: get_uncertain_point_coords_with_randomness(
            logits, None, points, 3.0, 0.75),
        'unibench, whole': lambda: uncertain_point_coords(
            logits, num_points=points, oversample_ratio=3.0, importance_sample_ratio=0.75),
        'torch.rand of the candidates': lambda: torch.rand(masks, 3 * points, 2),
        'point_sample of the candidates': lambda: point_sample(logits, candidates,
                                                               align_corners=False),
        'topk sorted (mmdet)': lambda: (-certainty).topk(k, dim=1),
        'topk unsorted': lambda: (-certainty).topk(k, dim=1, sorted=False),
        'kthvalue': lambda: certainty.kthvalue(k, dim=1),
        'topk unsorted, int32 bits (unibench)': lambda: certainty.view(torch.int32).topk(
            k, dim=1, largest=False, sorted=False),
    }
    print(f'{masks} masks, {side}^2, {points} points, threads {torch.get_num_threads()}')
    for name, fn in rows.items():
        print(f'{name:40s} {ms(fn):8.1f} ms')


if __name__ == '__main__':
    main()
