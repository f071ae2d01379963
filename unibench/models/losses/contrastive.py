"""Query-text contrastive loss; follows SHI-Labs/OneFormer oneformer/modeling/criterion.py (MIT)."""
import math

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from unibench.registry import MODELS


@MODELS.register_module()
class QueryTextContrastiveLoss(nn.Module):
    """Symmetric InfoNCE between each image's object queries and its text queries.

    OneFormer (Jain et al., CVPR 2023), Sec. 3.3 and Eq. 1, as ``SetCriterion.loss_contrastive``:
    an image is *one* vector (its ``N x C`` queries flattened and L2-normalised) and so is its text
    list; the positives are the pairs of the same image, the negatives every other image of the
    global batch. Each process scores its own images against the texts of all processes (and its
    texts against all images); the gather keeps gradients (``torch.distributed.nn``), as
    ``diffdist.all_gather`` does in the official code. The loss is the *sum* of both directions.

    Args:
        temperature: Initial temperature; the learnable logit scale starts at ``log(1 / T)``.
        max_logit_scale: ``exp(logit_scale)`` is clamped to at most this.
        loss_weight: Multiplies the loss (OneFormer: 0.5).
    """

    def __init__(self, *, temperature: float = 0.07, max_logit_scale: float = 100.0,
                 loss_weight: float = 0.5) -> None:
        super().__init__()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / temperature)))
        self.max_logit_scale = max_logit_scale
        self.loss_weight = loss_weight

    def forward(self, image_queries: Tensor, text_queries: Tensor) -> Tensor:
        """Computes the weighted loss.

        Args:
            image_queries: ``(B, N, C)`` queries after the query-initialisation stage.
            text_queries: ``(B, N, C)`` text-mapper output of the same images.

        Returns:
            Scalar loss.
        """
        image = F.normalize(image_queries.float().flatten(1), dim=-1)
        text = F.normalize(text_queries.float().flatten(1), dim=-1)
        rank = dist.get_rank() if _distributed() else 0
        labels = torch.arange(len(image), device=image.device) + rank * len(image)
        logits_per_image = image @ _gather(text).t()
        logits_per_text = text @ _gather(image).t()
        scale = self.logit_scale.exp().clamp(max=self.max_logit_scale)
        loss = (F.cross_entropy(logits_per_image * scale, labels) +
                F.cross_entropy(logits_per_text * scale, labels))
        return self.loss_weight * loss


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _gather(x: Tensor) -> Tensor:
    """``(B, D)`` local rows -> ``(world * B, D)`` rows of all processes, rank-ordered."""
    if not _distributed():
        return x
    from torch.distributed.nn.functional import all_gather  # differentiable gather
    return torch.cat(all_gather(x.contiguous()), dim=0)
