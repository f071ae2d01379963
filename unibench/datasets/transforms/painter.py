"""In-context colouring of (prompt, query) pairs for the painter (SegGPT, Wang et al. ICCV 2023).

:class:`PainterColorize` turns the panoptic annotation of a query image and of its context
images (drawn by :class:`~unibench.datasets.PainterPairDataset`) into one coloured prompt pair
and the query's coloured target; :class:`PackPainterInputs` packs them for the model, which
stitches the canvases (``unibench.models.segmentors.painter``).
"""
import math
from typing import List, Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.structures import DetDataSample

from unibench.registry import TRANSFORMS
from unibench.structures import IGNORE_INDEX
from unibench.structures.painter import (
    instance_map,
    location_colors,
    location_palette,
    paint,
    random_colors,
    semantic_palette,
)


@TRANSFORMS.register_module()
class PainterColorize(BaseTransform):
    """Colours a query and its context with one shared colour mapping (SegGPT §3.1).

    Per sample, by task:

    * semantic, ``palette`` (prob. ``palette_prob``): the fixed Painter class palette that
      inference uses. SegGPT starts from the Painter checkpoint, which was trained this way; the
      mix stands in for that initialisation when training from scratch.
    * semantic, ``random``: every class present gets a fresh random colour, the same in prompt
      and query ("same colour = same class"). The context is another image of the split; with
      several context images (mixed context) they are tiled 2 x 2 and a random crop of the
      mosaic, resized to the image size, is the prompt (SegGPT "mix-context training").
    * instance, ``location`` (prob. ``location_prob``): Painter's class-agnostic instance
      colours (each instance takes the colour of its mass centre's grid cell), prompt and query
      each coloured on their own. Inference colours instance prompts this way, so the model
      must be trained on it (random instance colours cannot be decoded without a prompt showing
      the query's own instances).
    * instance, ``random-view``: the prompt is a second augmented view (flip, random resized
      crop) of the query itself, each instance with a random colour shared by both views ("same
      colour = same instance"; SegGPT counts augmented views as context).

    Void pixels (label 255) and crowd regions (a thing class outside every instance mask) are
    black and invalid; background of instance targets is black and valid. An instance sample
    whose query has no instance is invalid throughout (Painter's pair dataset zeroes ``valid``
    when the target has (almost) no foreground).

    Required keys: ``query`` and ``context`` (list), each a results dict with ``img`` (H, W, 3),
    ``gt_seg_map`` (H, W) and ``gt_masks`` (N, H, W), all images the same size; ``task``.
    Added keys (query metainfo kept): ``prompt_img``, ``prompt_tgt``, ``query_tgt`` ((H, W, 3),
    targets uint8 RGB), ``prompt_valid``, ``query_valid`` ((H, W) uint8), ``scheme``,
    ``prompt_ids``.

    Args:
        num_classes: Classes of the dataset (size of the palette).
        num_things_classes: Labels below it are things (for crowd detection).
        location_cells: ``(global, local)`` cells per side of the location palette.
        palette_prob: Probability of the fixed palette for semantic samples.
        location_prob: Probability of location colours for instance samples.
        crop_scale: Area range of the random resized crops (augmented view, mosaic).
    """

    def __init__(self, *, num_classes: int, num_things_classes: int,
                 location_cells: Tuple[int, int], palette_prob: float = 0.5,
                 location_prob: float = 0.5,
                 crop_scale: Tuple[float, float] = (0.5, 1.0)) -> None:
        self.num_things_classes = num_things_classes
        self.palette = semantic_palette(num_classes)
        self.location_palette = location_palette(*location_cells)
        self.palette_prob = palette_prob
        self.location_prob = location_prob
        self.crop_scale = crop_scale

    def transform(self, results: dict) -> dict:
        rng = np.random.default_rng(np.random.randint(0, 2**31))  # np.random: seeded per worker
        task, query, context = results['task'], results['query'], results['context']
        items = [image_targets(r, self.num_things_classes) for r in [query, *context]]
        if task == 'semantic':
            scheme = 'palette' if rng.random() < self.palette_prob else 'random'
            prompt, query_t = self._semantic(items, scheme, rng)
        elif task == 'instance':
            scheme = 'location' if rng.random() < self.location_prob else 'random-view'
            prompt, query_t = self._instance(items, scheme, rng)
        else:
            raise ValueError(f'PainterColorize: task {task!r} is not a colouring task; the '
                             'painter trains on "semantic" and "instance"')
        out = {k: v for k, v in query.items() if k not in ('gt_masks', 'gt_seg_map')}
        out.update(task=task, scheme=scheme, prompt_img=prompt[0], prompt_tgt=prompt[1],
                   prompt_valid=prompt[2], query_tgt=query_t[0], query_valid=query_t[1],
                   prompt_ids=[r.get('img_id') for r in context] if scheme != 'random-view'
                   else [query.get('img_id')])
        return out

    def _semantic(self, items: List[dict], scheme: str, rng: np.random.Generator):
        labels = sorted({int(c) for it in items for c in np.unique(it['sem'])} - {IGNORE_INDEX})
        if scheme == 'palette':
            colors = {c: self.palette[c] for c in labels}
        else:
            colors = dict(zip(labels, random_colors(len(labels), rng)))
        painted = [(it['img'], paint(it['sem'], colors), (it['sem'] != IGNORE_INDEX))
                   for it in items]
        query, context = painted[0], painted[1:]
        prompt = context[0] if len(context) == 1 else mosaic(context, rng, self.crop_scale)
        return _as_uint8(prompt), _as_uint8(query)[1:]

    def _instance(self, items: List[dict], scheme: str, rng: np.random.Generator):
        query = items[0]
        if scheme == 'location':
            prompt = items[1]
            pairs = [(it, location_colors(it['masks'], self.location_palette))
                     for it in (prompt, query)]
        else:
            prompt = augmented_view(query, rng, self.crop_scale)
            colors = random_colors(len(query['masks']), rng)
            pairs = [(prompt, colors), (query, colors)]
        painted = [(it['img'], paint(it['inst'], dict(enumerate(c))), it['inst_valid'])
                   for it, c in pairs]
        if not (query['inst'] >= 0).any():  # nothing to paint: the sample teaches nothing
            painted = [(img, tgt, np.zeros_like(valid)) for img, tgt, valid in painted]
        return _as_uint8(painted[0]), _as_uint8(painted[1])[1:]


@TRANSFORMS.register_module()
class PainterRandomResizedCrop(BaseTransform):
    """Painter's training crop (Painter/main_train.py ``RandomResizedCrop(448, scale=(0.3, 1),
    interpolation=3)``, torchvision's algorithm): a crop of random area fraction in ``scale``
    and random aspect ratio (log-uniform in ``ratio``) resized to ``size`` **without** keeping
    its aspect ratio, so the canvas is always full (no padding) and train and test geometry
    agree (inference squashes every image to ``size``). Ten draws; when none fits the image,
    the centre crop with the closest allowed ratio.

    The image is resized with ``interpolation`` (Painter: bicubic), the semantic map and the
    instance masks by nearest neighbour (Painter's ``interpolation2 = 'nearest'`` for
    segmentation targets); instances left empty by the crop are dropped and the boxes are
    recomputed from the masks.

    Modified keys: ``img``, ``img_shape``, ``scale_factor``, ``gt_seg_map``, ``gt_masks``,
    ``gt_bboxes``, ``gt_bboxes_labels``, ``gt_ignore_flags``.

    Args:
        size: ``(H, W)`` of the output.
        scale: Range of the crop's area as a fraction of the image's.
        ratio: Range of the crop's aspect ratio (width / height).
        interpolation: mmcv interpolation of the image.
    """

    def __init__(self, *, size: Tuple[int, int], scale: Tuple[float, float] = (0.3, 1.0),
                 ratio: Tuple[float, float] = (3 / 4, 4 / 3),
                 interpolation: str = 'bicubic') -> None:
        if not (0 < scale[0] <= scale[1] <= 1 and 0 < ratio[0] <= ratio[1]):
            raise ValueError(f'PainterRandomResizedCrop: bad scale {scale} or ratio {ratio}')
        self.size = tuple(size)
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        y0, x0, ch, cw = random_resized_box(results['img'].shape[:2], self.scale, self.ratio,
                                            np.random)
        out_h, out_w = self.size
        crop = lambda a: np.ascontiguousarray(a[y0:y0 + ch, x0:x0 + cw])  # noqa: E731
        results['img'] = mmcv.imresize(crop(results['img']), (out_w, out_h),
                                       interpolation=self.interpolation)
        results['img_shape'] = (out_h, out_w)
        results['scale_factor'] = (out_w / cw, out_h / ch)
        if results.get('gt_seg_map') is not None:
            results['gt_seg_map'] = mmcv.imresize(crop(results['gt_seg_map']), (out_w, out_h),
                                                  interpolation='nearest')
        if results.get('gt_masks') is not None:
            masks = results['gt_masks'].crop(np.asarray([x0, y0, x0 + cw, y0 + ch]))
            masks = masks.resize((out_h, out_w))
            keep = masks.masks.reshape(len(masks), -1).any(axis=1)
            masks = masks[np.flatnonzero(keep)]
            results['gt_masks'] = masks
            for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
                if results.get(key) is not None:
                    results[key] = results[key][keep]
            if results.get('gt_bboxes') is not None:
                results['gt_bboxes'] = masks.get_bboxes(type(results['gt_bboxes']))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, scale={self.scale}, '
                f'ratio={self.ratio}, interpolation={self.interpolation!r})')


def random_resized_box(shape: Tuple[int, int], scale: Tuple[float, float],
                       ratio: Tuple[float, float], rng=np.random) -> Tuple[int, int, int, int]:
    """``(y0, x0, h, w)`` of a random resized crop of an ``(H, W)`` image: area fraction
    uniform in ``scale``, aspect ratio ``w / h`` log-uniform in ``ratio``, position uniform;
    after ten misses the centre crop of the image clipped to ``ratio`` (torchvision
    ``RandomResizedCrop.get_params``, the crop Painter trains with)."""
    height, width = shape
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(*log_ratio))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            return int(rng.randint(0, height - h + 1)), int(rng.randint(0, width - w + 1)), h, w
    aspect = width / height
    if aspect < ratio[0]:
        w, h = width, int(round(width / ratio[0]))
    elif aspect > ratio[1]:
        w, h = int(round(height * ratio[1])), height
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


@TRANSFORMS.register_module()
class PackPainterInputs(BaseTransform):
    """Packs a coloured pair: ``inputs`` is the query image ``(3, H, W)`` (as PackDetInputs,
    BGR); the sample carries ``prompt_img`` ``(3, H, W)`` float (BGR), ``prompt_tgt`` and
    ``query_tgt`` ``(3, H, W)`` uint8 (RGB), ``prompt_valid`` and ``query_valid`` ``(1, H, W)``.

    Args:
        meta_keys: Keys copied into the sample's metainfo.
    """

    def __init__(self, *, meta_keys: Sequence[str] = (
            'img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
            'flip_direction', 'task', 'scheme', 'prompt_ids')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        sample = DetDataSample(metainfo={k: results[k] for k in self.meta_keys if k in results})
        sample.prompt_img = _chw(results['prompt_img']).float()
        for key in ('prompt_tgt', 'query_tgt'):
            setattr(sample, key, _chw(results[key]))
        for key in ('prompt_valid', 'query_valid'):
            setattr(sample, key, torch.from_numpy(np.ascontiguousarray(results[key]))[None])
        return dict(inputs=_chw(results['img']), data_samples=sample)


def image_targets(results: dict, num_things_classes: int) -> dict:
    """Image, semantic map and instance map of one image, crowd pixels made void."""
    img, sem = results['img'], results['gt_seg_map'].astype(np.int64)
    masks = results['gt_masks'].to_ndarray().astype(bool) if 'gt_masks' in results else \
        np.zeros((0, *sem.shape), bool)
    inst = instance_map(masks, sem.shape)
    crowd = (sem < num_things_classes) & (inst < 0)
    sem = np.where(crowd, IGNORE_INDEX, sem)
    return dict(img=img, sem=sem, masks=masks, inst=inst, inst_valid=~crowd)


def augmented_view(item: dict, rng: np.random.Generator,
                   scale: Tuple[float, float]) -> dict:
    """A second view of one image: random horizontal flip and random resized crop, with the
    instance masks kept in their order (so instance ``i`` is the same object in both views)."""
    img, inst, valid = item['img'], item['inst'], item['inst_valid']
    if rng.random() < 0.5:
        img, inst, valid = img[:, ::-1], inst[:, ::-1], valid[:, ::-1]
    box = _random_box(img.shape[:2], rng, scale)
    img, inst, valid = crop_resize([img, inst, valid], box, img.shape[:2])
    masks = np.stack([inst == i for i in range(len(item['masks']))]) if len(item['masks']) \
        else item['masks']
    return dict(img=img, inst=inst, inst_valid=valid.astype(bool), masks=masks)


def mosaic(items: Sequence[tuple], rng: np.random.Generator,
           scale: Tuple[float, float]) -> tuple:
    """Tiles up to four ``(img, tgt, valid)`` in a 2 x 2 grid at half size each, then takes a
    random resized crop of the mosaic at the original size."""
    h, w = items[0][0].shape[:2]
    half = (h // 2, w // 2)
    tiles = [crop_resize(list(it), (0, 0, it[0].shape[0], it[0].shape[1]), half)
             for it in items[:4]]
    while len(tiles) < 4:  # fewer images than cells: leave the cell void
        tiles.append([np.zeros_like(t) for t in tiles[0]])
    rows = [[np.concatenate([a[k], b[k]], axis=1) for k in range(3)]
            for a, b in (tiles[:2], tiles[2:])]
    grid = [np.concatenate([rows[0][k], rows[1][k]], axis=0) for k in range(3)]
    box = _random_box(grid[0].shape[:2], rng, scale)
    return tuple(crop_resize(grid, box, (h, w)))


def crop_resize(arrays: List[np.ndarray], box: Tuple[int, int, int, int],
                size: Tuple[int, int]) -> List[np.ndarray]:
    """Crops ``box`` = (y0, x0, y1, x1) of each array and resizes it to ``size`` (H, W): the first
    array (the image) bilinearly, the others (labels, colours, masks) by nearest neighbour."""
    y0, x0, y1, x1 = box
    out = []
    for i, a in enumerate(arrays):
        crop = np.ascontiguousarray(a[y0:y1, x0:x1])
        dtype = crop.dtype
        if dtype == np.bool_:
            crop = crop.astype(np.uint8)
        elif dtype == np.int64:
            crop = crop.astype(np.int32)
        resized = mmcv.imresize(crop, (size[1], size[0]),
                                interpolation='bilinear' if i == 0 else 'nearest')
        out.append(resized.astype(dtype))
    return out


def _random_box(shape: Tuple[int, int], rng: np.random.Generator,
                scale: Tuple[float, float]) -> Tuple[int, int, int, int]:
    h, w = shape
    s = np.sqrt(rng.uniform(*scale))
    ch, cw = max(1, int(round(h * s))), max(1, int(round(w * s)))
    y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    return y0, x0, y0 + ch, x0 + cw


def _as_uint8(item: tuple) -> tuple:
    img, tgt, valid = item
    return img, tgt.astype(np.uint8), valid.astype(np.uint8)


def _chw(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
