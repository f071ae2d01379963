"""Adaptive feature pooling's RoI extractor (PANet, Liu et al. CVPR 2018, Sec. 3.2).

Follows ShuLiu1993/PANet@5154dd5 lib/modeling/model_builder.py (MIT),
``roi_feature_transform(..., panet=True)``: every proposal is pooled from every FPN level instead
of the one its size maps to.
"""
from typing import Optional, Tuple

import torch
from mmdet.models.roi_heads.roi_extractors import BaseRoIExtractor
from torch import Tensor

from unibench.registry import MODELS


@MODELS.register_module()
class AdaptiveRoIExtractor(BaseRoIExtractor):
    """RoIAlign of each RoI on all levels; the heads fuse the levels (``LevelMaxFusion``).

    mmdet's :class:`SingleRoIExtractor` picks one level per RoI by its scale (FPN Eq. 1); PANet
    pools every level, since a level's usefulness for a proposal does not follow its size
    (paper Fig. 3). Construction is mmdet's (``roi_layer``, ``out_channels``,
    ``featmap_strides``): one RoI layer per stride.
    """

    def forward(self, feats: Tuple[Tensor, ...], rois: Tensor,
                roi_scale_factor: Optional[float] = None) -> Tensor:
        """Pools ``rois`` on every level.

        Args:
            feats: ``L`` feature maps ``(B, C, H_l, W_l)``, finest first (``featmap_strides``).
            rois: ``(N, 5)`` boxes ``(batch index, x1, y1, x2, y2)`` in input pixels.
            roi_scale_factor: Optional box enlargement about the centre (mmdet's option).

        Returns:
            ``(N, L, C, out_h, out_w)`` pooled features, one grid per level.
        """
        if len(feats) != self.num_inputs:
            raise ValueError(f'AdaptiveRoIExtractor has {self.num_inputs} levels (featmap_strides '
                             f'{self.featmap_strides}) but got {len(feats)} feature maps')
        rois = rois.type_as(feats[0])
        if roi_scale_factor is not None:
            rois = self.roi_rescale(rois, roi_scale_factor)
        pooled = [layer(feat, rois) for layer, feat in zip(self.roi_layers, feats)]
        return torch.stack(pooled, dim=1)
