"""Mixed-precision training on any device: bf16 autocast without loss scaling.

mmengine's ``AmpOptimWrapper`` needs CUDA (or NPU / MLU) and scales the loss for fp16. The
papers train with AMP (fp16 on CUDA); this CPU's analogue is bfloat16, which has fp32's exponent
range, so no loss scale is needed, and whose matrix products run about twice as fast as fp32's
on a CPU with AVX512-BF16 (a 2048 x 128 x 512 product at one thread: 2.7 ms against 1.2 ms,
``docs/cpu_budget.md``, tenth session). Parameters, gradients and the optimizer stay fp32; only the
forward and the loss run under ``torch.autocast``, as with ``AmpOptimWrapper``, and a model part
that needs fp32 (the query heads' pixel decoder, as the official code) turns autocast off itself.
"""
import logging
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from torch import nn

from unibench.registry import OPTIM_WRAPPERS

DTYPES = ('bfloat16', 'float16')


def cpu_has_fast_bf16() -> bool:
    """Whether oneDNN runs bf16 natively here (AVX-512 with BW/VL/DQ, or newer); on AVX2 it
    falls back to slow reference kernels."""
    return bool(torch.backends.mkldnn.is_available() and
                torch.ops.mkldnn._is_mkldnn_bf16_supported())


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward context is ``torch.autocast`` on the parameters' device.

    Args:
        dtype: The autocast dtype, ``'bfloat16'`` (default) or ``'float16'`` (the latter only on
            CUDA, where mmengine's ``AmpOptimWrapper`` with its loss scale is the better choice).
        device_type: ``'cpu'`` or ``'cuda'``; by default the device of the first parameter.
        **kwargs: ``OptimWrapper``'s (``optimizer``, ``clip_grad``, ``accumulative_counts``).

    Raises:
        ValueError: an unknown ``dtype``, or fp16 without CUDA (unscaled fp16 gradients
            underflow; CPU autocast is meant for bfloat16).
    """

    def __init__(self, *, dtype: Union[str, torch.dtype] = 'bfloat16',
                 device_type: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        name = str(dtype).replace('torch.', '')
        if name not in DTYPES:
            raise ValueError(f'AutocastOptimWrapper: dtype {dtype!r} is not one of {DTYPES}')
        if device_type is None:
            device_type = next((p.device.type for g in self.optimizer.param_groups
                                for p in g['params']), 'cpu')
        if name == 'float16' and device_type != 'cuda':
            raise ValueError('AutocastOptimWrapper: float16 without loss scaling is for CUDA '
                             f'only (device {device_type!r}); use dtype="bfloat16"')
        self.cast_dtype = getattr(torch, name)
        self.device_type = device_type
        if device_type == 'cpu' and not cpu_has_fast_bf16():
            print_log('AutocastOptimWrapper: this CPU has no oneDNN bf16 kernels (it needs '
                      'AVX-512; an AVX2 machine ran bf16 matrix products 86x slower than fp32, '
                      'docs/cpu_budget.md): training will be slow; train in fp32 with '
                      '--cfg-options optim_wrapper.type=OptimWrapper', logger='current',
                      level=logging.WARNING)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The parent's context (gradient accumulation) with autocast around the forward."""
        with super().optim_context(model), torch.autocast(self.device_type,
                                                          dtype=self.cast_dtype):
            yield
