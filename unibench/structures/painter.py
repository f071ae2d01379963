"""Colour encodings of segmentation targets for the in-context painter (SegGPT / Painter).

* class palette: Painter's "mean separation" palette (baaivision/Painter
  Painter/data/ade20k/gen_color_ade20k_sem.py ``define_colors_per_location_mean_sep``, and
  data/coco_semseg/gen_color_coco_panoptic_segm.py ``define_colors_by_mean_sep``; MIT);
* location palette: Painter's class-agnostic instance colours, one colour per cell of a grid
  over the image, an instance taking the colour of the cell holding its mass centre
  (Painter/data/mmdet_custom/data/pipelines/transforms.py ``define_colors_per_location_r_gb``
  and ``SaveDataPairCustom``);
* random colours: SegGPT's random colouring (each sample maps its classes or instances to fresh
  random colours, SegGPT §3.1).

Black ``(0, 0, 0)`` is never a palette colour: it marks pixels without a segment (void for
semantic targets, background for instance targets), as in Painter.
"""
from typing import Optional, Sequence, Tuple

import numpy as np

BLACK = (0, 0, 0)


# Painter's palette scripts: gen_color_ade20k_sem.py computes the base from the class count,
# gen_color_coco_panoptic_segm.py fixes ``channelsep = 7`` for COCO panoptic's 133 classes
# (the formula would give 6: only 1 of the 133 colours agrees).
PAINTER_PALETTE_BASES = {133: 7}


def palette_base(num_classes: int) -> int:
    """Digits per channel of Painter's class palette for ``num_classes`` classes: 7 for COCO
    panoptic's 133 (gen_color_coco_panoptic_segm.py), else ``int(K ** (1 / 3)) + 1``
    (gen_color_ade20k_sem.py; HF ``build_palette`` uses this formula for every K)."""
    return PAINTER_PALETTE_BASES.get(num_classes, int(num_classes**(1 / 3)) + 1)


def semantic_palette(num_classes: int, base: Optional[int] = None) -> np.ndarray:
    """``(K, 3)`` uint8 class colours: ``255 - (r, g, b) * (256 // base)`` for the base-``base``
    digits ``(r, g, b)`` of the class index; ``base`` defaults to :func:`palette_base` (Painter's
    choice for ``K`` classes)."""
    base = base or palette_base(num_classes)
    if base**3 < num_classes:
        raise ValueError(f'semantic palette: base {base} gives {base**3} < {num_classes} colours')
    step = 256 // base
    idx = np.arange(num_classes)
    digits = np.stack([idx // base**2, (idx % base**2) // base, idx % base], axis=1)
    return (255 - digits * step).astype(np.uint8)


def location_palette(global_cells: int, local_cells: int) -> np.ndarray:
    """``(n * n, 3)`` uint8 colours of an ``n x n`` grid (``n = global_cells * local_cells``),
    row-major (index ``y * n + x``).

    The grid is ``global_cells x global_cells`` blocks of ``local_cells x local_cells`` cells;
    red encodes the block, green the row and blue the column inside it. Painter uses 4 x 20
    (an 80 x 80 grid) on COCO.
    """
    sep_r = 255 // global_cells**2
    sep_gb = 256 // local_cells + 1  # official: +1 for a bigger separation in G and B
    n = global_cells * local_cells
    y, x = np.divmod(np.arange(n * n), n)
    red = 255 - ((y // local_cells) * global_cells + x // local_cells) * sep_r
    green = 255 - (y % local_cells) * sep_gb
    blue = 255 - (x % local_cells) * sep_gb
    colors = np.stack([red, green, blue], axis=1)
    if colors.min() < 0 or len(np.unique(colors, axis=0)) != n * n:
        raise ValueError(f'location palette {global_cells} x {local_cells} does not fit in RGB')
    return colors.astype(np.uint8)


def location_colors(masks: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Colour of each instance: the palette cell holding its mass centre.

    Args:
        masks: ``(N, H, W)`` bool instance masks.
        palette: ``(n * n, 3)`` from :func:`location_palette`.

    Returns:
        ``(N, 3)`` uint8. Cell index ``int(centre / size * (n - 1))`` per axis, as the official
        ``SaveDataPairCustom`` (``* 79`` for n = 80).
    """
    n = int(round(np.sqrt(len(palette))))
    if len(masks) == 0:
        return np.zeros((0, 3), np.uint8)
    _, h, w = masks.shape
    area = masks.sum(axis=(1, 2)).clip(min=1e-6)
    cy = (masks * np.arange(h)[None, :, None]).sum(axis=(1, 2)) / area
    cx = (masks * np.arange(w)[None, None, :]).sum(axis=(1, 2)) / area
    ix = (cx / w * (n - 1)).astype(np.int64)
    iy = (cy / h * (n - 1)).astype(np.int64)
    return palette[iy * n + ix]


def random_colors(num: int, rng: np.random.Generator, *, min_dist: int = 48,
                  avoid: Sequence[Tuple[int, int, int]] = (BLACK, )) -> np.ndarray:
    """``(num, 3)`` uint8 random colours, pairwise (and to ``avoid``) at least ``min_dist``
    apart in L1 / 3 (mean absolute channel difference), so a decoder can tell them apart.

    Rejection sampling; ``min_dist`` is lowered when the draws keep colliding.
    """
    chosen = [np.asarray(c, np.int64) for c in avoid]
    out = []
    tries = 0
    while len(out) < num:
        c = rng.integers(0, 256, size=3)
        if all(np.abs(c - o).mean() >= min_dist for o in chosen):
            chosen.append(c)
            out.append(c)
        tries += 1
        if tries > 200:  # many colours: accept closer ones rather than loop forever
            min_dist, tries = min_dist // 2, 0
    return np.asarray(out, np.int64).reshape(num, 3).astype(np.uint8)


def paint(label_map: np.ndarray, colors: dict) -> np.ndarray:
    """``(H, W, 3)`` uint8 picture of ``label_map``; labels missing from ``colors`` are black.

    Args:
        label_map: ``(H, W)`` integer map.
        colors: label -> RGB triple.
    """
    out = np.zeros((*label_map.shape, 3), np.uint8)
    for label, color in colors.items():
        out[label_map == label] = color
    return out


def instance_map(masks: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    """``(H, W)`` int64 map: index of the instance covering each pixel, -1 elsewhere (later
    masks win where masks overlap, which panoptic annotations do not)."""
    out = np.full(shape, -1, np.int64)
    for i, m in enumerate(masks):
        out[m.astype(bool)] = i
    return out
