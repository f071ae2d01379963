"""SegGPT's masked reconstruction loss; follows baaivision/Painter
SegGPT/SegGPT_inference/models_seggpt.py ``forward_loss`` (commit e7824926, MIT)."""
import torch.nn.functional as F
from torch import Tensor, nn

from unibench.registry import MODELS


@MODELS.register_module()
class MaskedSmoothL1Loss(nn.Module):
    """Smooth-L1 between painting and target, averaged over the masked, valid pixels.

    ``loss = sum(smooth_l1(pred, target) * m) / sum(m)`` with ``m`` = (masked patch) x (valid
    pixel), summed over the three channels, as the official ``forward_loss``. Pixels of visible
    patches and invalid pixels (void labels, padding) contribute nothing.

    Args:
        beta: Smooth-L1 transition point in normalised pixel units (0.01 in SegGPT).
        loss_weight: Multiplier of the loss.
    """

    def __init__(self, *, beta: float = 0.01, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.beta = beta
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        """Args:
            pred: ``(N, 3, H, W)`` painting (ImageNet-normalised).
            target: ``(N, 3, H, W)`` coloured target in the same space.
            weight: ``(N, 1 or 3, H, W)``, 1 on masked valid pixels and 0 elsewhere.

        Returns:
            Scalar loss; 0 (with a gradient) when nothing is masked.
        """
        weight = weight.expand_as(pred).to(pred.dtype)
        loss = F.smooth_l1_loss(pred, target, reduction='none', beta=self.beta)
        # The official divides by mask.sum() alone; the clamp keeps a batch without valid masked
        # pixels (e.g. instance samples without instances) finite.
        return self.loss_weight * (loss * weight).sum() / weight.sum().clamp(min=1.0)
