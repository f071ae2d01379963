"""Training-step and inference speed of unibench beside its peers at one configuration.

Peers: mmdet 3.3's ``Mask2Former`` (its ``Mask2FormerHead``), HuggingFace transformers'
``Mask2FormerForUniversalSegmentation`` and ``OneFormerForUniversalSegmentation``. Each is built
from the numbers of one unibench config (backbone, widths, queries, layers, points, classes), in
one process, and timed on the same images and targets (shapes images of the config's size):

* train step: preprocessing, forward, loss, backward, gradient clipping and the AdamW update,
  each framework's own way (mmengine's ``OptimWrapper`` for unibench and mmdet as their runners
  do; ``torch.optim.AdamW`` + ``clip_grad_norm_`` for transformers, as its ``Trainer`` does);
* inference: one image, forward and panoptic post-processing, in eval mode without gradients.

``precision`` is the training's, the same for every implementation: ``fp32``, or ``bf16``
(``torch.autocast`` around forward and loss: unibench's and mmdet's ``AutocastOptimWrapper``,
transformers' step inside ``torch.autocast``; mmdet is left out on CUDA, where mmcv's deformable
attention kernel has no bf16). Inference is fp32.

Steps are interleaved across the implementations (round-robin) so that a change of machine speed
affects all alike; the median of each is reported. Peak memory is measured separately, in a fresh
process per implementation (peak RSS after two training steps), or as CUDA's peak allocation.
"""
import copy
import logging
import os
import statistics
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config, ConfigDict
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from torch import nn

from unibench.datasets.synthetic import render_sample
from unibench.models.layers.tokenizer import tokenize
from unibench.registry import DATASETS, MODELS


@dataclass
class Peer:
    """One implementation, ready to time: closures over its model and the shared inputs."""

    name: str
    family: str
    model: nn.Module
    train_step: Callable[[], None]
    infer: Callable[[], None]
    notes: List[str] = field(default_factory=list)


def shapes_batch(size: int, batch: int, *, seed: int = 0) -> List[dict]:
    """``batch`` generated shapes images of ``size``: ``image`` uint8 (H, W, 3), ``labels`` (M,)
    contiguous things-first, ``masks`` bool (M, H, W) (every segment, as panoptic targets)."""
    items = []
    for i in range(batch):
        image, ids, segments = render_sample(np.random.default_rng([seed, 7, i]), size)
        items.append(dict(image=image,
                          labels=torch.tensor([s['category_id'] - 1 for s in segments]),
                          masks=torch.from_numpy(np.stack([ids == s['id'] for s in segments]))))
    return items


def mmdet_head_cfg(head: ConfigDict, *, in_channels: Sequence[int],
                   strides: Sequence[int]) -> ConfigDict:
    """unibench's ``Mask2FormerHead`` config spelled as mmdet's ``Mask2FormerHead`` config."""
    crit = head.criterion
    num_classes = head.num_things_classes + head.num_stuff_classes
    return ConfigDict(
        type='mmdet.Mask2FormerHead', in_channels=list(in_channels), strides=list(strides),
        feat_channels=head.embed_dims, out_channels=head.embed_dims,
        num_things_classes=head.num_things_classes, num_stuff_classes=head.num_stuff_classes,
        num_queries=head.num_queries, num_transformer_feat_level=head.pixel_decoder.num_outs,
        pixel_decoder=copy.deepcopy(head.pixel_decoder), enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=head.embed_dims // 2, normalize=True),
        transformer_decoder=dict(return_intermediate=True,
                                 **copy.deepcopy(head.transformer_decoder)),
        loss_cls=dict(crit.loss_cls, class_weight=[1.0] * num_classes + [crit.no_object_weight]),
        loss_mask=crit.loss_mask, loss_dice=crit.loss_dice,
        train_cfg=dict(num_points=crit.num_points, oversample_ratio=crit.oversample_ratio,
                       importance_sample_ratio=crit.importance_sample_ratio,
                       assigner=crit.assigner, sampler=dict(type='mmdet.MaskPseudoSampler')))


PRECISIONS = ('fp32', 'bf16')


def build_peers(cfg: Config, *, batch: int, size: int, device: str = 'cpu',
                which: Sequence[str] = ('unibench', 'mmdet', 'transformers'),
                precision: str = 'fp32') -> List[Peer]:
    """The implementations of ``cfg``'s model family that ``which`` names, on shared inputs,
    training in ``precision`` (``fp32`` or ``bf16``)."""
    if precision not in PRECISIONS:
        raise ValueError(f'precision {precision!r} is not one of {PRECISIONS}')
    cfg = copy.deepcopy(cfg)
    wrapper = cfg.optim_wrapper
    if precision == 'bf16':
        wrapper.update(type='AutocastOptimWrapper', dtype='bfloat16')
    elif wrapper.get('type') == 'AutocastOptimWrapper':  # a config's own bf16: fp32 asked
        wrapper.type = 'OptimWrapper'
        wrapper.pop('dtype', None)
    init_default_scope('unibench')
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # no per-parameter init / optimizer logs
    try:
        return _build_peers(cfg, items=shapes_batch(size, batch), device=device, which=which,
                            precision=precision)
    finally:
        logger.setLevel(level)


def _build_peers(cfg: Config, *, items: List[dict], device: str, which: Sequence[str],
                 precision: str) -> List[Peer]:
    family = cfg.model.type.lower()
    # unibench's and mmdet's precision is their optim wrapper's (build_peers sets it).
    builders = dict(unibench=_unibench, mmdet=_mmdet,
                    transformers=partial(_transformers, precision=precision))
    peers = []
    for name in which:
        if name == 'mmdet' and family != 'mask2former':
            continue  # mmdet has no OneFormer
        if name == 'mmdet' and precision == 'bf16' and device.startswith('cuda'):
            continue  # mmcv's CUDA deformable attention has no bf16 kernel
        torch.manual_seed(0)
        peers.append(builders[name](cfg, items, device))
    return peers


def time_peers(peers: Sequence[Peer], *, steps: int = 5, warmup: int = 2,
               infer_images: int = 10, progress: Optional[Callable[[str], None]] = None
               ) -> Dict[str, Dict[str, float]]:
    """Median seconds per training step and ms per inferred image of each peer (interleaved)."""
    say = progress or (lambda _: None)
    train: Dict[str, List[float]] = {p.name: [] for p in peers}
    infer: Dict[str, List[float]] = {p.name: [] for p in peers}
    for step in range(warmup + steps):
        for peer in peers:
            peer.model.train()
            seconds = _timed(peer.train_step, peer)
            if step >= warmup:
                train[peer.name].append(seconds)
        say(f'train step {step + 1}/{warmup + steps}: ' + ', '.join(
            f'{p.name} {train[p.name][-1]:.3f} s' for p in peers if train[p.name]))
    for peer in peers:
        peer.model.eval()
    for image in range(warmup + infer_images):
        for peer in peers:
            with torch.no_grad():
                seconds = _timed(peer.infer, peer)
            if image >= warmup:
                infer[peer.name].append(1000 * seconds)
    say('inference timed')
    return {p.name: dict(train_s=statistics.median(train[p.name]),
                         train_s_all=train[p.name],
                         infer_ms=statistics.median(infer[p.name])) for p in peers}


def _timed(fn: Callable[[], None], peer: Peer) -> float:
    on_gpu = next(peer.model.parameters()).is_cuda
    if on_gpu:
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if on_gpu:
        torch.cuda.synchronize()
    return time.perf_counter() - start


def _det_data(items: List[dict], *, train: bool, classes: Sequence[str] = ()) -> dict:
    """mmdet-style ``inputs`` / ``data_samples`` of the shared items (training samples carry the
    dataset's class names, as the datasets attach them)."""
    inputs, samples = [], []
    for item in items:
        h, w = item['image'].shape[:2]
        inputs.append(torch.from_numpy(item['image'][..., ::-1].copy()).permute(2, 0, 1))  # BGR
        sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), task='panoptic',
                                             scale_factor=(1.0, 1.0)))
        if train:
            sample.set_metainfo(dict(classes=tuple(classes)))
            sample.gt_instances = InstanceData(
                labels=item['labels'], masks=BitmapMasks(item['masks'].numpy(), h, w))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def _mmengine_peer(name: str, family: str, model: nn.Module, cfg: Config, items: List[dict],
                   device: str) -> Peer:
    model = model.to(device)
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    classes = DATASETS.get(cfg.train_dataloader.dataset.type).METAINFO['classes']
    train_data = _det_data(items, train=True, classes=classes)
    test_data = _det_data(items[:1], train=False)
    return Peer(name=name, family=family, model=model,
                train_step=lambda: model.train_step(train_data, optim),
                infer=lambda: model.test_step(test_data))


def _unibench(cfg: Config, items: List[dict], device: str) -> Peer:
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    return _mmengine_peer('unibench', cfg.model.type.lower(), model, cfg, items, device)


def _mmdet(cfg: Config, items: List[dict], device: str) -> Peer:
    probe = MODELS.build(copy.deepcopy(cfg.model.backbone))
    from unibench.models.segmentors.mask2former import feature_shapes
    channels, strides = feature_shapes(probe)
    head = mmdet_head_cfg(cfg.model.panoptic_head, in_channels=channels, strides=strides)
    train_cfg = head.pop('train_cfg')
    num_things, num_stuff = head.num_things_classes, head.num_stuff_classes
    model_cfg = ConfigDict(
        type='mmdet.Mask2Former', data_preprocessor=copy.deepcopy(cfg.model.data_preprocessor),
        backbone=copy.deepcopy(cfg.model.backbone), panoptic_head=head,
        panoptic_fusion_head=dict(type='mmdet.MaskFormerFusionHead',
                                  num_things_classes=num_things, num_stuff_classes=num_stuff,
                                  loss_panoptic=None, init_cfg=None),
        train_cfg=train_cfg, test_cfg=dict(copy.deepcopy(cfg.model.test_cfg),
                                           panoptic_on=True, semantic_on=False,
                                           instance_on=False))
    model = MODELS.build(model_cfg)
    model.init_weights()
    return _mmengine_peer('mmdet', 'mask2former', model, cfg, items, device)


def _transformers(cfg: Config, items: List[dict], device: str, *, precision: str) -> Peer:
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    import transformers as hf
    head = cfg.model.panoptic_head
    family = cfg.model.type.lower()
    depth = cfg.model.backbone.depth
    bottleneck = depth >= 50
    width = cfg.model.backbone.get('base_channels', 64)  # the demo's ResNet-18 is half width
    backbone = hf.ResNetConfig(
        embedding_size=width, depths={18: [2, 2, 2, 2], 50: [3, 4, 6, 3]}[depth],
        hidden_sizes=[width * (4 if bottleneck else 1) * 2 ** i for i in range(4)],
        layer_type='bottleneck' if bottleneck else 'basic',
        out_features=['stage1', 'stage2', 'stage3', 'stage4'])
    enc = head.pixel_decoder.encoder
    dec = head.transformer_decoder
    common = dict(backbone_config=backbone, hidden_dim=head.embed_dims,
                  encoder_layers=enc.num_layers,
                  encoder_feedforward_dim=enc.layer_cfg.ffn_cfg.feedforward_channels,
                  decoder_layers=dec.num_layers + 1,  # counts the initial-query prediction
                  num_attention_heads=dec.layer_cfg.cross_attn_cfg.num_heads,
                  dim_feedforward=dec.layer_cfg.ffn_cfg.feedforward_channels,
                  num_queries=head.num_queries, train_num_points=head.criterion.num_points,
                  num_labels=head.num_things_classes + head.num_stuff_classes)
    if family == 'mask2former':
        config = hf.Mask2FormerConfig(feature_size=head.embed_dims,
                                      mask_feature_size=head.embed_dims, **common)
        model = hf.Mask2FormerForUniversalSegmentation(config)
        processor = hf.Mask2FormerImageProcessor()
        extra, extra_infer = {}, {}
    else:
        mapper = cfg.model.text_mapper
        common.pop('num_labels')
        config = hf.OneFormerConfig(
            conv_dim=head.embed_dims, mask_dim=head.embed_dims, is_training=True,
            text_encoder_width=mapper.width, text_encoder_num_layers=mapper.num_layers,
            text_encoder_n_ctx=mapper.num_ctx, text_encoder_proj_layers=mapper.proj_layers,
            query_dec_layers=head.query_init.num_layers, **common)
        config.num_labels = head.num_things_classes + head.num_stuff_classes
        model = hf.OneFormerForUniversalSegmentation(config)
        processor = hf.OneFormerImageProcessor(num_labels=config.num_labels)
        task = tokenize('the task is panoptic', 77)
        num_text = head.num_queries - mapper.num_ctx
        texts = torch.cat([tokenize('a photo with a shape', 77)] * num_text)
        extra = dict(task_inputs=task.expand(len(items), -1).to(device),
                     text_inputs=texts[None].expand(len(items), -1, -1).to(device))
        extra_infer = dict(task_inputs=task.to(device))
    model = model.to(device)
    mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    pixels = torch.stack([torch.from_numpy(i['image']).permute(2, 0, 1).float() for i in items])
    pixels = ((pixels - mean) / std).to(device)
    masks = [i['masks'].float().to(device) for i in items]
    labels = [i['labels'].to(device) for i in items]
    clip = cfg.optim_wrapper.get('clip_grad')
    optimizer = torch.optim.AdamW(model.parameters(), **{
        k: v for k, v in cfg.optim_wrapper.optimizer.items() if k != 'type'})
    size = pixels.shape[-2:]
    stuff = set(range(head.num_things_classes, head.num_things_classes + head.num_stuff_classes))

    def train_step() -> None:
        with torch.autocast(pixels.device.type, dtype=torch.bfloat16,
                            enabled=precision == 'bf16'):
            loss = model(pixel_values=pixels, mask_labels=masks, class_labels=labels,
                         **extra).loss
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip['max_norm'])
        optimizer.step()
        optimizer.zero_grad()

    def infer() -> None:
        if family == 'oneformer':  # the inference model: no text mapper (HF reads this flag)
            model.model.is_training = False
        out = model(pixel_values=pixels[:1], **extra_infer)
        if family == 'oneformer':
            model.model.is_training = True
        processor.post_process_panoptic_segmentation(
            out, threshold=cfg.model.test_cfg.object_mask_thr,
            overlap_mask_area_threshold=cfg.model.test_cfg.iou_thr, target_sizes=[size],
            label_ids_to_fuse=stuff)  # stuff merged per class, as unibench and mmdet do

    notes = ['transformers ResNet: BN trained (no frozen stages)'] if bottleneck else []
    return Peer(name='transformers', family=family, model=model, train_step=train_step,
                infer=infer, notes=notes)


def peak_memory(config: str, name: str, *, batch: int, size: int, device: str = 'cpu',
                options: Optional[dict] = None, precision: str = 'fp32') -> float:
    """Peak memory in GiB of two training steps of one implementation, in a fresh process
    (CPU: the process's peak RSS, which includes the Python and library baseline; CUDA: peak
    allocated tensor memory)."""
    import multiprocessing as mp
    ctx = mp.get_context('spawn')
    with ctx.Pool(1) as pool:
        return pool.apply(_peak_memory_child,
                          (config, name, batch, size, device, options or {}, precision))


def _peak_memory_child(config: str, name: str, batch: int, size: int, device: str,
                       options: dict, precision: str) -> float:
    import resource

    import unibench  # noqa: F401  (registers unibench's modules in the fresh process)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    peer = build_peers(cfg, batch=batch, size=size, device=device, which=[name],
                       precision=precision)[0]
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    for _ in range(2):
        peer.train_step()
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**30
    # VmHWM is this process image's own peak; ru_maxrss keeps the parent's across fork + exec.
    status = Path('/proc/self/status')
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 2**20  # KiB -> GiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
