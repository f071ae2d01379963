"""Multi-scale deformable attention with a fused CPU path.

mmcv's ``MultiScaleDeformableAttention`` has a CUDA kernel; on the CPU it runs
``multi_scale_deformable_attn_pytorch``: one ``grid_sample`` per level, then a stack, a broadcast
multiply by the attention weights and a sum, each materialising a ``(B * heads, C, Q, L * P)``
tensor forward and backward. :func:`deform_attn_gather` computes the same function (bilinear
sampling, zero padding, ``align_corners=False``, weighted by the attention) as a gather of the four
corners of every sampling point, which ``torch.compile`` (inductor) fuses into one loop forward and
one backward: forward + backward 2.2-2.5x faster than mmcv's path at the peers' settings, one
thread (docs/performance.md).
``tests/models/test_deform_attn.py`` checks the function, its gradients and the module against
mmcv's.

Three paths, the same function: CUDA tensors use mmcv's kernel (as mmcv does); on the CPU the
compiled gather, unless ``torch.use_deterministic_algorithms(True)`` is set (mmengine's
``randomness.deterministic=True``): the fused backward adds into the value gradient from several
threads, so its float sums may differ in the last bits from run to run, and mmcv's path does not;
and under ``torch.jit.trace`` (fvcore's FLOP count, exports), which cannot trace a compiled
function.
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
    batch, num_values, heads, channels = value.shape
    num_queries = pixels.shape[1]
    table = value.reshape(batch * num_values * heads, channels)
    # row of (image b, value v, head h) in ``table``
    image = torch.arange(batch, device=value.device).view(batch, 1, 1, 1) * num_values
    head = torch.arange(heads, device=value.device).view(1, 1, heads, 1)
    out = value.new_zeros(batch, num_queries, heads, channels)
    start = 0
    for level, (height, width) in enumerate(spatial_shapes):
        x = pixels[:, :, :, level, :, 0]  # (B, Q, heads, P)
        y = pixels[:, :, :, level, :, 1]
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

    Args as mmcv's: ``value (B, sum_l H_l W_l, heads, C)``, ``spatial_shapes (L, 2)``,
    ``sampling_locations (B, Q, heads, L, P, 2)`` in ``[0, 1]``, ``attention_weights
    (B, Q, heads, L, P)``. Returns ``(B, Q, heads * C)``.
    """
    global _compiled, _compile_failed
    if (value.is_cuda or _compile_failed or torch.are_deterministic_algorithms_enabled()
            or torch.jit.is_tracing()):  # a traced graph (FLOP counting, export) cannot hold it
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
        # the coordinates outside the compiled function: inside, inductor's kernel for the same
        # arithmetic runs 2-3x slower (measured at R50 256²: 28-39 ms forward against 13-16)
        return _compiled(value, shapes, pixel_coordinates(sampling_locations, shapes),
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
