"""Mask2Former segmentor with task-aware outputs, on mmdet's ``MaskFormer`` detector.

Cheng et al., "Masked-attention Mask Transformer for Universal Image Segmentation", CVPR 2022.
The head is unibench's :class:`~unibench.models.heads.Mask2FormerHead` (mmdet's MSDeformAttn
pixel decoder and decoder layers, the masked-attention decoder and criterion that OneFormer
shares). This class adds what a benchmark needs: the backbone's channels and strides are read
from the built backbone and the class counts from the head (configs never restate them), and
predictions follow each sample's task, semantic included (mmdet refuses it).
"""
from typing import List, Optional, Sequence, Tuple

import torch
from mmdet.models.detectors import MaskFormer
from mmdet.models.detectors.single_stage import SingleStageDetector
from mmdet.structures import SampleList
from mmengine.config import ConfigDict
from torch import nn

from unibench.models.segmentors.global_losses import GlobalLossLog
from unibench.models.segmentors.train_only import TrainOnlyParts
from unibench.registry import MODELS


@MODELS.register_module()
class Mask2Former(GlobalLossLog, TrainOnlyParts, MaskFormer):
    """Mask-classification segmentor whose predictions follow each sample's task.

    The training targets come from :class:`~unibench.datasets.transforms.DeriveTaskTargets`, which
    writes the task's masks into ``gt_instances`` (and drops ``gt_sem_seg``), so the same head
    trains panoptic, instance or semantic models by configuration alone. With several processes
    the logged losses are the global batch's (:class:`GlobalLossLog`).

    Args:
        backbone: Backbone config; its output channels and strides are probed once.
        panoptic_head: Head config (:class:`Mask2FormerHead` or :class:`OneFormerHead`);
            ``in_channels`` and ``strides`` are filled in from the backbone (or neck).
        panoptic_fusion_head: Decoder of the outputs (``TaskFusionHead``); its class counts
            are the head's.
        neck: Optional neck between backbone and head.
        train_cfg: Assigner / point-sampling settings; ``None`` builds the inference model.
        test_cfg: Decoding thresholds (see ``TaskFusionHead``).
        data_preprocessor: ``DetDataPreprocessor`` config.
        init_cfg: Initialisation config.
    """

    family = 'mask2former'
    train_only_prefixes = ('panoptic_head.criterion.', )  # the loss's buffers (class weights)

    def __init__(self, *, backbone: dict, panoptic_head: dict, panoptic_fusion_head: dict,
                 neck: Optional[dict] = None, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        # MaskFormer.__init__ would build the head before we know the backbone's shapes.
        super(SingleStageDetector, self).__init__(data_preprocessor=data_preprocessor,
                                                  init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        channels, strides = feature_shapes(self.backbone, getattr(self, 'neck', None))
        self.panoptic_head = MODELS.build(
            ConfigDict(panoptic_head),
            default_args=dict(in_channels=channels, strides=strides, train_cfg=train_cfg,
                              test_cfg=test_cfg))
        self.num_things_classes = self.panoptic_head.num_things_classes
        self.num_stuff_classes = self.panoptic_head.num_stuff_classes
        self.panoptic_fusion_head = MODELS.build(
            ConfigDict(panoptic_fusion_head), default_args=dict(
                test_cfg=test_cfg, num_things_classes=self.num_things_classes,
                num_stuff_classes=self.num_stuff_classes))
        self.num_classes = self.panoptic_head.num_classes
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    def add_pred_to_datasample(self, data_samples: SampleList,
                               results_list: List[dict]) -> SampleList:
        """Writes ``pred_panoptic_seg``, ``pred_instances`` and ``pred_sem_seg``."""
        fields = dict(pan_results='pred_panoptic_seg', ins_results='pred_instances',
                      sem_results='pred_sem_seg')
        for data_sample, pred_results in zip(data_samples, results_list):
            for key, field in fields.items():
                if key in pred_results:
                    setattr(data_sample, field, pred_results[key])
        return data_samples


def feature_shapes(backbone: nn.Module, neck: Optional[nn.Module] = None,
                   size: int = 128) -> Tuple[List[int], List[int]]:
    """Channels and strides of the multi-scale features, read off a probe forward pass.

    Uses ``backbone.channels`` / ``backbone.strides`` when the backbone declares them (timm's
    ``feature_info``); otherwise runs one ``(1, 3, size, size)`` zero image in eval mode.
    """
    if neck is None and hasattr(backbone, 'channels') and hasattr(backbone, 'strides'):
        return list(backbone.channels), list(backbone.strides)
    was_training = backbone.training
    backbone.eval()
    with torch.no_grad():
        feats: Sequence[torch.Tensor] = backbone(torch.zeros(1, 3, size, size))
        if neck is not None:
            feats = neck(feats)
    backbone.train(was_training)
    return [f.shape[1] for f in feats], [size // f.shape[-1] for f in feats]
