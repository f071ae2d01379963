"""SegGPT-style in-context painter; follows baaivision/Painter SegGPT/SegGPT_inference
(models_seggpt.py, seggpt_engine.py; commit e7824926, MIT).

Wang et al., "SegGPT: Segmenting Everything In Context", ICCV 2023. Every task is inpainting:
given a prompt pair (image, coloured target) stacked above the query image, the model paints the
query's target. The encoder is :class:`~unibench.models.backbones.PainterViT`, the pixel decoder
:class:`~unibench.models.pixel_decoders.painter_decoder.PainterHead`, the loss
:class:`~unibench.models.losses.MaskedSmoothL1Loss`; paintings are decoded by
:mod:`unibench.models.postprocess.painter_decode`.
"""
import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Protocol, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures import SampleList
from mmengine.config import ConfigDict
from mmengine.model import BaseModel
from torch import Tensor

from unibench.models.backbones.painter_vit import SEG_TYPES
from unibench.models.postprocess.painter_decode import (
    decode_instances,
    decode_semantic,
    merge_panoptic,
)
from unibench.models.segmentors.global_losses import GlobalLossLog
from unibench.registry import MODELS
from unibench.structures import TASKS
from unibench.structures.painter import location_palette, semantic_palette

ENSEMBLES = ('feature', 'spatial')
# Painter's training masks (train_painter_vit_large.sh: 784 of 1568 target patches, at most 392
# per block, at least 16; main_train.py --half_mask_ratio 0.1: the whole query half).
TRAIN_DEFAULTS = dict(mask_ratio=0.5, max_block_ratio=0.25, min_block_patches=16,
                      half_mask_prob=0.1)
TEST_DEFAULTS = dict(task='panoptic', num_prompts=1, ensemble='feature', prompt_seed=0,
                     prompt_split='train', prompt_dataset=None, prompt_file=None,
                     inst_dist_thr=19.0, inst_min_area=1, inst_max_candidates=2000,
                     max_per_image=100,
                     pan_score_thr=0.0, pan_overlap_thr=0.5, stuff_min_area=64)


@dataclass
class Prompt:
    """Prompt pairs of one colouring kind: ``img`` and ``tgt`` ``(k, 3, H, W)``, normalised."""

    img: Tensor
    tgt: Tensor
    ids: List[int]
    source: str


class PromptSource(Protocol):
    """What the painter needs of its prompts (:class:`unibench.engine.painter_prompts.PromptBank`
    builds them from data): the prompts of a kind, and the protocol to record with predictions."""

    def get(self, kind: str) -> Prompt:
        ...

    def record(self) -> dict:
        ...


@MODELS.register_module()
class Painter(GlobalLossLog, BaseModel):
    """In-context painter: one model, three tasks, each decoded from paintings.

    Training (:meth:`loss`): samples from :class:`~unibench.datasets.PainterPairDataset` carry a
    coloured prompt pair and the query's coloured target; the image canvas ``[prompt; query]``
    and target canvas ``[prompt target; query target]`` (each ``(3, 2H, W)``) go through the
    encoder with block-masked target patches, and the smooth-L1 loss is taken on the masked,
    valid pixels.

    Inference (:meth:`predict`): ``num_prompts`` prompt pairs from the training split (seeded,
    see :class:`PromptBank`) or a tuned prompt file; the query half of the target canvas is fully
    masked. A semantic pass paints class colours (type token "semantic"); instance and panoptic
    add an instance pass with location colours (type token "instance"), as Painter's COCO
    panoptic evaluation. Several prompts are combined by the feature ensemble (query tokens
    averaged after each attention) or the spatial ensemble (prompts tiled ``n x n`` in the prompt
    half), ``test_cfg.ensemble``.

    Args:
        backbone: :class:`PainterViT` config.
        decode_head: :class:`PainterHead` config; width, inputs and patch come from the backbone.
        loss: :class:`MaskedSmoothL1Loss` config.
        num_classes: Classes of the dataset (semantic palette size); things first.
        num_things_classes: Number of thing classes.
        location_cells: ``(global, local)`` cells of the location palette (as the data's).
        data_preprocessor: ``DetDataPreprocessor`` config (ImageNet mean / std, BGR -> RGB).
        train_cfg: Masking (:data:`TRAIN_DEFAULTS`).
        test_cfg: Prompts, ensemble and decoding thresholds (:data:`TEST_DEFAULTS`).
        init_cfg: mmengine init config.
    """

    family = 'seggpt'

    def __init__(self, *, backbone: dict, decode_head: dict, loss: dict, num_classes: int,
                 num_things_classes: int, location_cells: Tuple[int, int],
                 data_preprocessor: Optional[dict] = None, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.decode_head = MODELS.build(decode_head, default_args=dict(
            in_channels=self.backbone.embed_dim, num_inputs=len(self.backbone.out_indices),
            patch_size=self.backbone.patch_size))
        self.loss_painting = MODELS.build(loss)
        self.num_classes = num_classes
        self.num_things_classes = num_things_classes
        self.train_cfg = ConfigDict({**TRAIN_DEFAULTS, **(train_cfg or {})})
        self.test_cfg = ConfigDict({**TEST_DEFAULTS, **(test_cfg or {})})
        _check_keys(self.train_cfg, TRAIN_DEFAULTS, 'train_cfg')
        _check_keys(self.test_cfg, TEST_DEFAULTS, 'test_cfg')
        if self.test_cfg.ensemble not in ENSEMBLES:
            raise ValueError(f'Painter test_cfg.ensemble must be one of {ENSEMBLES}, got '
                             f'{self.test_cfg.ensemble!r}')
        self.register_buffer('palette', torch.from_numpy(semantic_palette(num_classes)).float(),
                             persistent=False)
        self.register_buffer('location_palette', torch.from_numpy(
            location_palette(*location_cells)).float(), persistent=False)
        self._prompt_bank: Optional[PromptSource] = None

    # ---- canvas -----------------------------------------------------------------------------
    def normalize_images(self, imgs: Tensor) -> Tensor:
        """``(N, 3, H, W)`` images as packed (0-255, BGR if the preprocessor converts) ->
        normalised RGB, exactly as the data preprocessor treats ``inputs``."""
        pre = self.data_preprocessor
        if getattr(pre, '_channel_conversion', False):
            imgs = imgs[:, [2, 1, 0]]
        return (imgs.float() - pre.mean) / pre.std

    def normalize_targets(self, tgts: Tensor) -> Tensor:
        """``(N, 3, H, W)`` RGB colour targets 0-255 -> ImageNet-normalised (Painter)."""
        return (tgts.float() - self.data_preprocessor.mean) / self.data_preprocessor.std

    def denormalize(self, x: Tensor) -> Tensor:
        """Normalised painting -> RGB in [0, 255] (seggpt_engine ``run_one_image``)."""
        pre = self.data_preprocessor
        return (x * pre.std + pre.mean).clamp(0, 255)

    def inpaint(self, prompt_img: Tensor, prompt_tgt: Tensor, query_img: Tensor,
                query_tgt: Tensor, mask: Tensor, seg_type: Tensor,
                num_prompts: int = 1) -> Tuple[Tensor, Tensor]:
        """Stitches the canvases and paints them.

        Args:
            prompt_img, prompt_tgt, query_img, query_tgt: ``(N, 3, H, W)`` normalised.
            mask: ``(N, 2H / p, W / p)`` bool, masked target patches.
            seg_type: ``(N,)`` index into ``SEG_TYPES``.
            num_prompts: Adjacent samples sharing a query (feature ensemble).

        Returns:
            The painting ``(N, 3, 2H, W)`` and the target canvas, both normalised.
        """
        imgs = torch.cat([prompt_img, query_img], dim=2)  # prompt on top (seggpt_engine)
        tgts = torch.cat([prompt_tgt, query_tgt], dim=2)
        feats = self.backbone.forward_pair(imgs, tgts, mask, seg_type, num_prompts=num_prompts)
        return self.decode_head(feats), tgts

    def pixel_weight(self, mask: Tensor, valid: Tensor) -> Tensor:
        """``(N, 1, 2H, W)`` loss weight: masked patches (``(N, h, w)``) x valid pixels."""
        p = self.backbone.patch_size
        pixels = mask.repeat_interleave(p, dim=1).repeat_interleave(p, dim=2)
        return pixels[:, None].to(valid.dtype) * valid

    def train_masks(self, num: int, grid: Tuple[int, int], device) -> Tensor:
        """``(num, h, w)`` masks: Painter's block masking, or the whole query half with
        probability ``half_mask_prob``."""
        cfg = self.train_cfg
        total = grid[0] * grid[1]
        masks = []
        for _ in range(num):
            if np.random.rand() < cfg.half_mask_prob:
                m = np.zeros(grid, bool)
                m[grid[0] // 2:] = True
            else:
                m = block_mask(grid, int(round(cfg.mask_ratio * total)),
                               min_block=cfg.min_block_patches,
                               max_block=int(round(cfg.max_block_ratio * total)))
            masks.append(m)
        return torch.from_numpy(np.stack(masks)).to(device)

    # ---- training ---------------------------------------------------------------------------
    def loss(self, inputs: Tensor, data_samples: SampleList) -> Dict[str, Tensor]:
        """Masked reconstruction loss of the coloured targets.

        Args:
            inputs: ``(B, 3, H, W)`` normalised query images.
            data_samples: Samples from ``PackPainterInputs`` (prompt pair, query target, valid
                masks, ``task``).
        """
        stack = lambda key: torch.stack([getattr(s, key) for s in data_samples])  # noqa: E731
        prompt_img = self.normalize_images(stack('prompt_img'))
        prompt_tgt, query_tgt = (self.normalize_targets(stack(k))
                                 for k in ('prompt_tgt', 'query_tgt'))
        valid = torch.cat([stack('prompt_valid'), stack('query_valid')], dim=2).float()
        seg_type = seg_types([s.metainfo['task'] for s in data_samples], inputs.device)
        p = self.backbone.patch_size
        grid = (2 * inputs.shape[2] // p, inputs.shape[3] // p)
        mask = self.train_masks(len(inputs), grid, inputs.device)
        pred, tgts = self.inpaint(prompt_img, prompt_tgt, inputs, query_tgt, mask, seg_type)
        return dict(loss_painting=self.loss_painting(pred, tgts, self.pixel_weight(mask, valid)))

    # ---- inference --------------------------------------------------------------------------
    @property
    def has_prompts(self) -> bool:
        return self._prompt_bank is not None

    def attach_prompts(self, bank: PromptSource) -> None:
        """Hands the model its inference prompts (the model reads no data itself)."""
        self._prompt_bank = bank

    def prompt_bank(self) -> PromptSource:
        """The inference prompts; an error if none were attached."""
        if self._prompt_bank is None:
            raise RuntimeError(
                'Painter has no inference prompts: unibench.engine.attach_prompts(model) builds '
                'them from test_cfg (prompt_dataset, prompt_file); the task loops '
                '(TaskValLoop, TaskTestLoop) and unibench.benchmark.build_inference_model call it')
        return self._prompt_bank

    def paint(self, inputs: Tensor, kind: str, prompt: Optional[Prompt] = None) -> Tensor:
        """Paints the query targets of a batch.

        Args:
            inputs: ``(B, 3, H, W)`` normalised query images.
            kind: ``'semantic'`` (class colours) or ``'instance'`` (location colours).
            prompt: Prompt pairs; by default the prompt bank's for ``kind``.

        Returns:
            ``(B, 3, H, W)`` RGB painting in [0, 255].
        """
        prompt = prompt or self.prompt_bank().get(kind)
        size = tuple(inputs.shape[-2:])
        p_img, p_tgt = _resize(prompt.img, size, 'bilinear'), _resize(prompt.tgt, size, 'nearest')
        if self.test_cfg.ensemble == 'spatial' and len(p_img) > 1:
            p_img, p_tgt = tile_prompts(p_img, 'bilinear'), tile_prompts(p_tgt, 'nearest')
        k, b = len(p_img), len(inputs)
        p_img, p_tgt = p_img.repeat(b, 1, 1, 1), p_tgt.repeat(b, 1, 1, 1)
        query = inputs.repeat_interleave(k, dim=0)
        p = self.backbone.patch_size
        mask = torch.zeros(b * k, 2 * size[0] // p, size[1] // p, dtype=torch.bool,
                           device=inputs.device)
        mask[:, size[0] // p:] = True  # the whole query target (seggpt_engine)
        seg_type = seg_types([kind] * (b * k), inputs.device)
        # The query target is unknown and fully masked; the official code fills it with the
        # prompt target ("tgt is not available").
        pred, _ = self.inpaint(p_img, p_tgt, query, p_tgt, mask, seg_type, num_prompts=k)
        return self.denormalize(pred[::k, :, size[0]:])

    def predict(self, inputs: Tensor, data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Writes ``pred_sem_seg``, ``pred_instances`` or ``pred_panoptic_seg`` per the
        sample's task, and the prompt protocol (ids, k, seed, split) into its metainfo."""
        tasks = [s.metainfo.get('task', self.test_cfg.task) for s in data_samples]
        unknown = sorted(set(tasks) - set(TASKS))
        if unknown:
            raise ValueError(f'Painter: unknown task(s) {unknown}; expected one of {TASKS}')
        sem = self.paint(inputs, 'semantic')
        ins = self.paint(inputs, 'instance') if set(tasks) - {'semantic'} else None
        cfg = self.test_cfg
        record = self.prompt_bank().record()
        for i, (sample, task) in enumerate(zip(data_samples, tasks)):
            # Semantic paintings are upsampled bilinearly, instance paintings by nearest
            # neighbour (Painter painter_inference_pano_{semseg,inst}.py): blending neighbouring
            # location colours at instance edges would make colours of other instances.
            sem_pred, sem_dist = decode_semantic(_original(sem[i], sample, rescale, 'bilinear'),
                                                 self.palette)
            if task == 'semantic':
                sample.pred_sem_seg = sem_pred
            else:
                instances = decode_instances(
                    _original(ins[i], sample, rescale, 'nearest'), self.location_palette,
                    sem_dist, num_things_classes=self.num_things_classes,
                    dist_thr=cfg.inst_dist_thr, min_area=cfg.inst_min_area,
                    max_candidates=cfg.inst_max_candidates, max_per_image=cfg.max_per_image)
                if task == 'instance':
                    sample.pred_instances = instances
                else:
                    sample.pred_panoptic_seg = merge_panoptic(
                        sem_pred.sem_seg[0], instances, num_things_classes=self.num_things_classes,
                        num_classes=self.num_classes, score_thr=cfg.pan_score_thr,
                        overlap_thr=cfg.pan_overlap_thr, stuff_min_area=cfg.stuff_min_area)
            sample.set_metainfo(record)
        return data_samples

    def _forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None) -> tuple:
        """Paintings (``(B, 3, H, W)`` each) the samples' tasks need: semantic, then instance."""
        tasks = {s.metainfo.get('task', self.test_cfg.task) for s in data_samples or []}
        kinds = ['semantic'] + (['instance'] if tasks - {'semantic'} else [])
        return tuple(self.paint(inputs, kind) for kind in kinds)

    def forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None,
                mode: str = 'tensor'):
        """mmengine dispatch: ``loss``, ``predict`` or ``tensor``."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Painter: invalid mode {mode!r}; use loss, predict or tensor')


def seg_types(kinds: List[str], device) -> Tensor:
    """``(N,)`` type-token indices of ``'semantic'`` / ``'instance'``."""
    bad = sorted(set(kinds) - set(SEG_TYPES))
    if bad:
        raise ValueError(f'Painter trains on {SEG_TYPES} colouring tasks, got {bad}')
    return torch.tensor([SEG_TYPES.index(k) for k in kinds], device=device)


def tile_prompts(x: Tensor, mode: str) -> Tensor:
    """Spatial ensemble (SegGPT §3.2): ``k = n * n`` prompts ``(k, C, H, W)`` sub-sampled to
    ``(H / n, W / n)`` and tiled row-major into one ``(1, C, H, W)`` prompt."""
    k, c, h, w = x.shape
    n = int(round(math.sqrt(k)))
    if n * n != k:
        raise ValueError(f'spatial ensemble needs a square number of prompts, got {k}')
    small = _resize(x, (h // n, w // n), mode)
    grid = small.reshape(n, n, c, h // n, w // n).permute(2, 0, 3, 1, 4)
    return _resize(grid.reshape(1, c, n * (h // n), n * (w // n)), (h, w), mode)


def _resize(x: Tensor, size: Tuple[int, int], mode: str) -> Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    kwargs = dict(align_corners=False) if mode == 'bilinear' else {}
    return F.interpolate(x, size=size, mode=mode, **kwargs)


def _original(painting: Tensor, sample, rescale: bool, mode: str) -> Tensor:
    """Drops batch padding and, with ``rescale``, resizes to the original size with ``mode``
    (the official inference resizes the painting before decoding)."""
    h, w = sample.metainfo['img_shape'][:2]
    painting = painting[:, :h, :w]
    if rescale:
        painting = _resize(painting[None], tuple(sample.metainfo['ori_shape'][:2]), mode)[0]
    return painting


def _check_keys(cfg: dict, defaults: dict, name: str) -> None:
    unknown = sorted(set(cfg) - set(defaults))
    if unknown:
        raise KeyError(f'Painter {name}: unknown keys {unknown}; known: {sorted(defaults)}')


# Block-wise patch masking of BEiT (microsoft/unilm beit/masking_generator.py, MIT), which Painter's
# training uses on the target canvas (--num_mask_patches 784 --max_mask_patches_per_block 392, min
# 16 per block; Painter/train_painter_vit_large.sh).
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
