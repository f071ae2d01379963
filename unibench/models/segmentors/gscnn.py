"""Gated-SCNN segmentor (composition); after nv-tlabs/GSCNN network/gscnn.py (CC BY-NC-SA 4.0)."""
from typing import Dict, List, Optional, Sequence

from mmengine.config import ConfigDict
from mmseg.models.segmentors import EncoderDecoder
from torch import Tensor

from unibench.models.layers.boundary import canny_edges
from unibench.models.segmentors.mask2former import feature_shapes
from unibench.models.segmentors.semantic import SemanticSegmentor, stack_label_maps
from unibench.registry import MODELS


@MODELS.register_module()
class GSCNN(SemanticSegmentor):
    """Gated Shape CNN: regular stream (backbone) + shape stream and fusion
    (:class:`~unibench.models.heads.GSCNNHead`) trained with the dual-task loss
    (:class:`~unibench.models.losses.GSCNNLoss`).

    Takikawa et al., "Gated-SCNN: Gated Shape CNNs for Semantic Segmentation", ICCV 2019. The
    image-gradient input of the fusion is Canny on the de-normalised image (thresholds 10 / 100,
    as the release). Inference (whole or sliding window), the prediction format and the refusal
    of non-semantic tasks are :class:`SemanticSegmentor`'s.

    Args:
        backbone: Regular-stream config with four output levels (strides 4, 8, 8, 8 for the
            dilated ResNets of the configs); channels are read from the built backbone.
        head: :class:`GSCNNHead` config (``in_channels`` and ``num_classes`` filled in).
        criterion: :class:`GSCNNLoss` config (``num_classes`` filled in).
        num_classes: ``K``.
        canny_thresholds: Hysteresis thresholds of the Canny input.
        train_cfg: ``dict()`` to train, ``None`` for the inference model (no criterion).
        test_cfg: ``dict(mode='whole')`` or sliding-window settings.
        data_preprocessor: mmdet ``DetDataPreprocessor`` config (normalising; its mean / std
            undo the normalisation for Canny).
        init_cfg: mmengine init config.
    """

    def __init__(self, *, backbone: dict, head: dict, criterion: dict, num_classes: int,
                 canny_thresholds: Sequence[float] = (10, 100), train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        # EncoderDecoder.__init__ builds an mmseg decode head; Gated-SCNN has its own parts.
        super(EncoderDecoder, self).__init__(data_preprocessor=data_preprocessor,
                                             init_cfg=init_cfg)
        self.family = 'gscnn'
        self.backbone = MODELS.build(backbone)
        channels, _ = feature_shapes(self.backbone)
        self.head = MODELS.build(ConfigDict(head), default_args=dict(in_channels=channels,
                                                                     num_classes=num_classes))
        self.criterion = (MODELS.build(ConfigDict(criterion),
                                       default_args=dict(num_classes=num_classes))
                          if train_cfg is not None else None)
        self.num_classes = self.out_channels = num_classes  # read by slide_inference
        self.align_corners = False
        self.canny_thresholds = tuple(canny_thresholds)
        self.train_cfg = train_cfg
        self.test_cfg = ConfigDict(test_cfg or dict(mode='whole'))

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Regular-stream maps ``[(B, C_i, H_i, W_i)] x 4``."""
        return list(self.backbone(inputs))

    def edges(self, inputs: Tensor) -> Tensor:
        """``(B, 1, H, W)`` Canny edges of the de-normalised ``(B, 3, H, W)`` inputs."""
        pre = self.data_preprocessor
        images = inputs * pre.std + pre.mean if getattr(pre, '_enable_normalize', False) \
            else inputs
        low, high = self.canny_thresholds
        return canny_edges(images, low=low, high=high)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """``(B, K, H, W)`` segmentation logits at the input size."""
        return self.head(self.extract_feat(inputs), self.edges(inputs))[0]

    def loss(self, inputs: Tensor, data_samples: Sequence) -> Dict[str, Tensor]:
        """Dual-task losses (``loss_seg``, ``loss_edge``, ``loss_att``, ``loss_dual``).

        Args:
            inputs: ``(B, 3, H, W)`` normalised, padded images.
            data_samples: mmdet samples with ``gt_sem_seg`` or semantic ``gt_instances``.
        """
        if self.criterion is None:
            raise RuntimeError('GSCNN was built without train_cfg (inference model): no loss')
        seg_logits, edge_logits = self.head(self.extract_feat(inputs), self.edges(inputs))
        return self.criterion(seg_logits, edge_logits, stack_label_maps(data_samples))

    def _forward(self, inputs: Tensor, data_samples: Optional[Sequence] = None) -> Tensor:
        """Segmentation logits (``mode='tensor'``, e.g. for FLOP counting)."""
        return self.encode_decode(inputs, [])

    def num_parameters(self, inference: bool = True) -> int:
        """All parameters: every part of Gated-SCNN is used at inference."""
        return sum(p.numel() for p in self.parameters())
