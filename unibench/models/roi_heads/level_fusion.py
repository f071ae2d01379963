"""Adaptive feature pooling's fusion step (PANet, Liu et al. CVPR 2018, Sec. 3.2 and Fig. 6).

Follows ShuLiu1993/PANet@5154dd5 (MIT) lib/modeling/fast_rcnn_heads.py
``roi_Xconv1fc_gn_head_panet`` and mask_rcnn_heads.py ``mask_rcnn_fcn_head_v1upXconvs_gn_adp_ff``:
the feature grid pooled from every level goes through its own copy of the head's first layer,
then the levels are fused by an element-wise max.
"""
from typing import Sequence

import torch
from torch import Tensor, nn


class LevelMaxFusion(nn.Module):
    """``max_l layers[l](x[:, l])``: one parameter layer per pyramid level, fused by max.

    Args:
        layers: One module per level, all with the same output shape (the official code builds
            ``num_levels`` copies of the first conv or fc, ``nn.ModuleList`` ``conv1_head`` /
            ``mask_conv1`` / ``fc1``).
    """

    def __init__(self, layers: Sequence[nn.Module]) -> None:
        super().__init__()
        if not layers:
            raise ValueError('LevelMaxFusion needs one layer per level, got none')
        self.levels = nn.ModuleList(layers)

    @property
    def num_levels(self) -> int:
        return len(self.levels)

    def forward(self, x: Tensor) -> Tensor:
        """Fuses per-level features.

        Args:
            x: ``(N, L, ...)``: the RoI features of each of the ``L`` levels.

        Returns:
            ``(N, ...)`` of the layers' output shape: the element-wise max over levels.
        """
        if x.dim() < 3 or x.shape[1] != self.num_levels:
            raise ValueError(f'LevelMaxFusion expects (N, {self.num_levels}, ...) features, '
                             f'got shape {tuple(x.shape)}')
        fused = self.levels[0](x[:, 0])
        for level in range(1, self.num_levels):
            fused = torch.maximum(fused, self.levels[level](x[:, level]))
        return fused
