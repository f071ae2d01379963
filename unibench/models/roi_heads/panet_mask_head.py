"""PANet mask head: adaptive feature pooling plus the fully-connected fusion branch.

Liu et al., "Path Aggregation Network for Instance Segmentation", CVPR 2018, Sec. 3.2-3.3 and
Fig. 4. Follows ShuLiu1993/PANet@5154dd5 lib/modeling/mask_rcnn_heads.py
``mask_rcnn_fcn_head_v1upXconvs_gn_adp_ff`` and ``mask_rcnn_outputs`` (MIT).
"""
from typing import Optional

import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmengine.model import normal_init
from torch import Tensor, nn

from unibench.models.roi_heads.level_fusion import LevelMaxFusion
from unibench.registry import MODELS


@MODELS.register_module()
class PANetMaskHead(FCNMaskHead):
    """Mask R-CNN's FCN mask head with PANet's two changes.

    1. Adaptive feature pooling: ``conv1`` has one copy per pyramid level, fused by element-wise
       max (official ``mask_conv1``).
    2. Fully-connected fusion: from the output of ``conv3`` a short path ``conv4_fc`` (C) ->
       ``conv5_fc`` (C / 2, "to reduce computation") -> fc to the ``28 x 28`` mask predicts one
       class-agnostic foreground map, which is added to every class's FCN logits (official
       ``mask_fc`` and ``mask_rcnn_outputs.forward``). The official fc is followed by a ReLU; we
       keep it.

    The FCN tail (``conv4`` -> 2x deconv -> ReLU -> 1x1 class logits) is mmdet's
    :class:`FCNMaskHead` with one conv; losses, targets and mask pasting are mmdet's.

    Args:
        num_levels: Pyramid levels pooled by :class:`AdaptiveRoIExtractor` (4: P2-P5).
        num_convs: 3x3 convs of the FCN path, the fused ``conv1`` included (paper: 4).
        in_channels: Channels of the pooled features.
        conv_out_channels: Width of the convs (``MRCNN.DIM_REDUCED``, 256).
        roi_feat_size: Side of the pooled features (14).
        fused_fc: Add the fully-connected fusion branch (False: adaptive pooling only, the
            official ``..._gn_adp`` head).
        conv_cfg: mmcv conv config.
        norm_cfg: Norm of every conv (the official head uses GN).
        **kwargs: Other :class:`FCNMaskHead` arguments (``num_classes``, ``loss_mask``, ...).

    Input: ``(N, num_levels, in_channels, 14, 14)``. Output: ``(N, num_classes, 28, 28)`` logits.
    """

    def __init__(self, *, num_levels: int = 4, num_convs: int = 4, in_channels: int = 256,
                 conv_out_channels: int = 256, roi_feat_size: int = 14, fused_fc: bool = True,
                 conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if num_convs < 3:
            raise ValueError(f'PANetMaskHead needs num_convs >= 3 (fused conv1, the convs before '
                             f'the fc branch, the last conv), got {num_convs}')
        # mmdet's head keeps only the last conv (conv4); ours run before it.
        super().__init__(num_convs=1, in_channels=conv_out_channels,
                         conv_out_channels=conv_out_channels, roi_feat_size=roi_feat_size,
                         conv_cfg=conv_cfg, norm_cfg=norm_cfg, **kwargs)
        conv = dict(kernel_size=self.conv_kernel_size, padding=(self.conv_kernel_size - 1) // 2,
                    conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.level_convs = LevelMaxFusion(
            [ConvModule(in_channels, conv_out_channels, **conv) for _ in range(num_levels)])
        self.pre_convs = nn.Sequential(*[
            ConvModule(conv_out_channels, conv_out_channels, **conv)
            for _ in range(num_convs - 2)])
        self.fused_fc = fused_fc
        if fused_fc:
            half = conv_out_channels // 2
            self.fc_convs = nn.Sequential(
                ConvModule(conv_out_channels, conv_out_channels, **conv),
                ConvModule(conv_out_channels, half, **conv))
            mask_side = roi_feat_size * (self.scale_factor or 1)
            self.fc_mask = nn.Linear(half * roi_feat_size**2, mask_side**2)
        self.num_levels = num_levels

    def init_weights(self) -> None:
        """mmdet's init, and N(0, 0.01) for the fusion fc (official ``_init_weights``)."""
        super().init_weights()
        if self.fused_fc:
            normal_init(self.fc_mask, std=0.01, bias=0)

    def forward(self, x: Tensor) -> Tensor:
        """Mask logits of each RoI.

        Args:
            x: ``(N, L, C, S, S)`` RoI features of every level.

        Returns:
            ``(N, K, 2S, 2S)`` logits (``K = 1`` when class-agnostic).
        """
        x = self.pre_convs(self.level_convs(x))
        logits = super().forward(x)
        if not self.fused_fc:
            return logits
        fc = F.relu(self.fc_mask(self.fc_convs(x).flatten(1)))
        return logits + fc.view(-1, 1, *logits.shape[-2:])
