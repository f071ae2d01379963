"""Converters from COCO panoptic annotations to semantic PNGs and COCO instances JSON.

The input is the usual COCO panoptic pair: a JSON file (``images``, ``annotations`` with
``segments_info``, ``categories``) and a folder of RGB PNGs whose pixels encode segment ids as
``R + 256 * G + 256**2 * B`` (panopticapi's ``rgb2id``; 0 means void). The converters work on paths
so that they serve real COCO / ADE20K panoptic data as well as the synthetic ``unibench-shapes``.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PIL import Image

from unibench.structures import IGNORE_INDEX
from unibench.utils.io import atomic_write_bytes

PathLike = str | os.PathLike[str]
"""Semantic label of void pixels (no segment), as in mmseg / detectron2."""

_T = TypeVar('_T')
_R = TypeVar('_R')


def panoptic_to_semantic(
    panoptic_json: PathLike,
    panoptic_dir: PathLike,
    out_dir: PathLike,
    *,
    workers: int = 1,
) -> int:
    """Write one single-channel semantic label PNG per panoptic annotation.

    The label of a pixel is the contiguous index of its segment's category, in the order of
    ``categories`` in the panoptic JSON; void pixels and pixels whose id is not listed in
    ``segments_info`` get :data:`IGNORE_INDEX`. Crowd segments keep their class (detectron2's
    convention for semantic ground truth derived from panoptic).

    Args:
        panoptic_json: COCO panoptic annotation file.
        panoptic_dir: Folder with the RGB-encoded segment id PNGs.
        out_dir: Output folder (created); files keep the annotation's ``file_name``.
        workers: Processes to use; 1 runs in this process.

    Returns:
        Number of PNGs written.

    Raises:
        ValueError: If there are more categories than a uint8 label (minus ignore) can hold.
    """
    data = _load_json(panoptic_json)
    if len(data['categories']) >= IGNORE_INDEX:
        raise ValueError(
            f'{len(data["categories"])} categories do not fit a uint8 semantic map '
            f'(at most {IGNORE_INDEX - 1}, {IGNORE_INDEX} is ignore)')
    contiguous = {cat['id']: i for i, cat in enumerate(data['categories'])}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(str(Path(panoptic_dir) / ann['file_name']), str(out / ann['file_name']),
             [(seg['id'], contiguous[seg['category_id']]) for seg in ann['segments_info']])
            for ann in data['annotations']]
    return sum(1 for _ in imap_ordered(_semantic_job, jobs, workers=workers))


def panoptic_to_instances(
    panoptic_json: PathLike,
    panoptic_dir: PathLike,
    out_json: PathLike,
    *,
    workers: int = 1,
) -> dict[str, Any]:
    """Write a COCO instances JSON (RLE masks) with the thing segments of a panoptic dataset.

    Stuff segments are left out; crowd thing segments are kept with ``iscrowd=1``. Masks, boxes
    (``[x, y, w, h]`` of the visible pixels) and areas are computed from the PNGs, so they describe
    what is visible. Segments listed in the JSON but absent from the PNG are skipped.

    Args:
        panoptic_json: COCO panoptic annotation file.
        panoptic_dir: Folder with the RGB-encoded segment id PNGs.
        out_json: Output file (parent folder created).
        workers: Processes to use; 1 runs in this process.

    Returns:
        The COCO instances dict that was written (``images``, ``annotations``, ``categories``).
    """
    data = _load_json(panoptic_json)
    things = [cat for cat in data['categories'] if cat.get('isthing', 0)]
    thing_ids = {cat['id'] for cat in things}
    jobs = [(str(Path(panoptic_dir) / ann['file_name']), ann['image_id'],
             [(seg['id'], seg['category_id'], int(seg.get('iscrowd', 0)))
              for seg in ann['segments_info'] if seg['category_id'] in thing_ids])
            for ann in data['annotations']]
    annotations = []
    for per_image in imap_ordered(_instances_job, jobs, workers=workers):
        for ann in per_image:
            annotations.append({'id': len(annotations) + 1, **ann})
    result = {'images': data['images'], 'annotations': annotations, 'categories': things}
    if 'info' in data:
        result = {'info': data['info'], **result}
    out = Path(out_json)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, json.dumps(result).encode())
    return result


def rgb2id(color: np.ndarray) -> np.ndarray:
    """Decode an RGB panoptic PNG array (H, W, 3) to segment ids (panopticapi convention)."""
    color = np.asarray(color).astype(np.int32)
    return color[..., 0] + 256 * color[..., 1] + 256 * 256 * color[..., 2]


def id2rgb(ids: np.ndarray) -> np.ndarray:
    """Encode segment ids (H, W) below ``2**24`` as an RGB uint8 array (inverse of rgb2id)."""
    ids = np.asarray(ids, dtype=np.int64)
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256], axis=-1).astype(np.uint8)


def load_segment_ids(png_path: PathLike) -> np.ndarray:
    """Read a COCO panoptic PNG and return its int32 segment id map (0 = void)."""
    with Image.open(png_path) as img:
        return rgb2id(np.asarray(img.convert('RGB')))


def mask_bbox(mask: np.ndarray) -> list[int]:
    """Return the ``[x, y, w, h]`` box (inclusive pixel extent) of a non-empty boolean mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    return [x0, y0, x1 - x0 + 1, y1 - y0 + 1]


def imap_ordered(fn: Callable[[_T], _R], items: Iterable[_T], *, workers: int) -> Iterator[_R]:
    """Map ``fn`` over ``items`` in order, in a process pool when ``workers > 1``.

    Args:
        fn: Picklable (module-level) function.
        items: Inputs; materialised to size the pool's chunks.
        workers: Number of processes; 1 (or a single item) runs in this process.

    Yields:
        ``fn(item)`` for each item, in input order.
    """
    items = list(items)
    workers = max(1, min(workers, len(items)))
    if workers == 1:
        yield from map(fn, items)
        return
    # Several chunks per worker balance load while keeping IPC overhead low.
    chunksize = max(1, len(items) // (workers * 8))
    with get_context().Pool(workers) as pool:
        yield from pool.imap(fn, items, chunksize=chunksize)


def _load_json(path: PathLike) -> dict[str, Any]:
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def _semantic_job(job: tuple[str, str, list[tuple[int, int]]]) -> None:
    src, dst, segments = job
    ids = load_segment_ids(src)
    label = np.full(ids.shape, IGNORE_INDEX, dtype=np.uint8)
    for seg_id, index in segments:
        label[ids == seg_id] = index
    _write_png(dst, Image.fromarray(label))  # uint8 (H, W) gives mode 'L'


def _instances_job(job: tuple[str, int, list[tuple[int, int, int]]]) -> list[dict[str, Any]]:
    # Imported here so that the module (and semantic conversion) works without pycocotools.
    from pycocotools import mask as mask_util

    src, image_id, segments = job
    ids = load_segment_ids(src) if segments else None
    anns = []
    for seg_id, category_id, iscrowd in segments:
        mask = ids == seg_id
        area = int(mask.sum())
        if area == 0:
            continue
        rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
        rle['counts'] = rle['counts'].decode('ascii')
        anns.append({'image_id': image_id, 'category_id': category_id, 'iscrowd': iscrowd,
                     'segmentation': rle, 'area': area, 'bbox': mask_bbox(mask)})
    return anns


def _write_png(path: PathLike, img: Image.Image) -> None:
    buf = io.BytesIO()
    img.save(buf, format='PNG')
    atomic_write_bytes(path, buf.getvalue())
