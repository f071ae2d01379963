"""Gated-SCNN dual-task loss; after nv-tlabs/GSCNN loss.py and my_functionals/DualTaskLoss.py
(CC BY-NC-SA 4.0), our own code. Deviations from the release are stated where they are made."""
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from unibench.models.layers.boundary import boundary_targets, gradient_magnitude
from unibench.registry import MODELS


@MODELS.register_module()
class GSCNNLoss(nn.Module):
    """Segmentation, boundary and dual-task losses of Gated-SCNN.

    Takikawa et al., "Gated-SCNN: Gated Shape CNNs for Semantic Segmentation", ICCV 2019, Eq. 4-7
    and the official ``JointEdgeSegLoss`` (default weights 1, ``train.py``):

    * ``loss_seg``: cross-entropy with per-image class weights
      (``ImageBasedCrossEntropyLoss2d``: ``w_c = 1 + upper_bound * (1 - f_c)`` for the classes
      present, ``f_c`` their pixel share in the image);
    * ``loss_edge``: ``20 x`` class-balanced binary cross-entropy on the shape stream's boundary
      logits against boundaries derived from the label map (``bce2d``);
    * ``loss_att``: the same weighted cross-entropy restricted to the pixels where the predicted
      boundary probability exceeds ``edge_threshold`` (Eq. 7, the "edge attention" term);
    * ``loss_dual``: Eq. 5, the L1 distance between the boundary magnitude of the Gumbel-softmax
      segmentation and that of the ground truth, averaged over the pixels where either is a
      boundary, each side weighted 0.5 (``DualTaskLoss``).

    Per-image terms are averaged over the batch; the release sums them over each GPU's batch of
    one image (``bs_mult 1``), which is the same.

    Args:
        num_classes: ``K``.
        ignore_index: Void label.
        seg_weight: Weight of ``loss_seg``.
        edge_weight: Weight of ``loss_edge`` (on top of the release's fixed factor 20).
        att_weight: Weight of ``loss_att``.
        dual_weight: Weight of ``loss_dual``.
        upper_bound: ``wt_bound`` of the per-image class weights.
        boundary_radius: Half-width of the boundary targets (the release's 2).
        edge_threshold: Boundary probability above which ``loss_att`` applies (0.8).
        gumbel_tau: Gumbel-softmax temperature of ``loss_dual`` (0.5).
    """

    edge_factor = 20.0  # JointEdgeSegLoss.forward: edge_weight * 20 * bce2d(...)

    def __init__(self, *, num_classes: int, ignore_index: int = 255, seg_weight: float = 1.0,
                 edge_weight: float = 1.0, att_weight: float = 1.0, dual_weight: float = 1.0,
                 upper_bound: float = 1.0, boundary_radius: int = 2, edge_threshold: float = 0.8,
                 gumbel_tau: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.weights = dict(loss_seg=seg_weight, loss_edge=edge_weight, loss_att=att_weight,
                            loss_dual=dual_weight)
        self.upper_bound = upper_bound
        self.boundary_radius = boundary_radius
        self.edge_threshold = edge_threshold
        self.gumbel_tau = gumbel_tau

    def forward(self, seg_logits: Tensor, edge_logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        """The four weighted terms.

        Args:
            seg_logits: ``(B, K, H, W)`` segmentation logits at the label resolution.
            edge_logits: ``(B, 1, H, W)`` boundary logits of the shape stream.
            labels: ``(B, H, W)`` class map, ``ignore_index`` = void.

        Returns:
            ``loss_seg``, ``loss_edge``, ``loss_att``, ``loss_dual`` (scalars).
        """
        labels = labels.long()
        edges = boundary_targets(labels, radius=self.boundary_radius,
                                 ignore_index=self.ignore_index)
        # The release feeds sigmoid(edge) to binary_cross_entropy_with_logits (a double sigmoid);
        # the paper's loss is BCE on the boundary probability, i.e. BCE-with-logits on logits.
        attended = torch.where(edge_logits.detach().sigmoid()[:, 0] > self.edge_threshold,
                               labels, torch.full_like(labels, self.ignore_index))
        terms = dict(
            loss_seg=self.image_weighted_ce(seg_logits, labels),
            loss_edge=self.edge_factor * balanced_bce(edge_logits[:, 0], edges,
                                                      ignore_index=self.ignore_index),
            loss_att=self.image_weighted_ce(seg_logits, attended),
            loss_dual=self.dual_task(seg_logits, labels))
        return {k: self.weights[k] * v for k, v in terms.items()}

    def image_weighted_ce(self, logits: Tensor, labels: Tensor) -> Tensor:
        """``ImageBasedCrossEntropyLoss2d``: CE with class weights from each image's histogram.

        An image without valid pixels adds 0 (torch's weighted mean would be 0 / 0 = NaN, which
        happens for ``loss_att`` before the shape stream predicts any confident boundary).
        """
        total = logits.sum() * 0  # keeps the graph when every image is empty
        for logit, label in zip(logits, labels):
            valid = label != self.ignore_index
            if not valid.any():
                continue
            hist = torch.bincount(label[valid], minlength=self.num_classes).float()
            hist = hist[:self.num_classes] / valid.sum()
            weight = (hist > 0).float() * self.upper_bound * (1 - hist) + 1
            total = total + F.cross_entropy(logit[None], label[None], weight=weight,
                                            ignore_index=self.ignore_index)
        return total / len(logits)

    def dual_task(self, logits: Tensor, labels: Tensor) -> Tensor:
        """Eq. 5: boundaries of the (Gumbel-softmax) prediction should match the ground truth's.

        As the release, void pixels get zero logits and class 0 in the one-hot target; unlike it,
        they are left out of the L1 average (their boundaries are unknown, not class 0's).
        """
        valid = labels != self.ignore_index
        logits = torch.where(valid[:, None], logits, torch.zeros_like(logits))
        target = F.one_hot(torch.where(valid, labels, torch.zeros_like(labels)),
                           self.num_classes).permute(0, 3, 1, 2).float()
        gumbel = -torch.log(1e-10 - torch.log(torch.rand_like(logits) + 1e-10))
        probs = F.softmax((logits + gumbel) / self.gumbel_tau, dim=1)
        pred_mag, pred_on = gradient_magnitude(probs)
        gt_mag, gt_on = gradient_magnitude(target)
        l1 = (pred_mag - gt_mag).abs()
        valid = valid[:, None].expand_as(l1)
        pred_on, gt_on = (pred_on & valid).float(), (gt_on & valid).float()
        eps = 1e-10  # DualTaskLoss: sum / (count + eps)
        return (0.5 * (l1 * pred_on).sum() / (pred_on.sum() + eps) +
                0.5 * (l1 * gt_on).sum() / (gt_on.sum() + eps))


def balanced_bce(logits: Tensor, targets: Tensor, *, ignore_index: int = 255) -> Tensor:
    """``bce2d``: binary cross-entropy with class-balancing weights over the whole batch.

    Boundary pixels weigh ``#negative / #valid``, the others ``#positive / #valid``, ignored
    pixels 0; the weighted sum is divided by the number of all pixels (``size_average=True``).

    Args:
        logits: ``(B, H, W)`` boundary logits.
        targets: ``(B, H, W)`` in {0, 1}, ``ignore_index`` = ignored.

    Returns:
        Scalar loss.
    """
    pos = targets == 1
    neg = targets == 0
    num_pos, num_neg = pos.sum().float(), neg.sum().float()
    total = (num_pos + num_neg).clamp(min=1)
    weight = torch.zeros_like(logits)
    weight[pos] = num_neg / total
    weight[neg] = num_pos / total
    return F.binary_cross_entropy_with_logits(logits, pos.float(), weight=weight)
