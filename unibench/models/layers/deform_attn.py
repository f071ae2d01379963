"""Multi-scale deformable attention with a fused CPU path.

mmcv's ``MultiScaleDeformableAttention`` has a CUDA kernel; on the CPU it runs
``multi_scale_deformable_attn_pytorch``: one ``grid_sample`` per level, then a stack, a broadcast
multiply by the attention weights and a sum, each materialising a ``(B * heads, C, Q, L * P)``
tensor forward and backward. :func:`deform_attn_gather` computes the same function (bilinear
sampling, zero padding, ``align_corners=False``, weighted by the attention) as a gather of the four
corners of every sampling point, which ``torch.compile`` (inductor) fuses into one loop forward and
one backward: about 2x less time for the attention at the R50 256² setting (docs/performance.md).
``tests/models/test_deform_attn.py`` checks the function, its gradients and the module against
mmcv's.

Three paths, the same function: CUDA tensors use mmcv's kernel (as mmcv does); on the CPU the
compiled gather, unless ``torch.use_deterministic_algorithms(True)`` is set (mmengine's
``randomness.deterministic=True``): the fused backward adds into the value gradient from several
threads, so its float sums may differ in the last bits from run to run, and mmcv's path does not.
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


def deform_attn_gather(value: Tensor, spatial_shapes: Shapes, sampling_locations: Tensor,
                       attention_weights: Tensor) -> Tensor:
    """Deformable attention's core as a gather of the bilinear corners.

    Args:
        value: ``(B, sum_l H_l W_l, heads, C)`` values of all levels, level-major.
        spatial_shapes: ``(H_l, W_l)`` of each level, as Python ints (static for the compiler).
        sampling_locations: ``(B, Q, heads, L, P, 2)`` normalised ``(x, y)`` in ``[0, 1]`` (points
            outside sample zeros).
        attention_weights: ``(B, Q, heads, L, P)``.

    Returns:
        ``(B, Q, heads * C)``: for each query and head, the attention-weighted sum over levels and
        points of the bilinearly sampled values (``grid_sample``, ``align_corners=False``).
    """
    batch, num_values, heads, channels = value.shape
    num_queries = sampling_locations.shape[1]
    table = value.reshape(batch * num_values * heads, channels)
    # row of (image b, value v, head h) in ``table``
    image = torch.arange(batch, device=value.device).view(batch, 1, 1, 1) * num_values
    head = torch.arange(heads, device=value.device).view(1, 1, heads, 1)
    out = value.new_zeros(batch, num_queries, heads, channels)
    start = 0
    for level, (height, width) in enumerate(spatial_shapes):
        # pixel coordinates, pixel centres at integers (align_corners=False), by grid_sample's
        # own arithmetic (mmcv's 2 loc - 1, then aten's (g + 1) * size / 2 - 0.5): a point on a
        # pixel boundary then falls on the same side, where the gradient has its kink
        grid = 2 * sampling_locations[:, :, :, level] - 1  # (B, Q, heads, P, 2)
        x = (grid[..., 0] + 1) * (width / 2) - 0.5  # (B, Q, heads, P)
        y = (grid[..., 1] + 1) * (height / 2) - 0.5
        x0, y0 = x.floor(), y.floor()
        fx, fy = x - x0, y - y0
        x0, y0 = x0.long(), y0.long()
        weight = attention_weights[:, :, :, level]
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                xi, yi = x0 + dx, y0 + dy
                inside = (xi >= 0) & (xi < width) & (yi >= 0) & (yi < height)
                pos = start + yi.clamp(0, height - 1) * width + xi.clamp(0, width - 1)
                corner = torch.where(inside, wx * wy * weight, 0)  # zero padding
                out = out + (table[(image + pos) * heads + head] * corner[..., None]).sum(-2)
        start += height * width
    return out.reshape(batch, num_queries, heads * channels)


_compiled = None
_compile_failed = False


def deform_attn_core(value: Tensor, spatial_shapes: Tensor, sampling_locations: Tensor,
                     attention_weights: Tensor) -> Tensor:
    """mmcv's ``multi_scale_deformable_attn_pytorch`` function, by the fastest exact path.

    Shapes as :func:`deform_attn_gather`; ``spatial_shapes`` is mmcv's ``(L, 2)`` tensor.
    """
    global _compiled, _compile_failed
    if value.is_cuda or _compile_failed or torch.are_deterministic_algorithms_enabled():
        return multi_scale_deformable_attn_pytorch(value, spatial_shapes, sampling_locations,
                                                   attention_weights)
    shapes = tuple((int(h), int(w)) for h, w in spatial_shapes.tolist())
    if sum(h * w for h, w in shapes) != value.shape[1]:
        raise ValueError(f'deformable attention: spatial_shapes {shapes} cover '
                         f'{sum(h * w for h, w in shapes)} values, the value has {value.shape[1]}')
    if _compiled is None:
        # dynamic=None: specialised to the first shapes, generalised when they change (an
        # evaluation's image sizes), so a dataset of many sizes compiles twice, not per size
        _compiled = torch.compile(deform_attn_gather, dynamic=None, fullgraph=True)
    try:
        return _compiled(value, shapes, sampling_locations, attention_weights)
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


__all__: Sequence[str] = ('deform_attn_gather', 'deform_attn_core', 'FusedMSDeformAttn',
                          'fuse_deform_attn')
