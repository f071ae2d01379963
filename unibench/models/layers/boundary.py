"""Boundary maps for Gated-SCNN: targets from label maps, image edges, gradient magnitudes.

After nv-tlabs/GSCNN (CC BY-NC-SA 4.0): ``datasets/edge_utils.py`` (boundary targets),
``network/gscnn.py`` (Canny input) and ``my_functionals/custom_functional.py`` (``convTri``,
``compute_grad_mag``). Our own code; each deviation from the release is stated where it is made.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


def boundary_targets(labels: Tensor, *, radius: int = 2, ignore_index: int = 255) -> Tensor:
    """Binary semantic-boundary targets derived from a label map.

    A pixel is a boundary pixel when a pixel of another class lies within Euclidean distance
    ``radius`` of it. This is the set the official ``onehot_to_binary_edges(mask, radius=2)``
    marks (per class, ``0 < edt(mask) + edt(1 - mask) <= radius``), with two artefacts of the
    release left out: its ``np.pad(..., constant_values=0)`` turns the image frame into a boundary
    of every class touching it, and ``mask_to_onehot`` compares against ``i + 1`` and so never
    marks boundaries of class 0. Ignored pixels carry ``ignore_index`` and do not make their
    neighbours boundaries: their class is unknown.

    Args:
        labels: ``(B, H, W)`` integer class map; ``ignore_index`` marks void / padding.
        radius: Boundary half-width in pixels (the official 2).
        ignore_index: Label of ignored pixels.

    Returns:
        ``(B, H, W)`` float targets: 1 boundary, 0 interior, ``ignore_index`` ignored.
    """
    if labels.dim() != 3:
        raise ValueError(f'boundary_targets expects (B, H, W) labels, got {tuple(labels.shape)}')
    labels = labels.long()
    valid = labels != ignore_index
    # Outside the image counts as ignored, so the frame is no boundary.
    padded = F.pad(labels, (radius, ) * 4, value=ignore_index)
    h, w = labels.shape[-2:]
    edge = torch.zeros_like(valid)
    for dy, dx in disc_offsets(radius):
        other = padded[:, radius + dy:radius + dy + h, radius + dx:radius + dx + w]
        edge |= (other != ignore_index) & (other != labels)
    targets = (edge & valid).float()
    targets[~valid] = float(ignore_index)
    return targets


def disc_offsets(radius: int) -> Sequence[Tuple[int, int]]:
    """Offsets ``(dy, dx) != (0, 0)`` with ``dy**2 + dx**2 <= radius**2``."""
    if radius < 1:
        raise ValueError(f'boundary radius must be >= 1, got {radius}')
    span = range(-radius, radius + 1)
    return [(dy, dx) for dy in span for dx in span
            if (dy or dx) and dy * dy + dx * dx <= radius * radius]


def canny_edges(images: Tensor, *, low: float = 10, high: float = 100) -> Tensor:
    """OpenCV Canny edges of a batch of RGB images, the image-gradient input of Gated-SCNN.

    The official forward runs ``cv2.Canny(img, 10, 100)`` on the network input cast to uint8
    (already normalised there, which wraps around); we run it on the de-normalised 0-255 image
    and return {0, 1} instead of {0, 255}, so the fusion conv sees the same scale as the
    shape-stream probability it is concatenated with.

    Args:
        images: ``(B, 3, H, W)`` float images in [0, 255].
        low: Hysteresis low threshold.
        high: Hysteresis high threshold.

    Returns:
        ``(B, 1, H, W)`` float edge map in {0, 1}, on the device of ``images``.
    """
    arrays = images.detach().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    edges = np.stack([cv2.Canny(np.ascontiguousarray(a), low, high) for a in arrays])
    return torch.from_numpy(edges > 0).to(images.device, torch.float32)[:, None]


def gradient_magnitude(maps: Tensor, *, smooth_radius: int = 4, eps: float = 1e-6,
                       threshold: float = 1e-8) -> Tuple[Tensor, Tensor]:
    """Spatial gradient magnitude of each channel, normalised by its maximum.

    ``compute_grad_mag`` as the official code describes it: a triangle filter of radius 4
    (``convTri``), numerical gradients (central differences inside, one-sided at the border, as
    ``np.gradient``), ``sqrt(gx^2 + gy^2 + 1e-6)`` divided by the maximum. The release returns
    early from ``convTri`` and ``gradient_central_diff`` (``return input``), which makes the
    "gradient" the map itself; we compute the gradient the paper's Eq. 5 uses.

    Args:
        maps: ``(B, C, H, W)`` maps (class probabilities or one-hot labels), ``H, W >= 2``.
        smooth_radius: Triangle-filter radius.
        eps: Added under the square root (keeps the root differentiable at 0).
        threshold: Gradient norm above which a pixel counts as a boundary (the official
            ``th``; the release compares it after adding ``eps``, which selects every pixel).

    Returns:
        ``(magnitude, nonzero)``: ``(B, C, H, W)`` normalised magnitude and a bool mask of
        the pixels whose gradient is non-zero (before ``eps``), the paper's boundary pixels.
    """
    smooth = triangle_filter(maps, smooth_radius)
    gy, gx = numerical_gradients(smooth)
    squared = gx * gx + gy * gy
    magnitude = torch.sqrt(squared + eps)
    return magnitude / magnitude.max(), squared.detach() > threshold**2


def triangle_filter(maps: Tensor, radius: int) -> Tensor:
    """Separable triangle filter ``[1..r, r+1, r..1] / (r+1)^2`` per channel, border replicated
    (Dollar's ``convTri`` pads symmetrically; at radius 4 the difference is at the frame only)."""
    channels = maps.shape[1]
    f = torch.tensor([*range(1, radius + 1), radius + 1, *range(radius, 0, -1)],
                     dtype=maps.dtype, device=maps.device) / (radius + 1)**2
    out = F.pad(maps, (radius, radius, 0, 0), mode='replicate')
    out = F.conv2d(out, f.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)
    out = F.pad(out, (0, 0, radius, radius), mode='replicate')
    return F.conv2d(out, f.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)


def numerical_gradients(maps: Tensor) -> Tuple[Tensor, Tensor]:
    """``(d/dy, d/dx)`` of ``(B, C, H, W)`` maps with ``np.gradient``'s differences."""

    def along(x: Tensor, dim: int) -> Tensor:
        n = x.shape[dim]
        inner = (x.narrow(dim, 2, n - 2) - x.narrow(dim, 0, n - 2)) / 2
        first = x.narrow(dim, 1, 1) - x.narrow(dim, 0, 1)
        last = x.narrow(dim, n - 1, 1) - x.narrow(dim, n - 2, 1)
        return torch.cat([first, inner, last], dim=dim)

    return along(maps, 2), along(maps, 3)
