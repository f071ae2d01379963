"""Set criterion of mask-classification models; follows SHI-Labs/OneFormer
oneformer/modeling/criterion.py and matcher.py (MIT), which follow facebookresearch/Mask2Former.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import point_sample
from mmdet.models.utils import get_uncertain_point_coords_with_randomness
from mmdet.utils import reduce_mean
from mmengine.structures import InstanceData
from torch import Tensor, nn

from unibench.registry import MODELS, TASK_UTILS


@MODELS.register_module()
class SetCriterion(nn.Module):
    """Hungarian-matched class + point-sampled mask losses, with optional query-text contrast.

    Mask2Former (Cheng et al., CVPR 2022, Sec. 3.2) and OneFormer (Eq. 2):
    ``L = w_cls CE + w_mask BCE + w_dice Dice`` on every output (deep supervision, each output
    matched on its own), plus ``w_con L_contrastive`` once (OneFormer). Matching uses
    ``num_points`` uniform points shared by all predictions and targets of an image; the mask
    losses use importance-sampled points (``oversample_ratio``, ``importance_sample_ratio``) of the
    matched predictions. All mask terms are normalised by the number of target masks in the global
    batch; CE is weighted ``1`` for classes and ``no_object_weight`` for "no object" and averaged
    by the weight sum (the official ``empty_weight``).

    Args:
        num_classes: ``K``; the class logits have ``K + 1`` columns, the last is "no object".
        assigner: mmdet ``HungarianAssigner`` config (its costs carry the matching weights).
        loss_cls: mmdet ``CrossEntropyLoss`` config (softmax; carries the class weight).
        loss_mask: mmdet ``CrossEntropyLoss(use_sigmoid=True)`` config.
        loss_dice: mmdet ``DiceLoss`` config.
        no_object_weight: CE weight of the "no object" class.
        num_points: Points per mask for matching and for the mask losses.
        oversample_ratio: Candidate points = ``oversample_ratio * num_points``.
        importance_sample_ratio: Share of the points taken where the prediction is most uncertain.
        loss_contrastive: Optional :class:`QueryTextContrastiveLoss` config (OneFormer).
    """

    def __init__(self, *, num_classes: int, assigner: dict, loss_cls: dict, loss_mask: dict,
                 loss_dice: dict, no_object_weight: float = 0.1, num_points: int = 12544,
                 oversample_ratio: float = 3.0, importance_sample_ratio: float = 0.75,
                 loss_contrastive: Optional[dict] = None) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.assigner = TASK_UTILS.build(assigner)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        self.loss_contrastive = MODELS.build(loss_contrastive) if loss_contrastive else None
        class_weight = torch.ones(num_classes + 1)
        class_weight[-1] = no_object_weight
        self.register_buffer('class_weight', class_weight, persistent=False)
        self.num_points = num_points
        self.oversample_ratio = oversample_ratio
        self.importance_sample_ratio = importance_sample_ratio

    def forward(self, cls_scores: Sequence[Tensor], mask_preds: Sequence[Tensor],
                batch_gt_instances: Sequence[InstanceData], batch_img_metas: Sequence[dict],
                image_queries: Optional[Tensor] = None,
                text_queries: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses of all outputs.

        Args:
            cls_scores: Per output (initial queries first, final last), ``(B, Q, K + 1)`` logits.
            mask_preds: Per output, ``(B, Q, h, w)`` mask logits.
            batch_gt_instances: Per image, ``labels (M,)`` and ``masks (M, H, W)`` (tensor or
                mmdet ``BitmapMasks``), ``H, W`` being the padded input size or less.
            batch_img_metas: Per image metainfo (``batch_input_shape`` pads smaller masks).
            image_queries: ``(B, N, C)`` queries for the contrastive loss.
            text_queries: ``(B, N, C)`` text queries for the contrastive loss.

        Returns:
            ``loss_cls``, ``loss_mask``, ``loss_dice`` of the final output, ``d{i}.loss_*`` of
            output ``i`` before it (mmdet's names), and ``loss_contrastive`` when configured and
            both query sets are given.
        """
        targets = [_target_masks(gt, meta, cls_scores[0].device)
                   for gt, meta in zip(batch_gt_instances, batch_img_metas, strict=True)]
        num_masks = sum(len(labels) for labels, _ in targets)
        num_masks = max(reduce_mean(cls_scores[0].new_tensor(float(num_masks))).item(), 1.0)
        losses = {}
        last = len(cls_scores) - 1
        for i, (cls_score, mask_pred) in enumerate(zip(cls_scores, mask_preds, strict=True)):
            prefix = '' if i == last else f'd{i}.'
            loss_cls, loss_mask, loss_dice = self.loss_single(cls_score, mask_pred, targets,
                                                              num_masks)
            losses.update({f'{prefix}loss_cls': loss_cls, f'{prefix}loss_mask': loss_mask,
                           f'{prefix}loss_dice': loss_dice})
        if self.loss_contrastive is not None and text_queries is not None:
            losses['loss_contrastive'] = self.loss_contrastive(image_queries, text_queries)
        return losses

    def loss_single(self, cls_score: Tensor, mask_pred: Tensor,
                    targets: List[Tuple[Tensor, Tensor]],
                    num_masks: float) -> Tuple[Tensor, Tensor, Tensor]:
        """Matches one output to the targets and scores it.

        Args:
            cls_score: ``(B, Q, K + 1)`` logits.
            mask_pred: ``(B, Q, h, w)`` logits.
            targets: Per image, ``labels (M,)`` int64 and ``masks (M, H, W)`` bool.
            num_masks: Global target count (normaliser).

        Returns:
            Weighted ``loss_cls``, ``loss_mask`` and ``loss_dice``.
        """
        labels = cls_score.new_full(cls_score.shape[:2], self.num_classes, dtype=torch.long)
        src_preds, tgt_masks = [], []
        for b, (gt_labels, gt_masks) in enumerate(targets):
            query_idx, gt_idx = self.match(cls_score[b], mask_pred[b], gt_labels, gt_masks)
            labels[b, query_idx] = gt_labels[gt_idx]
            src_preds.append(mask_pred[b, query_idx])
            tgt_masks.append(gt_masks[gt_idx])

        weight = self.class_weight.to(cls_score.device)[labels.flatten()]
        loss_cls = self.loss_cls(cls_score.flatten(0, 1), labels.flatten(), weight,
                                 avg_factor=weight.sum())
        src_masks = torch.cat(src_preds)[:, None]  # (M_total, 1, h, w)
        if len(src_masks) == 0:  # no target in the batch: keep the graph, zero mask loss
            zero = mask_pred.sum() * 0
            return loss_cls, zero, zero
        tgt = torch.cat(tgt_masks)[:, None].float()
        with torch.no_grad():
            coords = get_uncertain_point_coords_with_randomness(
                src_masks, None, self.num_points, self.oversample_ratio,
                self.importance_sample_ratio)
            point_targets = point_sample(tgt, coords, align_corners=False).squeeze(1)
        point_logits = point_sample(src_masks, coords, align_corners=False).squeeze(1)
        loss_dice = self.loss_dice(point_logits, point_targets, avg_factor=num_masks)
        loss_mask = self.loss_mask(point_logits.flatten(), point_targets.flatten(),
                                   avg_factor=num_masks * self.num_points)
        return loss_cls, loss_mask, loss_dice

    @torch.no_grad()
    def match(self, cls_score: Tensor, mask_pred: Tensor, gt_labels: Tensor,
              gt_masks: Tensor) -> Tuple[Tensor, Tensor]:
        """Hungarian matching of one image on uniformly sampled points (official matcher).

        Args:
            cls_score: ``(Q, K + 1)`` logits.
            mask_pred: ``(Q, h, w)`` logits.
            gt_labels: ``(M,)`` labels.
            gt_masks: ``(M, H, W)`` bool masks.

        Returns:
            Matched query indices and their target indices, both ``(min(Q, M),)``.
        """
        if len(gt_labels) == 0:
            empty = gt_labels.new_zeros((0, ), dtype=torch.long)
            return empty, empty
        coords = torch.rand((1, self.num_points, 2), device=cls_score.device)
        pred_points = point_sample(mask_pred[:, None].float(),
                                   coords.expand(len(mask_pred), -1, -1),
                                   align_corners=False).squeeze(1)
        gt_points = point_sample(gt_masks[:, None].float(), coords.expand(len(gt_masks), -1, -1),
                                 align_corners=False).squeeze(1)
        assign = self.assigner.assign(
            pred_instances=InstanceData(scores=cls_score.float(), masks=pred_points),
            gt_instances=InstanceData(labels=gt_labels, masks=gt_points))
        query_idx = torch.nonzero(assign.gt_inds > 0, as_tuple=True)[0]
        return query_idx, assign.gt_inds[query_idx] - 1


def _target_masks(gt: InstanceData, meta: dict, device: torch.device) -> Tuple[Tensor, Tensor]:
    """Labels ``(M,)`` and bool masks ``(M, H_pad, W_pad)`` on ``device``.

    Point coordinates are relative to the padded input, so masks smaller than
    ``batch_input_shape`` (a data preprocessor without ``pad_mask``) are zero-padded bottom-right.
    """
    masks = gt.masks
    if hasattr(masks, 'to_tensor'):  # mmdet BitmapMasks / PolygonMasks
        masks = masks.to_tensor(dtype=torch.bool, device=device)
    masks = masks.to(device=device, dtype=torch.bool)
    pad_h, pad_w = meta.get('batch_input_shape', masks.shape[-2:])
    if masks.shape[-2] < pad_h or masks.shape[-1] < pad_w:
        masks = F.pad(masks, (0, pad_w - masks.shape[-1], 0, pad_h - masks.shape[-2]))
    return gt.labels.to(device=device, dtype=torch.long), masks
