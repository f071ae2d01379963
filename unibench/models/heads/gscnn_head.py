"""Gated-SCNN shape stream and fusion; after nv-tlabs/GSCNN network/gscnn.py and
my_functionals/GatedSpatialConv.py (CC BY-NC-SA 4.0), our own code on mmseg/mmcv parts."""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from mmseg.models.backbones.resnet import BasicBlock
from mmseg.models.decode_heads.aspp_head import ASPPModule
from torch import Tensor, nn

from unibench.registry import MODELS


@MODELS.register_module()
class GSCNNHead(BaseModule):
    """Shape stream + fusion module of Gated-SCNN (Takikawa et al., ICCV 2019, Sec. 3, Fig. 2).

    The regular stream is the backbone; its four feature maps ``(r1, r2, r3, r4)`` (strides 4,
    8, 8, 8 for a dilated d8 ResNet) play the roles of the official WideResNet38's ``m1`` (shape
    stream input), ``m3, m4, m7`` (gates, through 1x1 "dsn" convs) and ``m7`` (ASPP input).

    Shape stream (full input resolution, as the release): ``r1`` upsampled -> [residual block ->
    1x1 conv -> gated conv] x 3 with widths 64 -> 32 -> 16 -> 8 -> 1x1 conv to one boundary
    logit. Each gated conv (:class:`GatedSpatialConv2d`, Eq. 1-2) takes its attention map from
    one regular-stream level. Fusion: the boundary probability is fused with the image's Canny
    edges (1x1 conv + sigmoid) and enters an ASPP (Eq. 3) as an extra branch next to image pooling,
    a 1x1 and three atrous 3x3 branches on ``r4``; a DeepLabV3+ decoder adds 48 channels of
    low-level features and two 3x3 convs predict the classes.

    The release takes the decoder's low-level features from ``m2`` (stride 2); a ResNet exposes
    no stride-2 map, so ``r1`` (stride 4, DeepLabV3+'s choice) serves both the decoder and the
    shape stream. When ``r1`` is wider than the shape stream (ResNet-50: 256), a 1x1 conv narrows
    it.

    Args:
        in_channels: Channels of the four regular-stream maps.
        num_classes: ``K``.
        channels: ASPP / decoder width (the release's 256).
        fine_channels: Low-level decoder channels (48).
        shape_channels: Shape-stream widths (the release's 64, 32, 16, 8).
        dilations: Atrous rates of the ASPP (the release's 12, 24, 36 at output stride 8).
        norm_cfg: Norm of every conv block (the release uses SyncBN).
        init_cfg: mmengine init config.
    """

    def __init__(self, *, in_channels: Sequence[int], num_classes: int, channels: int = 256,
                 fine_channels: int = 48, shape_channels: Sequence[int] = (64, 32, 16, 8),
                 dilations: Sequence[int] = (12, 24, 36), norm_cfg: dict = dict(type='BN'),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != 4 or len(shape_channels) != 4:
            raise ValueError('GSCNNHead needs four regular-stream levels and four shape-stream '
                             f'widths, got in_channels={in_channels}, '
                             f'shape_channels={shape_channels}')
        self.num_classes = num_classes
        c1, width = in_channels[0], shape_channels[0]
        self.shape_in = nn.Identity() if c1 == width else nn.Conv2d(c1, width, 1)
        self.dsn = nn.ModuleList(nn.Conv2d(c, 1, 1) for c in in_channels[1:])
        self.res = nn.ModuleList(BasicBlock(c, c, norm_cfg=norm_cfg) for c in shape_channels[:3])
        self.reduce = nn.ModuleList(nn.Conv2d(a, b, 1)
                                    for a, b in zip(shape_channels[:3], shape_channels[1:]))
        self.gates = nn.ModuleList(GatedSpatialConv2d(c, norm_cfg=norm_cfg)
                                   for c in shape_channels[1:])
        self.fuse = nn.Conv2d(shape_channels[3], 1, 1, bias=False)
        self.edge_fusion = nn.Conv2d(2, 1, 1, bias=False)  # the release's ``cw``

        c4 = in_channels[3]
        conv = dict(norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'))
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1),
                                        ConvModule(c4, channels, 1, **conv))
        self.edge_branch = ConvModule(1, channels, 1, **conv)
        self.aspp = ASPPModule((1, *dilations), c4, channels, conv_cfg=None, **conv)
        num_branches = 2 + 1 + len(dilations)
        self.bottleneck = nn.Conv2d(num_branches * channels, channels, 1, bias=False)
        self.fine = nn.Conv2d(c1, fine_channels, 1, bias=False)
        self.classifier = nn.Sequential(
            ConvModule(channels + fine_channels, channels, 3, padding=1, **conv),
            ConvModule(channels, channels, 3, padding=1, **conv),
            nn.Conv2d(channels, num_classes, 1, bias=False))

    def forward(self, feats: List[Tensor], canny: Tensor) -> Tuple[Tensor, Tensor]:
        """Segmentation and boundary logits at the input resolution.

        Args:
            feats: Regular-stream maps ``[(B, C_i, H_i, W_i)] x 4``.
            canny: ``(B, 1, H, W)`` image edges in {0, 1}; ``(H, W)`` is the input size.

        Returns:
            ``seg_logits (B, K, H, W)`` and ``edge_logits (B, 1, H, W)``.
        """
        size = canny.shape[-2:]
        r1, r4 = feats[0], feats[3]
        x = self.shape_in(_up(r1, size))
        for res, reduce, gate, dsn, feat in zip(self.res, self.reduce, self.gates, self.dsn,
                                                feats[1:]):
            x = gate(reduce(res(x)), _up(dsn(feat), size))
        edge_logits = self.fuse(x)
        fused = torch.sigmoid(self.edge_fusion(torch.cat([edge_logits.sigmoid(), canny], 1)))

        r4_size = r4.shape[-2:]
        branches = [_up(self.image_pool(r4), r4_size),
                    self.edge_branch(_up(fused, r4_size)), *self.aspp(r4)]
        x = _up(self.bottleneck(torch.cat(branches, 1)), r1.shape[-2:])
        x = self.classifier(torch.cat([self.fine(r1), x], 1))
        seg_logits = F.interpolate(x, size, mode='bilinear', align_corners=False)
        return seg_logits, edge_logits


class GatedSpatialConv2d(nn.Module):
    """Gated convolutional layer (Eq. 1-2): ``conv1x1(s * (1 + alpha))`` with the attention
    ``alpha = sigmoid(BN(conv1x1(ReLU(conv1x1(BN([s, r]))))))`` in [0, 1] computed from the
    shape-stream features ``s`` and a one-channel regular-stream map ``r``.

    Args:
        channels: Channels of ``s`` (in and out, as every use in the release).
        norm_cfg: Norm of the two BN layers of the gate.
    """

    def __init__(self, channels: int, *, norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        self.attention = nn.Sequential(
            build_norm_layer(norm_cfg, channels + 1)[1],
            nn.Conv2d(channels + 1, channels + 1, 1),
            nn.ReLU(),
            nn.Conv2d(channels + 1, 1, 1),
            build_norm_layer(norm_cfg, 1)[1],
            nn.Sigmoid())
        self.conv = nn.Conv2d(channels, channels, 1, bias=False)
        nn.init.xavier_normal_(self.conv.weight)  # GatedSpatialConv2d.reset_parameters

    def gate(self, shape: Tensor, regular: Tensor) -> Tensor:
        """The attention map ``alpha``: ``(B, 1, H, W)`` in [0, 1]."""
        return self.attention(torch.cat([shape, regular], 1))

    def forward(self, shape: Tensor, regular: Tensor) -> Tensor:
        """Args: ``shape (B, C, H, W)``, ``regular (B, 1, H, W)``. Returns ``(B, C, H, W)``."""
        return self.conv(shape * (self.gate(shape, regular) + 1))


def _up(x: Tensor, size) -> Tensor:
    """Bilinear resize with ``align_corners=True``, as every shape-stream resize of the release;
    a no-op at the same size."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size, mode='bilinear', align_corners=True)
