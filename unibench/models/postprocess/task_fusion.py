"""Task-aware decoding of mask-classification outputs into each task's prediction format.

Shared by every query-based model (Mask2Former, OneFormer). Panoptic and instance decoding are
mmdet's :class:`MaskFormerFusionHead` (the official Mask2Former inference, kept as it is); this
class adds the semantic decoding mmdet lacks and picks the outputs from the task of each sample.
"""
from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from mmdet.models.seg_heads.panoptic_fusion_heads import MaskFormerFusionHead
from mmdet.structures import SampleList
from mmengine.structures import PixelData
from torch import Tensor

from unibench.registry import MODELS
from unibench.structures import TASKS


@MODELS.register_module()
class TaskFusionHead(MaskFormerFusionHead):
    """Decodes ``(mask_cls, mask_pred)`` for the task named in each sample's metainfo.

    ``test_cfg`` keys: ``object_mask_thr`` and ``iou_thr`` (panoptic; Mask2Former uses 0.8 / 0.8,
    OneFormer 0.5 on ADE20K), ``filter_low_score`` (the official code keeps only pixels with mask
    probability >= 0.5, so configs set it True), ``max_per_image`` (instance top-k), and
    ``task``, the default when a sample carries none. ``outputs`` may map a task to several
    outputs, e.g. a Mask2Former-panoptic model decodes all three from one forward pass.
    """

    def semantic_postprocess(self, mask_cls: Tensor, mask_pred: Tensor) -> PixelData:
        """Per-pixel class map, as in the official ``semantic_inference``.

        Args:
            mask_cls: Class logits ``(Q, K + 1)``; the last column is "no object".
            mask_pred: Mask logits ``(Q, H, W)``.

        Returns:
            ``PixelData(sem_seg=(1, H, W) int64)`` with contiguous class indices.
        """
        cls_prob = F.softmax(mask_cls, dim=-1)[..., :-1]
        seg_logits = torch.einsum('qc,qhw->chw', cls_prob, mask_pred.sigmoid())
        return PixelData(sem_seg=seg_logits.argmax(0)[None], seg_logits=seg_logits)

    def outputs_for(self, task: str) -> Sequence[str]:
        """The decoders that run for ``task`` (a subset of :data:`TASKS`)."""
        outputs = self.test_cfg.get('outputs', {}).get(task, (task, ))
        unknown = set(outputs) - set(TASKS)
        if task not in TASKS or unknown:
            raise ValueError(f'unknown task {task!r} (outputs {sorted(unknown)}); '
                             f'expected one of {TASKS}')
        return outputs

    def predict(self,
                mask_cls_results: Tensor,
                mask_pred_results: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = False,
                **kwargs) -> List[Dict[str, object]]:
        """Decodes a batch.

        Args:
            mask_cls_results: ``(B, Q, K + 1)`` class logits.
            mask_pred_results: ``(B, Q, H, W)`` mask logits at the padded input size.
            batch_data_samples: Samples whose metainfo may carry ``task``.
            rescale: Resize the masks to the original image size.

        Returns:
            One dict per image with ``pan_results``, ``ins_results`` and/or ``sem_results``.
        """
        decoders = dict(panoptic=('pan_results', self.panoptic_postprocess),
                        instance=('ins_results', self.instance_postprocess),
                        semantic=('sem_results', self.semantic_postprocess))
        results = []
        for mask_cls, mask_pred, sample in zip(mask_cls_results, mask_pred_results,
                                               batch_data_samples):
            meta = sample.metainfo
            task = meta.get('task', self.test_cfg.get('task', 'panoptic'))
            img_h, img_w = meta['img_shape'][:2]
            mask_pred = mask_pred[:, :img_h, :img_w]  # drop the batch padding
            if rescale:
                mask_pred = F.interpolate(mask_pred[:, None], size=meta['ori_shape'][:2],
                                          mode='bilinear', align_corners=False)[:, 0]
            result = {}
            for output in self.outputs_for(task):
                key, decode = decoders[output]
                result[key] = decode(mask_cls, mask_pred)
            results.append(result)
        return results
