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
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict
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
    panoptic_to_instances,
    panoptic_to_semantic,
)
from .shapes_render import (  # noqa: F401  (the generator's vocabulary, imported from here)
    MIN_SEGMENT_AREA,
    PRESETS,
    STUFF_CLASSES,
    THING_CLASSES,
    ShapesPreset,
    render_sample,
)

_COLORS = [[220, 20, 60], [0, 130, 200], [255, 200, 0], [60, 180, 75], [145, 30, 180],
           [245, 130, 48], [70, 240, 240], [128, 128, 0], [170, 110, 40], [0, 0, 128],
           [250, 190, 212], [128, 128, 128]]
SHAPES_CATEGORIES: list[dict[str, Any]] = [
    {'id': i + 1, 'name': name, 'supercategory': 'shape' if i < len(THING_CLASSES) else 'texture',
     'isthing': int(i < len(THING_CLASSES)), 'color': _COLORS[i]}
    for i, name in enumerate(THING_CLASSES + STUFF_CLASSES)]
"""COCO panoptic categories (ids 1..K, things first); ``color`` is for visualisation only."""

MIN_SIZE = 32
SPLITS = ('train', 'val')

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

