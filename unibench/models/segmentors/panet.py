"""PANet: mmdet's Mask R-CNN with PANet's neck and heads, as an instance specialist.

Liu et al., "Path Aggregation Network for Instance Segmentation", CVPR 2018. The three changes
to Mask R-CNN are parts named in the config: bottom-up path augmentation (mmdet's ``PAFPN``),
adaptive feature pooling (:class:`AdaptiveRoIExtractor` with :class:`PANetBBoxHead` /
:class:`PANetMaskHead`) and the fully-connected fusion mask branch (:class:`PANetMaskHead`).
"""
from typing import Optional

from mmdet.models.detectors import MaskRCNN
from mmdet.structures import SampleList
from mmengine.config import ConfigDict
from torch import Tensor

from unibench.models.segmentors.global_losses import GlobalLossLog
from unibench.models.segmentors.mask2former import feature_shapes
from unibench.registry import MODELS


@MODELS.register_module()
class PANet(GlobalLossLog, MaskRCNN):
    """Mask R-CNN whose neck input channels come from the backbone; answers the instance task.

    Predictions are mmdet's ``pred_instances`` (``masks``, ``labels``, ``scores``, ``bboxes``),
    which :class:`~unibench.evaluation.InstanceSegMetric` scores; labels index the thing classes
    (things come first in the dataset's label order).

    Args:
        backbone: Backbone config; its output channels fill the neck's ``in_channels``.
        neck: Neck config (mmdet ``PAFPN``) without ``in_channels``.
        rpn_head: RPN head config.
        roi_head: RoI head config (mmdet ``StandardRoIHead`` with PANet's extractor and heads).
        train_cfg: ``rpn`` / ``rpn_proposal`` / ``rcnn`` sampling; ``None`` builds the inference
            model.
        test_cfg: ``rpn`` / ``rcnn`` decoding (NMS, score threshold, mask binarisation).
        data_preprocessor: ``DetDataPreprocessor`` config.
        init_cfg: Initialisation config.
    """

    family = 'panet'

    def __init__(self, *, backbone: dict, neck: dict, rpn_head: dict, roi_head: dict,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, neck=None, rpn_head=rpn_head, roi_head=roi_head,
                         train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        channels, _ = feature_shapes(self.backbone)
        self.neck = MODELS.build(ConfigDict(neck), default_args=dict(in_channels=channels))

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Instance predictions; a sample asking for another task is an error."""
        for sample in batch_data_samples:
            task = sample.metainfo.get('task', 'instance')
            if task != 'instance':
                raise ValueError(f'PANet is an instance segmenter and cannot answer task '
                                 f'{task!r}; evaluate it with --task instance')
        return super().predict(batch_inputs, batch_data_samples, rescale=rescale)
