"""How one ``unibench-shapes`` image is drawn (:func:`render_sample`); writing datasets of them is
:mod:`unibench.datasets.synthetic`'s.

Each image splits the background into 2-4 irregular stuff regions (noisy Voronoi cells) filled
with a two-colour texture whose pattern is the stuff class, then draws 2-6 occluding things whose
outline is the thing class (:class:`ShapesPreset` sets the counts and sizes). Colours are
independent of the class.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from .convert import mask_bbox

THING_CLASSES = ('circle', 'square', 'triangle', 'star', 'cross', 'ring', 'hexagon')
STUFF_CLASSES = ('stripes', 'checker', 'dots', 'noise', 'ripples')

THING_FILLS = {'circle': 'flat', 'square': 'ramp', 'triangle': 'radial', 'star': 'core',
               'cross': 'split', 'ring': 'speckle', 'hexagon': 'dot'}
"""The fill of each thing class under ``ShapesPreset.thing_fills`` (two random colours each):
``flat`` one colour; ``ramp`` a linear shade (the other presets shade one colour); ``radial``
light centre to dark rim; ``core`` the outline again at 55% of the size in the second colour;
``split`` two halves along a random line through the centre; ``speckle`` each pixel one of the two
colours; ``dot`` a disc of 0.4 of the size at the centre. None of them is a stuff texture."""

MIN_SEGMENT_AREA = 20
"""Segments with fewer visible pixels become void (0) in the panoptic map."""

_SUPERSAMPLE = 4
_MAX_TRIES = 20


@dataclass(frozen=True)
class ShapesPreset:
    """What an image holds; sizes are fractions of the image side. Ranges are inclusive.

    The ``default`` preset is the dataset as it has always been generated (the same bytes for a
    seed); ``demo`` draws fewer, larger things and coarser textures, so that a small CPU budget
    at 64 x 64 learns the classes (outline and texture), not only the masks. Colours stay
    independent of the class in every preset.
    """

    stuff_regions: tuple[int, int] = (2, 4)
    things: tuple[int, int] = (2, 6)
    thing_scale: tuple[float, float] = (0.08, 0.2)
    texture_period: tuple[float, float] = (0.04, 0.09)
    min_texture_period: float = 4.0
    thing_fills: bool = False
    """Fill each thing class with a pattern of its own (:data:`THING_FILLS`) instead of the one
    shading every class shares: at 64 x 64 a thing is a few cells of the decoder's finest memory,
    too coarse for the outline alone to tell a hexagon from a circle; its fill is visible at any
    scale. Colours stay random."""


PRESETS = {'default': ShapesPreset(),
           'demo': ShapesPreset(stuff_regions=(2, 3), things=(1, 3), thing_scale=(0.18, 0.3),
                                texture_period=(0.08, 0.14), min_texture_period=5.0,
                                thing_fills=True)}
"""Named presets (``tools/make_synthetic.py --preset``)."""


def render_sample(rng: np.random.Generator, size: int, preset: ShapesPreset = PRESETS['default']
                  ) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Render one image with its panoptic annotation.

    Args:
        rng: Source of randomness; the result is a pure function of its state.
        size: Image side in pixels.
        preset: What the image holds (:class:`ShapesPreset`).

    Returns:
        ``(image, segment_ids, segments_info)``: uint8 (size, size, 3) RGB image, int32
        (size, size) map of segment ids (0 = void) and COCO ``segments_info`` dicts (``id``,
        ``category_id``, ``iscrowd``, ``bbox`` [x, y, w, h], ``area``), stuff first.
    """
    for _ in range(_MAX_TRIES):
        canvas, labels, stuff_cats = _render_stuff(rng, size, preset)
        masks, thing_cats = _render_things(rng, size, canvas, preset)
        labels = _paint_instances(labels, masks, first_slot=len(stuff_cats),
                                  min_area=MIN_SEGMENT_AREA)
        # Category id per slot: stuff slots come first in the label map, things after.
        slot_cats = [len(THING_CLASSES) + 1 + c for c in stuff_cats] + [c + 1 for c in thing_cats]
        present = np.bincount(labels.ravel() + 1, minlength=len(slot_cats) + 1)[1:] > 0
        is_thing = np.arange(len(slot_cats)) >= len(stuff_cats)
        if (present & is_thing).any() and (present & ~is_thing).any():
            break
    else:  # Practically unreachable: things never cover the whole image 20 times in a row.
        raise RuntimeError(f'could not render a sample with things and stuff at size {size}')
    canvas += rng.normal(0.0, 4.0, canvas.shape)  # mild sensor-like noise over everything
    image = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    slots = np.flatnonzero(present)
    # Random 24-bit ids exercise all three PNG channels, as real COCO ids do.
    lut = np.zeros(len(slot_cats) + 1, dtype=np.int32)
    segments = []
    for slot, seg_id in zip(slots, (1 + rng.choice(2**24 - 1, len(slots), replace=False)).tolist()):
        lut[slot + 1] = seg_id
        mask = labels == slot
        segments.append({'id': seg_id, 'category_id': slot_cats[slot], 'iscrowd': 0,
                         'bbox': mask_bbox(mask), 'area': int(mask.sum())})
    return image, lut[labels + 1], segments


def _render_stuff(rng: np.random.Generator, size: int,
                  preset: ShapesPreset) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Return the float RGB canvas, a region label map (slot per region) and stuff classes."""
    num = int(rng.integers(preset.stuff_regions[0], preset.stuff_regions[1] + 1))
    classes = [int(c) for c in rng.choice(len(STUFF_CLASSES), size=num, replace=False)]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    seeds = rng.uniform(0, size, (num, 2))
    # Voronoi cells whose distances are perturbed by smooth noise give wobbly boundaries.
    dist = np.stack([np.hypot(xx - sx, yy - sy) + 0.2 * size * _smooth_noise(rng, size, 4)
                     for sx, sy in seeds])
    labels = np.argmin(dist, axis=0).astype(np.int32)
    canvas = np.empty((size, size, 3), np.float32)
    for slot, cls in enumerate(classes):
        pattern = _stuff_pattern(STUFF_CLASSES[cls], rng, xx, yy, size, preset)
        first = rng.uniform(0, 255, 3).astype(np.float32)
        second = _contrasting(rng, first, 120.0)  # so that the pattern shows
        mask = labels == slot
        canvas[mask] = first + (second - first) * pattern[mask][:, None]
    return canvas, labels, classes


def _render_things(rng: np.random.Generator, size: int, canvas: np.ndarray,
                   preset: ShapesPreset) -> tuple[list[np.ndarray], list[int]]:
    """Draw the preset's number of instances onto ``canvas`` (later on top); return hard masks
    and classes."""
    masks, classes = [], []
    for _ in range(int(rng.integers(preset.things[0], preset.things[1] + 1))):
        cls = int(rng.integers(len(THING_CLASSES)))
        centre = rng.uniform(0.1 * size, 0.9 * size, 2)
        scale = np.array([rng.uniform(0.8, 1.2), 1.0]) * rng.uniform(*preset.thing_scale) * size
        angle = rng.uniform(0, 2 * math.pi)
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        polygons = [((unit * scale) @ rot.T + centre, fill)
                    for unit, fill in _UNIT_SHAPES[THING_CLASSES[cls]]]
        (x0, y0, x1, y1), cover = _rasterize(polygons, size)
        mask = np.zeros((size, size), bool)
        mask[y0:y1, x0:x1] = cover >= 0.5  # hard label from the same coverage as the pixels
        if not mask.any():
            continue
        patch, alpha = canvas[y0:y1, x0:x1], cover[..., None]
        if preset.thing_fills:
            inner = [((unit * scale * 0.55) @ rot.T + centre - (x0, y0), fill)
                     for unit, fill in _UNIT_SHAPES[THING_CLASSES[cls]]]
            fill = _thing_fill(rng, THING_FILLS[THING_CLASSES[cls]], patch, cover,
                               centre=centre - (x0, y0), radius=float(scale.mean()), inner=inner)
        else:
            fill = _thing_texture(rng, patch, cover)
        patch[:] = patch * (1 - alpha) + fill * alpha
        masks.append(mask)
        classes.append(cls)
    return masks, classes


def _paint_instances(labels: np.ndarray, masks: Sequence[np.ndarray], *, first_slot: int,
                     min_area: int) -> np.ndarray:
    """Return a new slot map with instance ``j`` painted as slot ``first_slot + j``, in order.

    Later instances occlude earlier ones. Any slot (stuff or thing) left with fewer than
    ``min_area`` visible pixels becomes void (-1): those pixels show something too small to
    annotate, so they are ignored rather than given to a neighbour.
    """
    out = labels.astype(np.int32, copy=True)
    for j, mask in enumerate(masks):
        out[mask] = first_slot + j
    counts = np.bincount(out.ravel() + 1, minlength=first_slot + len(masks) + 1)[1:]
    out[np.isin(out, np.flatnonzero(counts < min_area))] = -1
    return out


def _rasterize(polygons: list[tuple[np.ndarray, int]],
               size: int) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """Return the clipped box (x0, y0, x1, y1) and the supersampled coverage in [0, 1] inside."""
    points = np.concatenate([p for p, _ in polygons])
    x0, y0 = np.clip(np.floor(points.min(axis=0)).astype(int), 0, size - 1)
    x1, y1 = np.clip(np.ceil(points.max(axis=0)).astype(int) + 1, (x0 + 1, y0 + 1), size)
    box = (int(x0), int(y0), int(x1), int(y1))
    return box, _coverage(polygons, box)


def _coverage(polygons: list[tuple[np.ndarray, int]], box: tuple[int, int, int, int]
              ) -> np.ndarray:
    """Supersampled coverage in [0, 1] of ``polygons`` over the pixels of ``box``."""
    x0, y0, x1, y1 = box
    ss, canvas = _SUPERSAMPLE, Image.new('L', ((x1 - x0) * _SUPERSAMPLE, (y1 - y0) * _SUPERSAMPLE))
    draw = ImageDraw.Draw(canvas)
    for polygon, fill in polygons:
        # -0.5 maps pixel areas to PIL's pixel-centre coordinates on the fine grid.
        draw.polygon(((polygon - (x0, y0)) * ss - 0.5).ravel().tolist(), fill=fill)
    fine = np.asarray(canvas, np.float32).reshape(y1 - y0, ss, x1 - x0, ss)
    return fine.mean(axis=(1, 3)) / 255.0


def _thing_texture(rng: np.random.Generator, background: np.ndarray,
                   cover: np.ndarray) -> np.ndarray:
    """Shaded fill for an instance whose colour contrasts with what it is drawn over."""
    colour = _contrasting(rng, _mean_under(background, cover), 90.0)
    dark = np.clip(colour * rng.uniform(0.35, 0.75) + rng.uniform(-20, 20, 3), 0, 255)
    (h, w), angle = cover.shape, rng.uniform(0, 2 * math.pi)
    ramp = np.cos(angle) * np.arange(w)[None, :, None] + np.sin(angle) * np.arange(h)[:, None, None]
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)  # linear shading across the box
    return colour + (dark - colour) * ramp + rng.normal(0.0, 6.0, (h, w, 1))  # + grain


def _thing_fill(rng: np.random.Generator, style: str, background: np.ndarray, cover: np.ndarray,
                *, centre: np.ndarray, radius: float,
                inner: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """The (h, w, 3) fill of :data:`THING_FILLS` style ``style`` for an instance whose coverage
    in its box is ``cover``; ``centre`` and ``radius`` in box pixels, ``inner`` the outline at
    55% of the size in box coordinates."""
    first = _contrasting(rng, _mean_under(background, cover), 90.0)
    second = _contrasting(rng, first, 150.0)  # so that the pattern shows
    h, w = cover.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5  # pixel centres
    if style == 'flat':
        weight = np.zeros((h, w), np.float32)
    elif style == 'ramp':
        angle = rng.uniform(0, 2 * math.pi)
        ramp = math.cos(angle) * xx + math.sin(angle) * yy
        weight = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    elif style == 'radial':
        weight = np.clip(np.hypot(xx - centre[0], yy - centre[1]) / radius, 0.0, 1.0)
    elif style == 'split':
        angle = rng.uniform(0, 2 * math.pi)
        side = math.cos(angle) * (xx - centre[0]) + math.sin(angle) * (yy - centre[1])
        weight = np.clip(side + 0.5, 0.0, 1.0)  # one pixel of soft edge
    elif style == 'speckle':
        weight = (rng.random((h, w)) < 0.5).astype(np.float32)
    elif style == 'dot':
        weight = np.clip(0.4 * radius - np.hypot(xx - centre[0], yy - centre[1]) + 0.5, 0.0, 1.0)
    elif style == 'core':
        weight = _coverage(inner, (0, 0, w, h))
    else:
        raise ValueError(f'unknown thing fill {style!r}; expected one of '
                         f'{sorted(set(THING_FILLS.values()))}')
    return first + (second - first) * weight[..., None] + rng.normal(0.0, 6.0, (h, w, 1))


def _mean_under(background: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """The mean RGB of ``background`` (h, w, 3) weighted by an instance's coverage (h, w)."""
    return (background * cover[..., None]).sum(axis=(0, 1)) / max(float(cover.sum()), 1e-6)


def _contrasting(rng: np.random.Generator, reference: np.ndarray, min_l1: float) -> np.ndarray:
    """Uniform random RGB colour, resampled (a few times) until it is far from ``reference``."""
    for _ in range(8):
        colour = rng.uniform(0, 255, 3).astype(np.float32)
        if np.abs(colour - reference).sum() >= min_l1:
            break
    return colour


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Roughly unit-variance smooth random field: bicubic upsampling of a coarse grid."""
    coarse = rng.standard_normal((cells + 1, cells + 1)).astype(np.float32)
    return np.asarray(Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC))


def _stuff_pattern(name: str, rng: np.random.Generator, xx: np.ndarray, yy: np.ndarray,
                   size: int, preset: ShapesPreset) -> np.ndarray:
    """Texture weight in [0, 1] for stuff class ``name``, with random scale and orientation."""
    angle = rng.uniform(0, math.pi)
    period = max(preset.min_texture_period, rng.uniform(*preset.texture_period) * size)
    u = (xx * math.cos(angle) + yy * math.sin(angle)) / period
    v = (yy * math.cos(angle) - xx * math.sin(angle)) / period
    if name == 'stripes':
        wave = np.sin(2 * math.pi * u)
    elif name == 'checker':
        wave = np.sin(2 * math.pi * u) * np.sin(2 * math.pi * v)
    elif name == 'ripples':
        cx, cy = rng.uniform(-0.5 * size, 1.5 * size, 2)
        wave = np.sin(2 * math.pi * np.hypot(xx - cx, yy - cy) / (period * 1.2))
    elif name == 'dots':
        dist = np.hypot(u - np.round(u), v - np.round(v))  # to the nearest lattice point
        return np.clip((rng.uniform(0.2, 0.35) - dist) * period + 0.5, 0.0, 1.0)
    else:  # noise: blotches of a finer smooth random field
        cells = int(rng.integers(max(4, size // 24), max(5, size // 10) + 1))
        return np.clip(0.5 + 0.4 * _smooth_noise(rng, size, cells), 0.0, 1.0)
    # Steep clipping makes the wave near-binary while keeping edges soft (less aliasing).
    return np.clip(0.5 + 1.5 * wave, 0.0, 1.0)


def _regular(n: int, radius: float, phase: float = 0.0) -> np.ndarray:
    t = phase + 2 * math.pi * np.arange(n) / n
    return radius * np.stack([np.cos(t), np.sin(t)], axis=1)


_W = 0.36  # half width of the cross arms
# Unit outlines as (polygon, fill); fill 0 cuts a hole (ring). Radii are chosen so that areas are
# comparable and size alone does not identify the class.
_UNIT_SHAPES: dict[str, list[tuple[np.ndarray, int]]] = {
    'circle': [(_regular(48, 0.9), 255)],
    'square': [(_regular(4, 1.05, math.pi / 4), 255)],
    'triangle': [(_regular(3, 1.25, -math.pi / 2), 255)],
    'star': [(_regular(10, 1.0, -math.pi / 2) * np.resize([1.2, 0.5], 10)[:, None], 255)],
    'cross': [(np.array([(-_W, -1), (_W, -1), (_W, -_W), (1, -_W), (1, _W), (_W, _W), (_W, 1),
                         (-_W, 1), (-_W, _W), (-1, _W), (-1, -_W), (-_W, -_W)]), 255)],
    'ring': [(_regular(48, 1.0), 255), (_regular(48, 0.55), 0)],
    'hexagon': [(_regular(6, 0.95), 255)],
}
