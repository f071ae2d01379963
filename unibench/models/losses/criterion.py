"""Set criterion of mask-classification models; follows SHI-Labs/OneFormer
oneformer/modeling/criterion.py and matcher.py (MIT), which follow facebookresearch/Mask2Former.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import point_sample
from mmdet.utils import reduce_mean
from mmengine.structures import InstanceData
from torch import Tensor, nn

from unibench.models.losses.matching import batched_cost, hungarian
from unibench.models.losses.point_sampling import uncertain_point_coords
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
        targets = [target_masks(gt, meta, cls_scores[0].device)
                   for gt, meta in zip(batch_gt_instances, batch_img_metas, strict=True)]
        cls = torch.stack(list(cls_scores))  # (L, B, Q, K + 1)
        matches = self.match(cls.detach(), [m.detach() for m in mask_preds], targets)
        pairs = _flatten_matches(matches, [len(labels) for labels, _ in targets], cls.device)
        # The official normaliser: all target masks of the global batch (no host sync here).
        num_masks = sum(len(labels) for labels, _ in targets)
        num_masks = reduce_mean(cls.new_tensor(float(num_masks))).clamp(min=1.0)
        loss_cls = self.class_losses(cls, pairs, targets)
        loss_mask, loss_dice = self.mask_losses(mask_preds, pairs, targets, num_masks)
        losses = {}
        last = len(cls_scores) - 1
        for i in range(len(cls_scores)):
            prefix = '' if i == last else f'd{i}.'
            losses.update({f'{prefix}loss_cls': loss_cls[i], f'{prefix}loss_mask': loss_mask[i],
                           f'{prefix}loss_dice': loss_dice[i]})
        if self.loss_contrastive is not None and text_queries is not None:
            losses['loss_contrastive'] = self.loss_contrastive(image_queries, text_queries)
        return losses

    @torch.no_grad()
    def match(self, cls: Tensor, mask_preds: Sequence[Tensor],
              targets: List[Tuple[Tensor, Tensor]]) -> List[List[Tuple[Tensor, Tensor]]]:
        """Hungarian matching of every output and image (official matcher, batched).

        Each output and image draws its own ``num_points`` uniform points, shared by its
        predictions and targets; the costs are the assigner's match costs.

        Args:
            cls: ``(L, B, Q, K + 1)`` logits.
            mask_preds: ``L`` tensors ``(B, Q, h, w)`` of logits.
            targets: Per image, ``labels (M,)`` and bool ``masks (M, H, W)``.

        Returns:
            Per output, per image: matched query indices (ascending) and target indices.
        """
        num_layers, batch, num_queries = cls.shape[:3]
        counts = [len(labels) for labels, _ in targets]
        m_max = max(counts)
        if m_max == 0:
            return hungarian(cls.new_zeros(num_layers, batch, num_queries, 0), counts)
        coords = torch.rand((num_layers, batch, self.num_points, 2), device=cls.device)
        pred_points = torch.stack([
            point_sample(masks.float(), coords[i], align_corners=False)
            for i, masks in enumerate(mask_preds)])  # (L, B, Q, P)
        gt_points = pred_points.new_zeros(num_layers, batch, m_max, self.num_points)
        gt_labels = torch.zeros((batch, m_max), dtype=torch.long, device=cls.device)
        for b, (labels, masks) in enumerate(targets):
            if len(labels):  # all outputs' points of this image in one call
                points = point_sample(masks[None].float(), coords[:, b].reshape(1, -1, 2),
                                      align_corners=False)[0]
                gt_points[:, b, :len(labels)] = points.view(
                    len(labels), num_layers, -1).transpose(0, 1)
                gt_labels[b, :len(labels)] = labels
        cost = sum(batched_cost(c, cls.float(), gt_labels, pred_points, gt_points)
                   for c in self.assigner.match_costs)
        return hungarian(cost, counts)

    def class_losses(self, cls: Tensor, pairs: Dict[str, Tensor],
                     targets: List[Tuple[Tensor, Tensor]]) -> Tensor:
        """``(L,)`` weighted CE of each output; unmatched queries are "no object".

        Args:
            cls: ``(L, B, Q, K + 1)`` logits.
            pairs: Matched pairs (:func:`_flatten_matches`).
            targets: Per image, ``labels`` and ``masks``.
        """
        labels = torch.full(cls.shape[:3], self.num_classes, dtype=torch.long, device=cls.device)
        if len(pairs['layer']):
            gt_labels = torch.cat([labels_b for labels_b, _ in targets])
            labels[pairs['layer'], pairs['image'], pairs['query']] = gt_labels[pairs['gt']]
        weight = self.class_weight.to(cls.device)[labels]
        loss = self.loss_cls(cls.flatten(0, 2), labels.flatten(), weight.flatten(),
                             reduction_override='none')
        return loss.view(len(cls), -1).sum(-1) / weight.view(len(cls), -1).sum(-1)

    def mask_losses(self, mask_preds: Sequence[Tensor], pairs: Dict[str, Tensor],
                    targets: List[Tuple[Tensor, Tensor]],
                    num_masks: Tensor) -> Tuple[Tensor, Tensor]:
        """``(L,)`` point-sampled BCE and Dice of each output's matched masks.

        The points are importance-sampled per matched prediction (``oversample_ratio``,
        ``importance_sample_ratio``) for all outputs at once.

        Args:
            mask_preds: ``L`` tensors ``(B, Q, h, w)``.
            pairs: Matched pairs, ordered by output, image and query.
            targets: Per image, ``labels`` and bool ``masks (M, H, W)``.
            num_masks: Global target count (normaliser).
        """
        num_layers = len(mask_preds)
        if len(pairs['layer']) == 0:  # no target in the batch: keep the graph, zero mask loss
            zero = torch.stack([m.sum() * 0 for m in mask_preds])
            return zero, zero
        per_layer = len(pairs['layer']) // num_layers  # every output matches the same count
        src = torch.cat([mask_preds[i][pairs['image'][i * per_layer:(i + 1) * per_layer],
                                       pairs['query'][i * per_layer:(i + 1) * per_layer]]
                         for i in range(num_layers)])[:, None]  # (N, 1, h, w)
        with torch.no_grad():
            coords = uncertain_point_coords(
                src, num_points=self.num_points, oversample_ratio=self.oversample_ratio,
                importance_sample_ratio=self.importance_sample_ratio)
            point_targets = _sample_targets(targets, pairs, coords, num_layers)
        point_logits = point_sample(src, coords, align_corners=False).squeeze(1)  # (N, P)
        loss_dice = self.loss_dice(point_logits, point_targets, reduction_override='none')
        loss_mask = self.loss_mask(point_logits.flatten(), point_targets.flatten(),
                                   reduction_override='none')
        loss_dice = loss_dice.view(num_layers, -1).sum(-1) / num_masks
        loss_mask = loss_mask.view(num_layers, -1).sum(-1) / (num_masks * self.num_points)
        return loss_mask, loss_dice


def _flatten_matches(matches: List[List[Tuple[Tensor, Tensor]]], counts: List[int],
                     device: torch.device) -> Dict[str, Tensor]:
    """Matched pairs of all outputs as flat index tensors ``layer``, ``image``, ``query`` and
    ``gt`` (index into the batch's concatenated targets), ordered by output, image, query."""
    offsets = [sum(counts[:b]) for b in range(len(counts))]
    layer, image, query, gt = [], [], [], []
    for i, per_image in enumerate(matches):
        for b, (rows, cols) in enumerate(per_image):
            layer.append(torch.full_like(rows, i))
            image.append(torch.full_like(rows, b))
            query.append(rows)
            gt.append(cols + offsets[b])
    return {k: torch.cat(v).to(device) for k, v in
            dict(layer=layer, image=image, query=query, gt=gt).items()}


def _sample_targets(targets: List[Tuple[Tensor, Tensor]], pairs: Dict[str, Tensor],
                    coords: Tensor, num_layers: int) -> Tensor:
    """``(N, P)`` target values at each pair's points, sampling each target mask once.

    A target is matched at most once per output, so its points from all outputs are gathered
    into one row of ``(M, L * P)`` coordinates (unused slots stay zero and are not read).
    """
    masks = torch.cat([m for _, m in targets])[:, None].float()  # (M, 1, H, W)
    grouped = coords.new_zeros(len(masks), num_layers, *coords.shape[1:])
    grouped[pairs['gt'], pairs['layer']] = coords
    values = point_sample(masks, grouped.flatten(1, 2), align_corners=False)[:, 0]
    return values.view(len(masks), num_layers, -1)[pairs['gt'], pairs['layer']]


def target_masks(gt: InstanceData, meta: dict, device: torch.device) -> Tuple[Tensor, Tensor]:
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
