"""A backbone with a linear classifier on its globally pooled last stage: the classification
pre-training of a segmentation backbone (ImageNet's role in the papers) on object crops."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import LabelData
from torch import Tensor, nn

from unibench.models.segmentors.global_losses import GlobalLossLog
from unibench.models.segmentors.mask2former import feature_shapes
from unibench.registry import MODELS


@MODELS.register_module()
class CropClassifier(GlobalLossLog, BaseModel):
    """``backbone -> global average pool of the last stage -> dropout -> linear``.

    Args:
        backbone: Backbone config (the segmentation models' backbone, so its weights load there).
        num_classes: Classes of the crops.
        dropout: Dropout before the classifier.
        data_preprocessor: mmengine ``ImgDataPreprocessor`` config (mean / std, RGB).
        init_cfg: mmengine init config.
    """

    family = 'classifier'

    def __init__(self, *, backbone: dict, num_classes: int, dropout: float = 0.0,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None
                 ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        channels, _ = feature_shapes(self.backbone)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels[-1], num_classes)

    def forward(self, inputs: Tensor, data_samples: Optional[Sequence[LabelData]] = None,
                mode: str = 'tensor') -> Union[Tensor, Dict[str, Tensor], List[LabelData]]:
        """``tensor``: ``(B, K)`` logits; ``loss``: ``{'loss_cls'}``; ``predict``: samples with
        ``pred_label`` and ``score``.

        Args:
            inputs: ``(B, 3, H, W)`` normalised crops.
            data_samples: ``LabelData(label=...)`` per crop (``loss``, ``predict``).
            mode: ``tensor``, ``loss`` or ``predict``.
        """
        logits = self.fc(self.dropout(self.backbone(inputs)[-1].mean((2, 3))))
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            labels = torch.stack([s.label for s in data_samples]).to(logits.device).view(-1)
            return dict(loss_cls=F.cross_entropy(logits, labels))
        if mode == 'predict':
            for sample, row in zip(data_samples, logits.softmax(-1)):
                sample.pred_label = row.argmax()
                sample.score = row
            return list(data_samples)
        raise ValueError(f'CropClassifier: unknown mode {mode!r}')

    def num_parameters(self, inference: bool = True) -> int:
        """Parameter count (the classifier has no training-only parts)."""
        return sum(p.numel() for p in self.parameters())
