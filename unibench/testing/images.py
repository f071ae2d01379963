"""Images as real datasets hold them: grayscale, RGBA, 16-bit, CMYK JPEG, odd and tiny sizes.

:func:`make_odd_shapes` rewrites a copy of a ``unibench-shapes`` dataset so that its images come
in every kind of :data:`IMAGE_KINDS` and the sizes of :data:`ODD_SIZES` (some smaller than the
64 and 128 crops of the shapes configs), with annotations that match them pixel for pixel.
"""
import json
import shutil
from pathlib import Path
from typing import Sequence, Tuple, Union

import cv2
import numpy as np
from PIL import Image

from unibench.datasets.convert import id2rgb, load_segment_ids, mask_bbox, panoptic_to_instances

# kind -> file suffix. 'rgb16' is 16 bits per channel, 'gray16' one 16-bit channel.
IMAGE_KINDS = {'gray': '.jpg', 'rgba': '.png', 'gray16': '.png', 'cmyk': '.jpg',
               'rgb16': '.png', 'palette': '.png', 'rgb': '.jpg'}
# (h, w): odd, portrait and landscape, and smaller than every crop of the shapes configs.
ODD_SIZES = ((63, 97), (97, 63), (20, 30), (33, 41), (15, 120), (101, 87), (48, 64), (64, 64))


def write_image(bgr: np.ndarray, kind: str, stem: Union[str, Path]) -> Path:
    """Writes the 8-bit BGR image ``bgr`` as ``kind`` to ``stem`` + the kind's suffix.

    Returns:
        The file written. Its 8-bit BGR content is :func:`expected_bgr` (up to JPEG loss).
    """
    path = Path(f'{stem}{IMAGE_KINDS[kind]}')
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    if kind == 'gray':
        Image.fromarray(gray).save(path, quality=95)
    elif kind == 'rgba':  # alpha is not premultiplied: the decoders drop it
        Image.fromarray(np.dstack([rgb, np.full(gray.shape, 90, np.uint8)])).save(path)
    elif kind == 'gray16':
        cv2.imwrite(str(path), gray.astype(np.uint16) * 257)  # 8 bits v -> 16 bits 257 v
    elif kind == 'rgb16':
        cv2.imwrite(str(path), bgr.astype(np.uint16) * 257)
    elif kind == 'cmyk':
        Image.fromarray(rgb).convert('CMYK').save(path, quality=95)
    elif kind == 'palette':
        Image.fromarray(rgb).quantize(64).save(path)
    else:
        Image.fromarray(rgb).save(path, quality=95)
    return path


def expected_bgr(path: Union[str, Path]) -> np.ndarray:
    """What a 3-channel 8-bit BGR decoding of ``path`` written by :func:`write_image` holds:
    gray replicated to 3 channels, alpha dropped, 16-bit values divided by 257 (Pillow reads
    16-bit RGB as 8 bits already), a palette's colours, CMYK as Pillow converts it."""
    with Image.open(path) as im:
        if im.mode.startswith('I'):  # 16-bit gray: 'I;16' (Pillow >= 10) or 'I'
            gray = (np.asarray(im, np.int64) // 257).astype(np.uint8)
            return np.repeat(gray[..., None], 3, axis=2)
        return np.asarray(im.convert('RGB'))[..., ::-1]


def make_odd_shapes(src: Union[str, Path], dst: Union[str, Path], *,
                    sizes: Sequence[Tuple[int, int]] = ODD_SIZES,
                    kinds: Sequence[str] = tuple(IMAGE_KINDS)) -> Path:
    """Copies the shapes dataset ``src`` to ``dst`` with image ``k`` of each split resized to
    ``sizes[k % len(sizes)]`` and written as ``kinds[k % len(kinds)]``.

    The panoptic PNGs are resized with the nearest neighbour; segments that vanish are dropped,
    areas and boxes recomputed, ``instances_{split}.json`` rewritten, so that annotations and
    images agree as in a real dataset. The semantic PNGs are removed (no longer matching).
    """
    src, dst = Path(src), Path(dst)
    shutil.copytree(src, dst)
    for split in ('train', 'val'):
        shutil.rmtree(dst / 'annotations' / f'semantic_{split}', ignore_errors=True)
        ann_file = dst / 'annotations' / f'panoptic_{split}.json'
        data = json.loads(ann_file.read_text())
        images = {im['id']: im for im in data['images']}
        for k, ann in enumerate(data['annotations']):
            h, w = sizes[k % len(sizes)]
            image = images[ann['image_id']]
            png = dst / 'annotations' / f'panoptic_{split}' / ann['file_name']
            ids = load_segment_ids(png)
            rows = np.arange(h) * ids.shape[0] // h
            cols = np.arange(w) * ids.shape[1] // w
            ids = ids[rows][:, cols]
            old = dst / split / image['file_name']
            bgr = cv2.resize(cv2.imread(str(old)), (w, h), interpolation=cv2.INTER_AREA)
            old.unlink()
            new = write_image(bgr, kinds[k % len(kinds)], old.with_suffix(''))
            image.update(file_name=new.name, height=h, width=w)
            Image.fromarray(id2rgb(ids).astype(np.uint8)).save(png)
            segments = []
            for seg in ann['segments_info']:
                mask = ids == seg['id']
                if mask.any():
                    segments.append(dict(seg, area=int(mask.sum()), bbox=mask_bbox(mask)))
            ann['segments_info'] = segments
        ann_file.write_text(json.dumps(data))
        panoptic_to_instances(ann_file, dst / 'annotations' / f'panoptic_{split}',
                              dst / 'annotations' / f'instances_{split}.json')
    return dst
