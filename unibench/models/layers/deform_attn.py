"""Multi-scale deformable attention with a fused CPU path.

mmcv's ``MultiScaleDeformableAttention`` has a CUDA kernel; on the CPU it runs
``multi_scale_deformable_attn_pytorch``: one ``grid_sample`` per level, then a stack, a broadcast
multiply by the attention weights and a sum, each materialising a ``(B * heads, C, Q, L * P)``
tensor forward and backward. :func:`deform_attn_gather` computes the same function (bilinear
sampling, zero padding, ``align_corners=False``, weighted by the attention) as a gather of the four
corners of every sampling point, which ``torch.compile`` (inductor) fuses into one loop. With one
thread its own backward is fastest (2.2-2.5x mmcv's path, forward + backward, at the peers'
settings); with more, its atomic adds into the value gradient contend, so the backward is aten's
``grid_sampler_2d_backward`` (mmcv's own) plus a compiled gather for the attention weights
(:class:`_FusedDeformAttn`, 1.45-1.5x at two threads). No path adds from several threads into one
place, so runs stay deterministic. ``tests/models/test_deform_attn.py`` checks the function, its
gradients and the module against mmcv's (docs/performance.md has the figures).

Paths, the same function: CUDA tensors use mmcv's kernel (as mmcv does); on the CPU the compiled
gather, except under ``torch.use_deterministic_algorithms(True)`` (mmengine's
``randomness.deterministic=True``: mmcv's path, bit for bit) and under ``torch.jit.trace``
(fvcore's FLOP count, exports), which cannot trace a compiled function.
"""
import warnings
from typing import Optional, Sequence, Tuple

import torch
from mmcv.ops.multi_scale_deform_attn import (
    MultiScaleDeformableAttention,
    MultiScaleDeformableAttnFunction,
    multi_scale_deformable_attn_pytorch,
)
from torch import Tensor, nn

Shapes = Tuple[Tuple[int, int], ...]


def pixel_coordinates(sampling_locations: Tensor, spatial_shapes: Shapes) -> Tensor:
    """``(B, Q, heads, L, P, 2)`` sampling locations in ``[0, 1]`` -> each level's pixel
    coordinates ``(x, y)``, pixel centres at integers (``align_corners=False``).

    By ``grid_sample``'s own arithmetic (mmcv's grid ``2 loc - 1``, then aten's
    ``(g + 1) * size / 2 - 0.5``), so that a point on a pixel boundary falls on the same side as in
    mmcv's path: the gradient has its kink there.
    """
    half = sampling_locations.new_tensor([(w / 2, h / 2) for h, w in spatial_shapes])  # (L, 2)
    return (2 * sampling_locations - 1 + 1) * half[:, None] - 0.5


def _corners(value: Tensor, spatial_shapes: Shapes, pixels: Tensor):
    """The bilinear corners of every sampling point, level by level.

    Yields ``(level, rows, weight)``: the values ``(B, Q, heads, P, C)`` at one corner of each
    point of ``level`` and the corner's bilinear weight ``(B, Q, heads, P)``, zero where the
    corner is outside the map (zero padding). Shapes as :func:`deform_attn_gather`.
    """
    batch, num_values, heads, channels = value.shape
    table = value.reshape(batch * num_values * heads, channels)
    # row of (image b, value v, head h) in ``table``
    image = torch.arange(batch, device=value.device).view(batch, 1, 1, 1) * num_values
    head = torch.arange(heads, device=value.device).view(1, 1, heads, 1)
    start = 0
    for level, (height, width) in enumerate(spatial_shapes):
        x = pixels[:, :, :, level, :, 0]  # (B, Q, heads, P)
        y = pixels[:, :, :, level, :, 1]
        x0, y0 = x.floor(), y.floor()
        fx, fy = x - x0, y - y0
        x0, y0 = x0.long(), y0.long()
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                xi, yi = x0 + dx, y0 + dy
                inside = (xi >= 0) & (xi < width) & (yi >= 0) & (yi < height)
                pos = start + yi.clamp(0, height - 1) * width + xi.clamp(0, width - 1)
                yield level, table[(image + pos) * heads + head], torch.where(inside, wx * wy, 0)
        start += height * width


def deform_attn_gather(value: Tensor, spatial_shapes: Shapes, pixels: Tensor,
                       attention_weights: Tensor) -> Tensor:
    """Deformable attention's core as a gather of the bilinear corners.

    Args:
        value: ``(B, sum_l H_l W_l, heads, C)`` values of all levels, level-major.
        spatial_shapes: ``(H_l, W_l)`` of each level, as Python ints (static for the compiler).
        pixels: ``(B, Q, heads, L, P, 2)`` sampling points ``(x, y)`` in each level's pixels
            (:func:`pixel_coordinates`; points outside the map sample zeros).
        attention_weights: ``(B, Q, heads, L, P)``.

    Returns:
        ``(B, Q, heads * C)``: for each query and head, the attention-weighted sum over levels and
        points of the bilinearly sampled values (``grid_sample``, ``align_corners=False``).
    """
    batch, _, heads, channels = value.shape
    out = value.new_zeros(batch, pixels.shape[1], heads, channels)
    for level, rows, bilinear in _corners(value, spatial_shapes, pixels):
        corner = bilinear * attention_weights[:, :, :, level]
        out = out + (rows * corner[..., None]).sum(-2)
    return out.reshape(batch, pixels.shape[1], heads * channels)


def sampled_dot(value: Tensor, spatial_shapes: Shapes, pixels: Tensor, grad: Tensor) -> Tensor:
    """``(B, Q, heads, L, P)``: each sampling point's bilinearly sampled value dotted with its
    query's ``grad (B, Q, heads, C)``, the attention weights' gradient (shapes as
    :func:`deform_attn_gather`); a gather too, without atomics."""
    levels = [torch.zeros_like(pixels[..., 0, :, 0]) for _ in spatial_shapes]  # (B, Q, heads, P)
    for level, rows, bilinear in _corners(value, spatial_shapes, pixels):
        levels[level] = levels[level] + bilinear * (rows * grad[:, :, :, None]).sum(-1)
    return torch.stack(levels, 3)


class _FusedDeformAttn(torch.autograd.Function):
    """Forward: the compiled gather. Backward: aten's ``grid_sampler_2d_backward`` per level
    (values and locations, as in mmcv's path) and the compiled :func:`sampled_dot` (weights).
    The gather's own backward adds into the values from all threads with atomics, which two
    threads contend for (measured: 2.2x slower than mmcv's backward at 2 threads, R50 256²)."""

    @staticmethod
    def forward(ctx, value: Tensor, shapes: Shapes, locations: Tensor, weights: Tensor) -> Tensor:
        ctx.shapes = shapes
        ctx.save_for_backward(value, locations, weights)
        return _compiled['gather'](value, shapes, pixel_coordinates(locations, shapes), weights)

    @staticmethod
    def backward(ctx, grad: Tensor):
        value, locations, weights = ctx.saved_tensors
        batch, _, heads, channels = value.shape
        num_queries, points = locations.shape[1], locations.shape[4]
        grad = grad.reshape(batch, num_queries, heads, channels)
        grad_weights = _compiled['dot'](value, ctx.shapes,
                                        pixel_coordinates(locations, ctx.shapes), grad)
        grad_out = grad.permute(0, 2, 3, 1).reshape(batch * heads, channels, num_queries, 1)
        grad_values, grad_grids, start = [], [], 0
        for level, (height, width) in enumerate(ctx.shapes):
            # mmcv's layouts: value (B * heads, C, H, W), grid (B * heads, Q, P, 2)
            level_value = value[:, start:start + height * width].permute(0, 2, 3, 1).reshape(
                batch * heads, channels, height, width)
            grid = (2 * locations[:, :, :, level] - 1).transpose(1, 2).flatten(0, 1)
            level_weights = weights[:, :, :, level].transpose(1, 2).flatten(0, 1)[:, None]
            grad_value, grad_grid = torch.ops.aten.grid_sampler_2d_backward(
                grad_out * level_weights, level_value, grid, 0, 0, False,
                [ctx.needs_input_grad[0], True])  # bilinear, zeros, align_corners=False
            if ctx.needs_input_grad[0]:
                grad_values.append(grad_value.view(batch, heads, channels, height * width)
                                   .permute(0, 3, 1, 2))
            grad_grids.append(2 * grad_grid.view(batch, heads, num_queries, points, 2)
                              .transpose(1, 2))  # d grid / d location = 2
            start += height * width
        grad_value = torch.cat(grad_values, 1) if ctx.needs_input_grad[0] else None
        return grad_value, None, torch.stack(grad_grids, 3), grad_weights


_compiled: dict = {}
_compile_failed = False


def deform_attn_core(value: Tensor, spatial_shapes: Tensor, sampling_locations: Tensor,
                     attention_weights: Tensor) -> Tensor:
    """mmcv's ``multi_scale_deformable_attn_pytorch`` function, by the fastest exact path.

    Args as mmcv's: ``value (B, sum_l H_l W_l, heads, C)``, ``spatial_shapes (L, 2)``,
    ``sampling_locations (B, Q, heads, L, P, 2)`` in ``[0, 1]``, ``attention_weights
    (B, Q, heads, L, P)``. Returns ``(B, Q, heads * C)``.
    """
    global _compile_failed
    tracing = torch.jit.is_tracing()  # a traced graph (FLOP counting, export) cannot hold it
    if value.is_cuda or tracing:  # (reading the shapes would sync the GPU / freeze the trace)
        return multi_scale_deformable_attn_pytorch(value, spatial_shapes, sampling_locations,
                                                   attention_weights)
    # checked on every CPU path: mmcv's splits the value by the shapes without a check
    shapes = tuple((int(h), int(w)) for h, w in spatial_shapes.tolist())
    if sum(h * w for h, w in shapes) != value.shape[1]:
        raise ValueError(f'deformable attention: spatial_shapes {shapes} cover '
                         f'{sum(h * w for h, w in shapes)} values, the value has {value.shape[1]}')
    if _compile_failed or torch.are_deterministic_algorithms_enabled():
        return multi_scale_deformable_attn_pytorch(value, spatial_shapes, sampling_locations,
                                                   attention_weights)
    if not _compiled:
        # dynamic=None: specialised to the first shapes, generalised when they change (an
        # evaluation's image sizes), so a dataset of many sizes compiles twice, not per size
        _compiled.update(
            gather=torch.compile(deform_attn_gather, dynamic=None, fullgraph=True),
            dot=torch.compile(sampled_dot, dynamic=None, fullgraph=True))
    try:
        # with more than one thread the gather's own backward contends (its atomic adds)
        if torch.get_num_threads() > 1 and torch.is_grad_enabled() and any(
                t.requires_grad for t in (value, sampling_locations, attention_weights)):
            return _FusedDeformAttn.apply(value, shapes, sampling_locations, attention_weights)
        # the coordinates outside the compiled functions: inside, inductor's kernel for the same
        # arithmetic runs 2-3x slower (measured at R50 256²: 28-39 ms forward against 13-16)
        return _compiled['gather'](value, shapes, pixel_coordinates(sampling_locations, shapes),
                                   attention_weights)
    except Exception as error:  # no C++ compiler, an inductor bug: mmcv's path, said once
        if type(error).__module__.split('.')[0] != 'torch':
            raise
        _compile_failed = True
        warnings.warn(f'unibench: compiling the fused deformable attention failed '
                      f'({type(error).__name__}: {str(error)[:200]}); using mmcv\'s CPU path '
                      '(the same function, slower)')
        return multi_scale_deformable_attn_pytorch(value, spatial_shapes, sampling_locations,
                                                   attention_weights)


class FusedMSDeformAttn(MultiScaleDeformableAttention):
    """mmcv's ``MultiScaleDeformableAttention`` (same parameters, names and initialisation) whose
    CPU core is :func:`deform_attn_core`; on CUDA it runs mmcv's kernel as mmcv does."""

    def forward(self, query: Tensor, key: Optional[Tensor] = None,
                value: Optional[Tensor] = None, identity: Optional[Tensor] = None,
                query_pos: Optional[Tensor] = None, key_padding_mask: Optional[Tensor] = None,
                reference_points: Optional[Tensor] = None,
                spatial_shapes: Optional[Tensor] = None,
                level_start_index: Optional[Tensor] = None, **kwargs) -> Tensor:
        """mmcv's forward: query ``(B, Q, C)`` (``(Q, B, C)`` unless ``batch_first``), value
        ``(B, sum_l H_l W_l, C)``, ``reference_points (B, Q, L, 2 | 4)`` -> ``(B, Q, C)``."""
        value = query if value is None else value
        identity = query if identity is None else identity
        if query_pos is not None:
            query = query + query_pos
        if not self.batch_first:
            query, value = query.transpose(0, 1), value.transpose(0, 1)
        batch, num_queries, _ = query.shape
        value = self.value_proj(value)
        if key_padding_mask is not None:
            value = value.masked_fill(key_padding_mask[..., None], 0.0)
        value = value.view(batch, value.shape[1], self.num_heads, -1)
        offsets = self.sampling_offsets(query).view(
            batch, num_queries, self.num_heads, self.num_levels, self.num_points, 2)
        weights = self.attention_weights(query).view(
            batch, num_queries, self.num_heads, self.num_levels * self.num_points)
        weights = weights.softmax(-1).view(
            batch, num_queries, self.num_heads, self.num_levels, self.num_points)
        if reference_points.shape[-1] == 2:  # points: offsets in pixels of each level
            normaliser = torch.stack([spatial_shapes[..., 1], spatial_shapes[..., 0]], -1)
            locations = (reference_points[:, :, None, :, None, :]
                         + offsets / normaliser[None, None, None, :, None, :])
        elif reference_points.shape[-1] == 4:  # boxes: offsets relative to half the box
            locations = (reference_points[:, :, None, :, None, :2]
                         + offsets / self.num_points
                         * reference_points[:, :, None, :, None, 2:] * 0.5)
        else:
            raise ValueError(f'reference_points must end in 2 (points) or 4 (boxes), got shape '
                             f'{tuple(reference_points.shape)}')
        if value.is_cuda:
            output = MultiScaleDeformableAttnFunction.apply(
                value, spatial_shapes, level_start_index, locations, weights, self.im2col_step)
        else:
            output = deform_attn_core(value, spatial_shapes, locations, weights)
        output = self.output_proj(output)
        if not self.batch_first:
            output = output.transpose(0, 1)
        return self.dropout(output) + identity


def fuse_deform_attn(module: nn.Module) -> int:
    """Turns every mmcv ``MultiScaleDeformableAttention`` inside ``module`` into a
    :class:`FusedMSDeformAttn`, in place: the same parameters, buffers and names (checkpoints load
    unchanged). Returns how many were turned."""
    count = 0
    for sub in module.modules():
        if type(sub) is MultiScaleDeformableAttention:
            sub.__class__ = FusedMSDeformAttn  # a subclass adding no state: only forward changes
            count += 1
    return count


__all__: Sequence[str] = ('pixel_coordinates', 'deform_attn_gather', 'deform_attn_core',
                          'FusedMSDeformAttn', 'fuse_deform_attn')
