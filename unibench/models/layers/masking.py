"""Block-wise patch masking of BEiT (microsoft/unilm beit/masking_generator.py, MIT), which
Painter's training uses on the target canvas (``--num_mask_patches 784
--max_mask_patches_per_block 392``, min 16 per block; Painter/train_painter_vit_large.sh)."""
import math
from typing import Tuple

import numpy as np


def block_mask(shape: Tuple[int, int], num_masked: int, *, min_block: int = 16,
               max_block: int = None, min_aspect: float = 0.3,
               rng: np.random.RandomState = np.random) -> np.ndarray:
    """Masks about ``num_masked`` patches of an ``(h, w)`` grid with random rectangles.

    Each rectangle has a random area in ``[min_block, max_block]`` patches (capped by what is
    still to be masked) and a log-uniform aspect ratio in ``[min_aspect, 1 / min_aspect]``; a
    rectangle must add new patches without exceeding its budget, ten attempts each, and masking
    stops once the count is reached or no rectangle fits (BEiT ``MaskingGenerator``).

    Returns:
        ``(h, w)`` bool, True = masked.
    """
    height, width = shape
    max_block = num_masked if max_block is None else max_block
    log_aspect = (math.log(min_aspect), math.log(1 / min_aspect))
    mask = np.zeros(shape, dtype=bool)
    count = 0
    while count < num_masked:
        budget = min(num_masked - count, max_block)
        delta = 0
        for _ in range(10):
            area = rng.uniform(min_block, budget)
            aspect = math.exp(rng.uniform(*log_aspect))
            h = int(round(math.sqrt(area * aspect)))
            w = int(round(math.sqrt(area / aspect)))
            if w < width and h < height:
                top, left = rng.randint(0, height - h + 1), rng.randint(0, width - w + 1)
                region = mask[top:top + h, left:left + w]
                new = h * w - int(region.sum())
                if 0 < new <= budget:
                    region[...] = True
                    delta = new
                    break
        if delta == 0:
            break
        count += delta
    return mask
