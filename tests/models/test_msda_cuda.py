"""mmcv's multi-scale deformable attention (the pixel decoder of Mask2Former and OneFormer): its
CUDA kernel, which GPU runs use, agrees with the PyTorch path that CPU runs use, outputs and
gradients, so what the CPU tests and runs show holds on a GPU. Skipped without CUDA."""
import copy

import pytest
import torch
from mmcv.ops.multi_scale_deform_attn import (
    MultiScaleDeformableAttention,
    MultiScaleDeformableAttnFunction,
    multi_scale_deformable_attn_pytorch,
)

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')]

# The pixel decoder's memories for a 128 x 128 input: 1/32, 1/16, 1/8 (mmdet's level order).
SHAPES = ((4, 4), (8, 8), (16, 16))
HEADS, DIMS, POINTS, QUERIES = 4, 8, 4, 30  # per-head width 8, 4 points per level and head


def inputs(dtype: torch.dtype, device: str = 'cuda', seed: int = 0):
    """Random value, sampling locations (inside and just outside the maps) and normalised
    attention weights, as ``MultiScaleDeformableAttnFunction`` takes them."""
    g = torch.Generator().manual_seed(seed)
    shapes = torch.tensor(SHAPES, dtype=torch.long)
    starts = torch.cat([shapes.new_zeros(1), (shapes[:, 0] * shapes[:, 1]).cumsum(0)[:-1]])
    num_value = int((shapes[:, 0] * shapes[:, 1]).sum())
    value = torch.rand(2, num_value, HEADS, DIMS, generator=g, dtype=dtype) * 0.1
    locations = torch.rand(2, QUERIES, HEADS, len(SHAPES), POINTS, 2, generator=g,
                           dtype=dtype) * 1.2 - 0.1
    weights = torch.rand(2, QUERIES, HEADS, len(SHAPES), POINTS, generator=g, dtype=dtype) + 1e-5
    weights = weights / weights.sum((-1, -2), keepdim=True)
    return [t.to(device) for t in (value, shapes, starts, locations, weights)]


def both_paths(dtype: torch.dtype):
    """Outputs and gradients (value, locations, weights) of the CUDA kernel and PyTorch path."""
    results = []
    for kernel in (True, False):
        value, shapes, starts, locations, weights = inputs(dtype)
        for t in (value, locations, weights):
            t.requires_grad_(True)
        if kernel:
            out = MultiScaleDeformableAttnFunction.apply(value, shapes, starts, locations,
                                                         weights, 64)
        else:
            out = multi_scale_deformable_attn_pytorch(value, shapes, locations, weights)
        (out * torch.linspace(-1, 1, out.numel(), device=out.device,
                              dtype=dtype).view_as(out)).sum().backward()
        results.append([out.detach(), value.grad, locations.grad, weights.grad])
    return results


@pytest.mark.parametrize('dtype,tol', [(torch.float64, dict(rtol=1e-9, atol=1e-11)),
                                       (torch.float32, dict(rtol=1e-4, atol=1e-5))],
                         ids=['float64', 'float32'])
def test_cuda_kernel_matches_the_pytorch_path(dtype, tol):
    (kernel, pytorch) = both_paths(dtype)
    assert kernel[0].shape == (2, QUERIES, HEADS * DIMS) and kernel[0].abs().max() > 0
    for name, a, b in zip(('output', 'd value', 'd locations', 'd weights'), kernel, pytorch):
        assert b.abs().max() > 0, name  # no vacuous comparison of zeros
        torch.testing.assert_close(a, b, **tol, msg=lambda m: f'{name}: {m}')


def test_module_on_cuda_matches_the_module_on_cpu():
    """The module the pixel decoder builds dispatches to the kernel on CUDA tensors and to the
    PyTorch path on CPU ones; with the same weights both give the same output."""
    torch.manual_seed(0)
    cpu = MultiScaleDeformableAttention(embed_dims=HEADS * DIMS, num_heads=HEADS,
                                        num_levels=len(SHAPES), num_points=POINTS,
                                        batch_first=True)
    cpu.init_weights()
    for p in cpu.parameters():  # away from the init's zero weights and grid offsets
        p.data.add_(torch.randn_like(p) * 0.05)
    cuda = copy.deepcopy(cpu).cuda()
    _, shapes, starts, _, _ = inputs(torch.float32, device='cpu')
    num_value = int((shapes[:, 0] * shapes[:, 1]).sum())
    query = torch.randn(2, QUERIES, HEADS * DIMS)
    value = torch.randn(2, num_value, HEADS * DIMS)
    reference = torch.rand(2, QUERIES, len(SHAPES), 2)
    outs = []
    for module, device in ((cuda, 'cuda'), (cpu, 'cpu')):
        outs.append(module(query.to(device), value=value.to(device),
                           reference_points=reference.to(device),
                           spatial_shapes=shapes.to(device), level_start_index=starts.to(device)))
    assert outs[0].is_cuda and not outs[1].is_cuda
    torch.testing.assert_close(outs[0].cpu(), outs[1], rtol=1e-4, atol=1e-5)
