"""The pixel decoder's deformable attention alone, beside mmcv's CPU path: the part of a step that
unibench computes with its own fused kernel (:mod:`unibench.models.layers.deform_attn`) while the
mmdet peer runs mmcv's, timed at a peer setting's shapes."""
import statistics
import time
from typing import Dict

import torch
from mmcv.ops.multi_scale_deform_attn import multi_scale_deformable_attn_pytorch
from mmengine.config import Config

from unibench.models.layers.deform_attn import deform_attn_core


def deform_attn_shapes(cfg: Config, *, batch: int, size: int) -> Dict[str, int]:
    """The encoder's attention at ``size``² and ``batch``: ``batch``, ``heads``, ``channels``
    (per head), ``points``, ``levels`` and the levels' ``sides`` (the coarsest backbone levels,
    strides 32 / 16 / 8 for three)."""
    head = cfg.model.panoptic_head
    attn = head.pixel_decoder.encoder.layer_cfg.self_attn_cfg
    levels = attn.get('num_levels', 4)
    strides = list(head.get('strides', (4, 8, 16, 32)))[-levels:][::-1]  # mmdet: coarsest first
    return dict(batch=batch, heads=attn.num_heads, channels=attn.embed_dims // attn.num_heads,
                points=attn.get('num_points', 4), levels=levels,
                sides=[size // s for s in strides])


def time_deform_attn(cfg: Config, *, batch: int, size: int, steps: int = 7,
                     warmup: int = 2) -> Dict[str, Dict[str, float]]:
    """Median ms of one attention core's forward and backward (a gradient of ones), mmcv's
    ``multi_scale_deformable_attn_pytorch`` against unibench's ``deform_attn_core``, interleaved,
    one query per value as in the encoder, on the CPU.

    Returns:
        ``{'mmcv' | 'unibench': {'forward_ms', 'backward_ms'}}``.
    """
    dims = deform_attn_shapes(cfg, batch=batch, size=size)
    shapes = torch.tensor([[s, s] for s in dims['sides']])
    num_values = int((shapes[:, 0] * shapes[:, 1]).sum())
    gen = torch.Generator().manual_seed(0)
    grid = (batch, num_values, dims['heads'], dims['levels'], dims['points'])
    value = torch.randn(batch, num_values, dims['heads'], dims['channels'], generator=gen)
    loc = torch.rand(*grid, 2, generator=gen)
    weights = torch.rand(*grid, generator=gen).flatten(-2).softmax(-1).view(grid)
    times: Dict[str, Dict[str, list]] = {k: dict(forward_ms=[], backward_ms=[])
                                         for k in ('mmcv', 'unibench')}
    fns = dict(mmcv=multi_scale_deformable_attn_pytorch, unibench=deform_attn_core)
    for step in range(warmup + steps):
        for name, fn in fns.items():
            args = [t.clone().requires_grad_() for t in (value, loc, weights)]
            start = time.perf_counter()
            out = fn(args[0], shapes, args[1], args[2])
            middle = time.perf_counter()
            out.backward(torch.ones_like(out))
            end = time.perf_counter()
            if step >= warmup:
                times[name]['forward_ms'].append(1000 * (middle - start))
                times[name]['backward_ms'].append(1000 * (end - middle))
    return {name: {k: statistics.median(v) for k, v in parts.items()}
            for name, parts in times.items()}
