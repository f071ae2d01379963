"""The fused deformable attention computes mmcv's function: the gather formulation, its compiled
CPU path and the module, forward and gradients, against mmcv's
``multi_scale_deformable_attn_pytorch`` and ``MultiScaleDeformableAttention``."""
import pytest
import torch
from mmcv.ops.multi_scale_deform_attn import (
    MultiScaleDeformableAttention,
    multi_scale_deformable_attn_pytorch,
)
from mmengine.config import ConfigDict

import unibench.models.layers.deform_attn as deform_attn_module
from unibench.models.layers.deform_attn import (
    FusedMSDeformAttn,
    deform_attn_core,
    deform_attn_gather,
    fuse_deform_attn,
    pixel_coordinates,
)
from unibench.registry import MODELS

SHAPES = ((5, 7), (3, 4), (1, 2))  # odd sizes; a level of one row


@pytest.fixture(autouse=True)
def fresh_compilation():
    """Each test compiles afresh, and a test of the compiled path fails if compiling failed
    (the fallback, mmcv's path, is the reference itself, so the comparisons would still pass).

    A test worker that has run many shape sets, dtypes and thread counts otherwise hits
    dynamo's recompile limit and falls back for the rest of its life.
    """
    torch._dynamo.reset()
    deform_attn_module._compiled.clear()
    deform_attn_module._compile_failed = False
    yield
    assert not deform_attn_module._compile_failed, 'compiling the fused attention failed'


def inputs(dtype, batch=2, heads=3, channels=4, queries=11, points=2, seed=0):
    """Values, shapes, locations (a third outside [0, 1]: zero padding), attention weights."""
    gen = torch.Generator().manual_seed(seed)
    num_values = sum(h * w for h, w in SHAPES)
    value = torch.randn(batch, num_values, heads, channels, generator=gen, dtype=dtype)
    loc = torch.rand(batch, queries, heads, len(SHAPES), points, 2, generator=gen,
                     dtype=dtype) * 1.6 - 0.3
    loc[0, 0, 0, 0, 0] = torch.tensor([0.5 / 7, 0.5 / 5])  # exactly on a pixel centre
    weights = torch.rand(batch, queries, heads, len(SHAPES), points, generator=gen, dtype=dtype)
    return value, loc, weights


def value_and_grads(fn, value, shapes, loc, weights):
    args = [t.detach().clone().requires_grad_() for t in (value, loc, weights)]
    out = fn(args[0], shapes, args[1], args[2])
    probe = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)
    return [out, *torch.autograd.grad((out * probe).sum(), args)]


def test_the_gather_is_mmcvs_function_forward_and_backward():
    value, loc, weights = inputs(torch.float64)
    assert (loc < 0).any() and (loc > 1).any()
    ref = value_and_grads(multi_scale_deformable_attn_pytorch, value, torch.tensor(SHAPES),
                          loc, weights)
    got = value_and_grads(
        lambda v, s, lo, w: deform_attn_gather(v, s, pixel_coordinates(lo, s), w),
        value, SHAPES, loc, weights)
    for name, r, g in zip(('output', 'd value', 'd locations', 'd weights'), ref, got):
        assert r.shape == g.shape, name
        torch.testing.assert_close(g, r, rtol=0, atol=1e-12, msg=name)
    assert ref[0].abs().max() > 0.5 and ref[2].abs().max() > 0.5  # not a vacuous comparison


@pytest.mark.parametrize('threads', [1, 2])  # the gather's own backward; aten's + a gather
def test_the_compiled_cpu_path_is_mmcvs_function_in_fp32(threads):
    value, loc, weights = inputs(torch.float32, batch=2, heads=4, channels=8, queries=40)
    ref = value_and_grads(multi_scale_deformable_attn_pytorch, value, torch.tensor(SHAPES),
                          loc, weights)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        got = value_and_grads(deform_attn_core, value, torch.tensor(SHAPES), loc, weights)
    finally:
        torch.set_num_threads(before)
    for name, r, g in zip(('output', 'd value', 'd locations', 'd weights'), ref, got):
        torch.testing.assert_close(g, r, rtol=1e-5, atol=1e-5, msg=name)


def test_deterministic_mode_runs_mmcvs_path_bit_for_bit():
    value, loc, weights = inputs(torch.float32)
    ref = value_and_grads(multi_scale_deformable_attn_pytorch, value, torch.tensor(SHAPES),
                          loc, weights)
    torch.use_deterministic_algorithms(True)
    try:
        got = value_and_grads(deform_attn_core, value, torch.tensor(SHAPES), loc, weights)
    finally:
        torch.use_deterministic_algorithms(False)
    assert all(torch.equal(r, g) for r, g in zip(ref, got))


def test_a_traced_graph_runs_mmcvs_path():
    """fvcore's FLOP count traces the model with torch.jit.trace, which cannot trace a compiled
    function (the run record's FLOPs and the specialists' counts depend on it)."""
    value, loc, weights = inputs(torch.float32)
    shapes = torch.tensor(SHAPES)
    traced = torch.jit.trace(lambda v, lo, w: deform_attn_core(v, shapes, lo, w),
                             (value, loc, weights), check_trace=False)
    assert torch.equal(traced(value, loc, weights),
                       multi_scale_deformable_attn_pytorch(value, shapes, loc, weights))


@pytest.mark.parametrize('deterministic', [False, True], ids=['compiled', 'mmcv-path'])
def test_shapes_that_do_not_cover_the_values_are_refused(deterministic):
    value, loc, weights = inputs(torch.float32)
    torch.use_deterministic_algorithms(deterministic)
    try:
        with pytest.raises(ValueError, match=r'spatial_shapes \(\(5, 7\), \(3, 4\), '
                                             r'\(1, 1\)\) cover 48 values, the value has 49'):
            deform_attn_core(value, torch.tensor(((5, 7), (3, 4), (1, 1))), loc, weights)
    finally:
        torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize('batch_first', [True, False])
def test_the_module_equals_mmcvs_module(batch_first):
    torch.manual_seed(0)
    kwargs = dict(embed_dims=16, num_heads=4, num_levels=3, num_points=2, dropout=0.0,
                  batch_first=batch_first)  # dropout would draw different masks
    ref = MultiScaleDeformableAttention(**kwargs)
    torch.nn.init.normal_(ref.sampling_offsets.weight, std=0.5)  # spread the points
    torch.nn.init.normal_(ref.attention_weights.weight)
    fused = FusedMSDeformAttn(**kwargs)
    fused.load_state_dict(ref.state_dict())
    shapes = torch.tensor(SHAPES)
    num_values = int((shapes[:, 0] * shapes[:, 1]).sum())
    query = torch.randn(2, num_values, 16)
    pos = torch.randn(2, num_values, 16)
    mask = torch.zeros(2, num_values, dtype=torch.bool)
    mask[1, -3:] = True
    ref_points = torch.rand(2, num_values, 3, 2)
    if not batch_first:
        query, pos = query.transpose(0, 1), pos.transpose(0, 1)
    outs = []
    for module in (ref, fused):
        module.zero_grad()
        out = module(query, query_pos=pos, key_padding_mask=mask, reference_points=ref_points,
                     spatial_shapes=shapes,
                     level_start_index=torch.tensor([0, 35, 47]))
        out.square().sum().backward()
        outs.append([out] + [p.grad for p in module.parameters()])
    for r, g in zip(*outs):
        torch.testing.assert_close(g, r, rtol=1e-5, atol=1e-5)


def test_fusing_an_mmdet_pixel_decoder_keeps_its_parameters_and_function():
    torch.manual_seed(0)
    cfg = ConfigDict(type='mmdet.MSDeformAttnPixelDecoder', in_channels=[8, 8, 8, 8],
               strides=[4, 8, 16, 32], feat_channels=16, out_channels=16, num_outs=3,
               norm_cfg=dict(type='GN', num_groups=4), act_cfg=dict(type='ReLU'),
               encoder=dict(num_layers=2, layer_cfg=dict(
                   self_attn_cfg=dict(embed_dims=16, num_heads=2, num_levels=3, num_points=4,
                                      dropout=0.0, batch_first=True),
                   ffn_cfg=dict(embed_dims=16, feedforward_channels=32, ffn_drop=0.0))),
               positional_encoding=dict(num_feats=8, normalize=True))
    ref, fused = MODELS.build(cfg), MODELS.build(cfg)
    ref.init_weights()
    fused.load_state_dict(ref.state_dict())
    assert fuse_deform_attn(fused) == 2
    assert fuse_deform_attn(fused) == 0  # already fused
    assert list(fused.state_dict()) == list(ref.state_dict())
    feats = [torch.randn(2, 8, 32 // s, 32 // s) for s in (1, 2, 4, 8)]
    (ref_mask, ref_mem), (mask, mem) = ref(feats), fused(feats)
    torch.testing.assert_close(mask, ref_mask, rtol=1e-5, atol=1e-5)
    for r, g in zip(ref_mem, mem):
        torch.testing.assert_close(g, r, rtol=1e-5, atol=1e-5)
