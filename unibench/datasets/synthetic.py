"""``unibench-shapes``: a procedurally generated panoptic dataset embedded in the package.

Each image splits the background into 2-4 irregular stuff regions (noisy Voronoi cells) filled
with a two-colour texture whose pattern is the stuff class, then draws 2-6 occluding things whose
outline is the thing class. Colours are independent of the class. Layout on disk (COCO-like):
``{train,val}/000000.jpg``, ``annotations/panoptic_{split}.json`` + ``panoptic_{split}/*.png``,
``annotations/semantic_{split}/*.png`` and ``annotations/instances_{split}.json``.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from unibench.utils.io import atomic_write_bytes

from .convert import (
    PathLike,
    id2rgb,
    imap_ordered,
    load_segment_ids,
    mask_bbox,
    panoptic_to_instances,
    panoptic_to_semantic,
)

THING_CLASSES = ('circle', 'square', 'triangle', 'star', 'cross', 'ring', 'hexagon')
STUFF_CLASSES = ('stripes', 'checker', 'dots', 'noise', 'ripples')
_COLORS = [[220, 20, 60], [0, 130, 200], [255, 200, 0], [60, 180, 75], [145, 30, 180],
           [245, 130, 48], [70, 240, 240], [128, 128, 0], [170, 110, 40], [0, 0, 128],
           [250, 190, 212], [128, 128, 128]]
SHAPES_CATEGORIES: list[dict[str, Any]] = [
    {'id': i + 1, 'name': name, 'supercategory': 'shape' if i < len(THING_CLASSES) else 'texture',
     'isthing': int(i < len(THING_CLASSES)), 'color': _COLORS[i]}
    for i, name in enumerate(THING_CLASSES + STUFF_CLASSES)]
"""COCO panoptic categories (ids 1..K, things first); ``color`` is for visualisation only."""

MIN_SIZE = 32
MIN_SEGMENT_AREA = 20
"""Segments with fewer visible pixels become void (0) in the panoptic map."""
SPLITS = ('train', 'val')
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


PRESETS = {'default': ShapesPreset(),
           'demo': ShapesPreset(stuff_regions=(2, 3), things=(1, 3), thing_scale=(0.18, 0.3),
                                texture_period=(0.08, 0.14), min_texture_period=5.0)}
"""Named presets (``tools/make_synthetic.py --preset``)."""


def generate_shapes_dataset(out_dir: PathLike, *, num_train: int, num_val: int, size: int = 256,
                            seed: int = 0, preset: str = 'default', workers: int | None = None,
                            progress: bool = True) -> dict[str, Any]:
    """Generate ``unibench-shapes`` under ``out_dir``, including semantic and instances files.

    Image ``i`` of a split is rendered from ``default_rng([seed, split_index, i])``, so the bytes
    written do not depend on ``workers``. A split with 0 images is skipped (no files).

    Args:
        out_dir: Dataset root (created).
        num_train: Number of training images.
        num_val: Number of validation images.
        size: Image side in pixels (square images), at least :data:`MIN_SIZE`.
        seed: Non-negative dataset seed.
        preset: A name of :data:`PRESETS` (what the images hold).
        workers: Processes; ``None`` means ``os.cpu_count()``.
        progress: Show a progress bar (tqdm if installed, else printed percentages).

    Returns:
        ``{'out_dir', 'categories', 'seconds', 'splits': {split: {'num_images', 'images_dir',
        'panoptic_json', 'panoptic_dir', 'semantic_dir', 'instances_json'}}}``.

    Raises:
        ValueError: Empty dataset, negative count or seed, size < MIN_SIZE, workers < 1,
            unknown preset.
    """
    _check_args(num_train=num_train, num_val=num_val, size=size, seed=seed, workers=workers)
    if preset not in PRESETS:
        raise ValueError(f'unknown preset {preset!r}; expected one of {sorted(PRESETS)}')
    start = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    root = Path(out_dir)
    splits = {}
    for split, num in zip(SPLITS, (num_train, num_val)):
        if num > 0:
            splits[split] = _generate_split(root, split, num=num, size=size, seed=seed,
                                            preset=preset, workers=workers, progress=progress)
    return {'out_dir': str(root), 'categories': SHAPES_CATEGORIES, 'splits': splits,
            'preset': preset, 'seconds': time.perf_counter() - start}


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


def write_preview(data_root: PathLike, out_png: PathLike, *, split: str = 'val',
                  num: int = 8) -> Path:
    """Write a PNG grid of images next to their panoptic overlays, with a category legend.

    Args:
        data_root: Dataset root as written by :func:`generate_shapes_dataset`.
        out_png: Output PNG path (parent folder created).
        split: Split to show.
        num: Number of images (two image|overlay pairs per row).

    Returns:
        The path written.
    """
    root = Path(data_root)
    with open(root / 'annotations' / f'panoptic_{split}.json', encoding='utf-8') as f:
        data = json.load(f)
    colors = {c['id']: np.array(c['color'], np.float32) for c in data['categories']}
    anns = {a['image_id']: a for a in data['annotations']}
    pairs = []
    for info in data['images'][:num]:
        with Image.open(root / split / info['file_name']) as img:
            image = np.asarray(img.convert('RGB'))
        ann = anns[info['id']]
        ids = load_segment_ids(root / 'annotations' / f'panoptic_{split}' / ann['file_name'])
        pairs.append(_pair_cell(image, ids, ann['segments_info'], colors))
    if not pairs:
        raise ValueError(f'split {split!r} under {root} has no images to preview')
    pairs += [np.full_like(pairs[0], 255)] * (len(pairs) % 2)
    rows = [np.concatenate(pairs[i:i + 2], axis=1) for i in range(0, len(pairs), 2)]
    grid = np.concatenate(rows, axis=0)
    # Legend: colour swatch and name per category, six per line, under the grid.
    sheet = Image.new('RGB', (grid.shape[1], grid.shape[0] + 18 * -(-len(colors) // 6) + 8),
                      'white')
    sheet.paste(Image.fromarray(grid))
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default()
    for i, cat in enumerate(data['categories']):
        x, y = 4 + (i % 6) * (grid.shape[1] // 6), grid.shape[0] + 4 + (i // 6) * 18
        draw.rectangle((x, y + 2, x + 12, y + 14), fill=tuple(cat['color']), outline='black')
        name = cat['name'] + ('' if cat.get('isthing') else ' (stuff)')
        draw.text((x + 16, y + 2), name, fill='black', font=font)
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, _encode(np.asarray(sheet), 'PNG'))
    return out


def _check_args(*, num_train: int, num_val: int, size: int, seed: int,
                workers: int | None) -> None:
    if num_train < 0 or num_val < 0:
        raise ValueError(f'num_train and num_val must be >= 0, got {num_train} and {num_val}')
    if num_train == 0 and num_val == 0:
        raise ValueError('empty dataset: num_train and num_val are both 0; ask for >= 1 image')
    for name, value, low in (('size', size, MIN_SIZE), ('seed', seed, 0),
                             ('workers', 1 if workers is None else workers, 1)):
        if value < low:
            raise ValueError(f'{name} must be >= {low}, got {value}')


def _generate_split(root: Path, split: str, *, num: int, size: int, seed: int, preset: str,
                    workers: int, progress: bool) -> dict[str, Any]:
    img_dir, ann_dir = root / split, root / 'annotations'
    pan_dir = ann_dir / f'panoptic_{split}'
    for folder in (img_dir, pan_dir):
        folder.mkdir(parents=True, exist_ok=True)
    jobs = [(str(img_dir), str(pan_dir), SPLITS.index(split), i, size, seed, preset)
            for i in range(num)]
    records = list(_progress(imap_ordered(_write_sample, jobs, workers=workers), total=num,
                             desc=f'{split} images', enabled=progress))
    info = {'description': 'unibench-shapes', 'seed': seed, 'split': split}
    if preset != 'default':  # the default's JSON stays byte-identical to earlier releases
        info.update(preset=preset, preset_values=asdict(PRESETS[preset]))
    dataset = {'info': info,
               'images': [r[0] for r in records], 'annotations': [r[1] for r in records],
               'categories': SHAPES_CATEGORIES}
    pan_json = ann_dir / f'panoptic_{split}.json'
    atomic_write_bytes(pan_json, json.dumps(dataset).encode())
    sem_dir, inst_json = ann_dir / f'semantic_{split}', ann_dir / f'instances_{split}.json'
    panoptic_to_semantic(pan_json, pan_dir, sem_dir, workers=workers)
    panoptic_to_instances(pan_json, pan_dir, inst_json, workers=workers)
    return {'num_images': num, 'images_dir': str(img_dir), 'panoptic_json': str(pan_json),
            'panoptic_dir': str(pan_dir), 'semantic_dir': str(sem_dir),
            'instances_json': str(inst_json)}


def _write_sample(job: tuple[str, str, int, int, int, int, str]) -> tuple[dict, dict]:
    img_dir, pan_dir, split_index, index, size, seed, preset = job
    image, seg, segments = render_sample(np.random.default_rng([seed, split_index, index]), size,
                                         PRESETS[preset])
    stem = f'{index:06d}'
    atomic_write_bytes(Path(img_dir) / f'{stem}.jpg', _encode(image, 'JPEG', quality=95))
    atomic_write_bytes(Path(pan_dir) / f'{stem}.png', _encode(id2rgb(seg), 'PNG'))
    info = {'id': index + 1, 'file_name': f'{stem}.jpg', 'height': size, 'width': size}
    return info, {'image_id': index + 1, 'file_name': f'{stem}.png', 'segments_info': segments}


def _progress(items: Iterable[Any], *, total: int, desc: str, enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield from items
        return
    if importlib.util.find_spec('tqdm') is not None:
        from tqdm import tqdm
        yield from tqdm(items, total=total, desc=desc)
        return
    for done, item in enumerate(items, 1):
        if done % max(1, total // 10) == 0 or done == total:
            print(f'{desc}: {done}/{total}', file=sys.stderr, flush=True)
        yield item


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
        patch[:] = patch * (1 - alpha) + _thing_texture(rng, patch, cover) * alpha
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
    ss, canvas = _SUPERSAMPLE, Image.new('L', ((x1 - x0) * _SUPERSAMPLE, (y1 - y0) * _SUPERSAMPLE))
    draw = ImageDraw.Draw(canvas)
    for polygon, fill in polygons:
        # -0.5 maps pixel areas to PIL's pixel-centre coordinates on the fine grid.
        draw.polygon(((polygon - (x0, y0)) * ss - 0.5).ravel().tolist(), fill=fill)
    fine = np.asarray(canvas, np.float32).reshape(y1 - y0, ss, x1 - x0, ss)
    return (int(x0), int(y0), int(x1), int(y1)), fine.mean(axis=(1, 3)) / 255.0


def _thing_texture(rng: np.random.Generator, background: np.ndarray,
                   cover: np.ndarray) -> np.ndarray:
    """Shaded fill for an instance whose colour contrasts with what it is drawn over."""
    under = (background * cover[..., None]).sum(axis=(0, 1)) / max(float(cover.sum()), 1e-6)
    colour = _contrasting(rng, under, 90.0)
    dark = np.clip(colour * rng.uniform(0.35, 0.75) + rng.uniform(-20, 20, 3), 0, 255)
    (h, w), angle = cover.shape, rng.uniform(0, 2 * math.pi)
    ramp = np.cos(angle) * np.arange(w)[None, :, None] + np.sin(angle) * np.arange(h)[:, None, None]
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)  # linear shading across the box
    return colour + (dark - colour) * ramp + rng.normal(0.0, 6.0, (h, w, 1))  # + grain


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


def _encode(array: np.ndarray, fmt: str, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _pair_cell(image: np.ndarray, ids: np.ndarray, segments: list[dict[str, Any]],
               colors: dict[int, np.ndarray]) -> np.ndarray:
    """Image | overlay (category colours blended in, segment boundaries white, void black)."""
    overlay = np.zeros(image.shape, np.float32)  # void stays black
    for seg in segments:
        mask = ids == seg['id']
        overlay[mask] = 0.35 * image[mask] + 0.65 * colors[seg['category_id']]
    overlay[np.pad(ids[:, 1:] != ids[:, :-1], ((0, 0), (1, 0)))] = 255  # segment boundaries
    overlay[np.pad(ids[1:] != ids[:-1], ((1, 0), (0, 0)))] = 255
    zoom = max(1, 192 // image.shape[0])  # keep small datasets readable
    cell = np.concatenate([image, np.full((image.shape[0], 4, 3), 255, np.uint8),
                           np.clip(overlay, 0, 255).astype(np.uint8)], axis=1)
    cell = cell.repeat(zoom, axis=0).repeat(zoom, axis=1)
    return np.pad(cell, ((4, 4), (4, 4), (0, 0)), constant_values=255)

