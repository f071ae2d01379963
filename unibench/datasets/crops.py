"""Object-centric classification crops cut out of a COCO-panoptic dataset: the role ImageNet plays
in the papers' pre-training, at the benchmark's own scale.

Every thing segment gives a square crop around its box (``context`` times its longer side);
every stuff segment gives the largest square that lies inside it (its texture only). Crops are
resized to ``size`` and labelled with the segment's contiguous class (things first, as the
segmentation datasets). They are cut once, when the dataset is built, and kept in memory.
"""
import json
import os.path as osp
from typing import Any, Dict, List, Sequence

import cv2
import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.structures import LabelData

from unibench.datasets.convert import load_segment_ids
from unibench.registry import DATASETS


@DATASETS.register_module()
class PanopticCropDataset(BaseDataset):
    """Classification crops of the segments of ``annotations/panoptic_{split}.json``.

    Args:
        data_root: Dataset root (the shapes layout: ``{split}/``, ``annotations/``).
        split: ``train`` or ``val``.
        classes: Class names in label order (things first).
        size: Crop side after resizing.
        context: Thing crops are ``context * max(w, h)`` wide, centred on the box.
        min_area: Segments with fewer pixels give no crop.
        min_stuff_side: Stuff segments whose largest inner square is smaller give no crop.
        augment: Random horizontal flips and quarter turns (the classes are rotation-invariant).
    """

    def __init__(self, *, data_root: str, split: str, classes: Sequence[str], size: int = 64,
                 context: float = 1.4, min_area: int = 64, min_stuff_side: int = 12,
                 augment: bool = False, **kwargs) -> None:
        self.split, self.classes, self.size = split, list(classes), size
        self.context, self.min_area, self.min_stuff_side = context, min_area, min_stuff_side
        self.augment = augment
        super().__init__(data_root=data_root, metainfo=dict(classes=tuple(classes)),
                         serialize_data=False, **kwargs)

    def load_data_list(self) -> List[Dict[str, Any]]:
        ann_file = osp.join(self.data_root, 'annotations', f'panoptic_{self.split}.json')
        if not osp.isfile(ann_file):
            raise FileNotFoundError(f'{ann_file} not found (generate the images first)')
        with open(ann_file, encoding='utf-8') as f:
            data = json.load(f)
        label_of = {c['id']: self.classes.index(c['name']) for c in data['categories']
                    if c['name'] in self.classes}
        things = {c['id'] for c in data['categories'] if c.get('isthing')}
        images = {i['id']: i for i in data['images']}
        crops = []
        for ann in data['annotations']:
            info = images[ann['image_id']]
            image = cv2.imread(osp.join(self.data_root, self.split, info['file_name']))
            if image is None:
                raise FileNotFoundError(f'missing image {info["file_name"]} of {ann_file}')
            ids = load_segment_ids(osp.join(self.data_root, 'annotations',
                                            f'panoptic_{self.split}', ann['file_name']))
            for seg in ann['segments_info']:
                if seg.get('iscrowd') or seg['area'] < self.min_area:
                    continue
                if seg['category_id'] in things:
                    box = _thing_box(seg['bbox'], self.context)
                else:
                    box = _inner_square(ids == seg['id'])
                    if box[2] < self.min_stuff_side:
                        continue
                crop = cv2.resize(_cut(image[..., ::-1], box), (self.size, self.size),
                                  interpolation=cv2.INTER_LINEAR)
                crops.append(dict(img=np.ascontiguousarray(crop),
                                  gt_label=label_of[seg['category_id']]))
        if not crops:
            raise ValueError(f'{ann_file}: no segment gave a crop')
        return crops

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        item = self.get_data_info(idx)
        img = item['img']
        if self.augment:
            rng = np.random.default_rng()
            img = np.rot90(img, k=int(rng.integers(4)))
            if rng.random() < 0.5:
                img = img[:, ::-1]
        inputs = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)  # RGB
        return dict(inputs=inputs,
                    data_samples=LabelData(label=torch.tensor(item['gt_label'])))


def _thing_box(bbox: Sequence[float], context: float) -> tuple:
    x, y, w, h = bbox
    side = max(int(round(context * max(w, h))), 2)
    return int(round(x + w / 2 - side / 2)), int(round(y + h / 2 - side / 2)), side


def _inner_square(mask: np.ndarray) -> tuple:
    """The largest axis-aligned square inside ``mask``, as ``(x0, y0, side)``: centred on the
    pixel farthest from the segment's border (distance transform, chessboard metric)."""
    dist = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_C, 3)[1:-1, 1:-1]
    y, x = np.unravel_index(int(dist.argmax()), dist.shape)
    half = int(dist[y, x]) - 1
    return x - half, y - half, 2 * half + 1


def _cut(image: np.ndarray, box: tuple) -> np.ndarray:
    """The square window ``(x0, y0, side)`` of ``image``; outside the image is zero."""
    x0, y0, side = box
    out = np.zeros((side, side, image.shape[2]), image.dtype)
    h, w = image.shape[:2]
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return out
