"""The classification side of PSSL at small scale: an object-centric classification set cut out of
a COCO-format dataset (the role ImageNet plays in the paper) and small timm classifiers on it."""
import json
import os.path as osp
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, Tuple

import cv2
import numpy as np
import timm
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from unibench.utils.io import atomic_write_bytes

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)  # ImageNet, RGB
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)


@dataclass
class CropSet:
    """Square crops around object instances.

    Attributes:
        images: ``(N, 3, S, S)`` uint8 RGB crops.
        labels: ``(N,)`` int64 class of each crop (index into ``classes``).
        masks: ``(N, S, S)`` bool: the crop's pixels of its class in the ground truth (used only
            to score the pseudo labels, never to make them).
        names: ``N`` file stems, ``<image stem>_<annotation id>``.
        classes: Class names; label ``c`` is ``classes[c]``.
    """

    images: Tensor
    labels: Tensor
    masks: Tensor
    names: Sequence[str]
    classes: Sequence[str]

    def __len__(self) -> int:
        return len(self.labels)


def instance_crops(data_root: str, split: str, *, classes: Sequence[str], size: int = 64,
                   context: float = 1.5, min_area: int = 100, max_crops: int = 0,
                   seed: int = 0) -> CropSet:
    """Cuts one crop per instance from ``annotations/instances_{split}.json`` of ``data_root``.

    The crop is a square of side ``context * max(w, h)`` centred on the box (zero padding outside
    the image), resized to ``size``; the class comes from the instance (named as in ``classes``,
    so labels follow the segmentation datasets' order). The ground-truth mask is the semantic
    PNG's pixels of that class inside the crop.

    Args:
        data_root: Dataset root with ``{split}/``, ``annotations/instances_{split}.json`` and
            ``annotations/semantic_{split}/`` (the shapes layout).
        split: ``train`` or ``val``.
        classes: Class names in label order (the dataset's thing classes).
        size: Crop side after resizing.
        context: Crop side relative to the longer box side.
        min_area: Instances with fewer visible pixels are skipped.
        max_crops: Keep a seeded random subset of this many (0 = all).
        seed: Seed of the subset.
    """
    ann_file = osp.join(data_root, 'annotations', f'instances_{split}.json')
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'instances annotation not found: {ann_file} (generate the '
                                'dataset with tools/make_synthetic.py)')
    with open(ann_file, encoding='utf-8') as f:
        coco = json.load(f)
    cat_label = {c['id']: classes.index(c['name']) for c in coco['categories']
                 if c['name'] in classes}
    images = {img['id']: img for img in coco['images']}
    anns = [a for a in coco['annotations'] if not a.get('iscrowd') and a['area'] >= min_area
            and a['category_id'] in cat_label]
    if max_crops and len(anns) > max_crops:
        keep = np.random.default_rng(seed).permutation(len(anns))[:max_crops]
        anns = [anns[i] for i in sorted(keep)]
    if not anns:
        raise ValueError(f'{ann_file}: no instance of {list(classes)} with area >= {min_area}')
    crops, labels, masks, names = [], [], [], []
    for ann in anns:
        info = images[ann['image_id']]
        stem = osp.splitext(info['file_name'])[0]
        image = _read(osp.join(data_root, split, info['file_name']), cv2.IMREAD_COLOR)[..., ::-1]
        sem = _read(osp.join(data_root, 'annotations', f'semantic_{split}', f'{stem}.png'),
                    cv2.IMREAD_UNCHANGED)
        label = cat_label[ann['category_id']]
        box = _square(ann['bbox'], context)
        crops.append(cv2.resize(_cut(image, box), (size, size), interpolation=cv2.INTER_LINEAR))
        masks.append(cv2.resize((_cut(sem, box, fill=255) == label).astype(np.uint8), (size, size),
                                interpolation=cv2.INTER_NEAREST).astype(bool))
        labels.append(label)
        names.append(f'{stem}_{ann["id"]}')
    return CropSet(images=torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous(),
                   labels=torch.tensor(labels), masks=torch.from_numpy(np.stack(masks)),
                   names=names, classes=tuple(classes))


def write_crop_images(crops: CropSet, out_dir: Path) -> None:
    """Writes the crops as ``out_dir/<name>.png`` (atomically) for the pre-training dataset."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, image in zip(crops.names, crops.images):
        ok, png = cv2.imencode('.png', image.permute(1, 2, 0).numpy()[..., ::-1])
        if not ok:
            raise ValueError(f'could not encode crop {name}')
        atomic_write_bytes(out_dir / f'{name}.png', png.tobytes())


def normalize(images: Tensor) -> Tensor:
    """uint8 ``(B, 3, H, W)`` RGB -> float, ImageNet mean / std (the segmentation models' too)."""
    return (images.float() - MEAN) / STD


def train_classifier(model_name: str, crops: CropSet, *, epochs: int, batch_size: int,
                     lr: float, weight_decay: float, seed: int = 0,
                     log: Callable[[str], None] = print) -> nn.Module:
    """A timm classifier trained from scratch on the crops (AdamW, cosine decay, h-flips).

    Args:
        model_name: timm model name (``resnet18``, ``mobilenetv3_small_100``, ...).
        crops: Training crops.
        epochs: Passes over the crops.
        batch_size: Images per step.
        lr: Peak learning rate.
        weight_decay: AdamW weight decay.
        seed: Seed of the initialisation and the batch order.
        log: Progress printer.

    Returns:
        The classifier in eval mode.
    """
    torch.manual_seed(seed)
    model = timm.create_model(model_name, pretrained=False, num_classes=len(crops.classes))
    steps = epochs * -(-len(crops) // batch_size)
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optim, steps)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(crops))
        total = 0.0
        for start in range(0, len(crops), batch_size):
            idx = order[start:start + batch_size]
            images = normalize(crops.images[idx])
            flip = torch.rand(len(idx)) < 0.5
            images[flip] = images[flip].flip(-1)
            loss = F.cross_entropy(model(images), crops.labels[idx])
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
            total += loss.item() * len(idx)
        log(f'  {model_name}: epoch {epoch + 1}/{epochs}, loss {total / len(crops):.3f}')
    return model.eval()


@torch.no_grad()
def accuracy(model: nn.Module, crops: CropSet, batch_size: int = 256) -> float:
    """Top-1 accuracy (fraction) of ``model`` on ``crops``."""
    correct = 0
    for start in range(0, len(crops), batch_size):
        logits = model(normalize(crops.images[start:start + batch_size]))
        correct += int((logits.argmax(1) == crops.labels[start:start + batch_size]).sum())
    return correct / len(crops)


def _read(path: str, flags: int) -> np.ndarray:
    image = cv2.imread(path, flags)
    if image is None:
        raise FileNotFoundError(f'missing or unreadable image: {path}')
    return image


def _square(bbox: Sequence[float], context: float) -> Tuple[int, int, int]:
    """``(x0, y0, side)`` of the square of side ``context * max(w, h)`` centred on the box."""
    x, y, w, h = bbox
    side = max(int(round(context * max(w, h))), 2)
    return int(round(x + w / 2 - side / 2)), int(round(y + h / 2 - side / 2)), side


def _cut(image: np.ndarray, box: Tuple[int, int, int], fill: int = 0) -> np.ndarray:
    """The ``side x side`` window at ``(x0, y0)``; pixels outside the image are ``fill``."""
    x0, y0, side = box
    out = np.full((side, side, *image.shape[2:]), fill, dtype=image.dtype)
    h, w = image.shape[:2]
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return out
