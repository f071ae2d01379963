"""Instance-centre offsets, Panoptic-DeepLab's offset branch (Cheng et al. 2020, Sec. 3.2), as a
pre-training target: every thing pixel regresses the vector from itself to its instance's mass
centre, so the features learn which pixels belong together, not only their class.

The painter's instance task needs exactly that (an instance is painted with the colour of the
grid cell that holds its mass centre, at every one of its pixels), which dense classification
does not teach. A pre-training stage adds this head beside its class head; the head is discarded
with the rest of the stage.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from unibench.registry import MODELS


def centre_offsets(masks: Tensor, labels: Tensor, *,
                   num_things_classes: int) -> Tuple[Tensor, Tensor]:
    """Offset targets of one image.

    Args:
        masks: ``(N, H, W)`` bool segment masks (things and stuff, the panoptic task's).
        labels: ``(N,)`` classes; those below ``num_things_classes`` are things.
        num_things_classes: Thing classes (first in the label space).

    Returns:
        ``offsets (2, H, W)`` float, ``(cy - y, cx - x)`` in pixels on thing pixels, 0 elsewhere;
        ``valid (H, W)`` bool, the thing pixels (stuff, void and padding carry no target).
    """
    h, w = masks.shape[-2:]
    offsets = masks.new_zeros((2, h, w), dtype=torch.float32)
    valid = masks.new_zeros((h, w), dtype=torch.bool)
    ys = torch.arange(h, dtype=torch.float32, device=masks.device)[:, None].expand(h, w)
    xs = torch.arange(w, dtype=torch.float32, device=masks.device)[None, :].expand(h, w)
    for mask, label in zip(masks, labels):
        if label >= num_things_classes or not mask.any():
            continue
        cy, cx = ys[mask].mean(), xs[mask].mean()
        offsets[0][mask] = cy - ys[mask]
        offsets[1][mask] = cx - xs[mask]
        valid |= mask
    return offsets, valid


@MODELS.register_module()
class CentreOffsetHead(nn.Module):
    """A dense decode head regressing ``(dy, dx)`` to the instance centre, with an L1 loss over
    thing pixels (Panoptic-DeepLab's offset loss).

    Args:
        head: A dense head config whose forward maps the backbone features to ``(B, C, h, w)``
            (e.g. ``mmseg.FPNHead``); its output layer is built with 2 channels.
        num_things_classes: Thing classes (first in the label space).
        loss_weight: Weight of the loss, whose offsets are in input pixels (Panoptic-DeepLab:
            0.01 on 1024-pixel crops, where offsets are ~16x larger than on 64-pixel images).
    """

    def __init__(self, *, head: dict, num_things_classes: int, loss_weight: float = 0.1) -> None:
        super().__init__()
        self.head = MODELS.build(dict(head, num_classes=2, out_channels=2))
        self.num_things_classes = num_things_classes
        self.loss_weight = loss_weight

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """``(B, 2, h, w)`` offsets in input pixels at the head's output stride."""
        return self.head(feats)

    def loss(self, feats: Sequence[Tensor], masks: Sequence[Tensor],
             labels: Sequence[Tensor]) -> dict:
        """``{'loss_offset': ...}``: mean L1 over the batch's thing pixels.

        Args:
            feats: Backbone features.
            masks: Per image ``(N_i, H, W)`` bool masks at the padded input size.
            labels: Per image ``(N_i,)`` classes.
        """
        pred = self(feats)
        targets = [centre_offsets(m, lab, num_things_classes=self.num_things_classes)
                   for m, lab in zip(masks, labels)]
        target = torch.stack([t for t, _ in targets])
        valid = torch.stack([v for _, v in targets])
        pred = F.interpolate(pred, size=target.shape[-2:], mode='bilinear', align_corners=False)
        err = (pred - target).abs().sum(dim=1)  # (B, H, W): |dy| + |dx|, as Panoptic-DeepLab
        loss = (err * valid).sum() / valid.sum().clamp(min=1)
        return dict(loss_offset=self.loss_weight * loss)
