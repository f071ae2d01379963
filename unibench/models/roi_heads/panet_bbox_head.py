"""PANet box head: mmdet's conv/fc box head whose first layer fuses all pyramid levels.

Liu et al., "Path Aggregation Network for Instance Segmentation", CVPR 2018, Sec. 3.2 (adaptive
feature pooling). Follows ShuLiu1993/PANet@5154dd5 lib/modeling/fast_rcnn_heads.py (MIT):
``roi_2mlp_head_gn_panet`` (one fc6 per level, max, fc7) and ``roi_Xconv1fc_gn_head_panet`` (one
first conv per level, max, the other convs and fc6; the released COCO mask config).
"""
import copy
from typing import List

from mmdet.models.roi_heads.bbox_heads import ConvFCBBoxHead
from torch import nn

from unibench.models.roi_heads.level_fusion import LevelMaxFusion
from unibench.registry import MODELS


@MODELS.register_module()
class PANetBBoxHead(ConvFCBBoxHead):
    """mmdet's :class:`ConvFCBBoxHead` on RoI features pooled from every level.

    The head's first parameter layer (the first shared conv when there are shared convs, else
    fc6) gets one copy per level; the copies' outputs are fused by element-wise max (after ReLU,
    which commutes with max) and the rest of the head is mmdet's, unchanged. ``num_levels=1``
    on single-level features is mmdet's head.

    Args:
        num_levels: Pyramid levels pooled by :class:`AdaptiveRoIExtractor` (4: P2-P5).
        **kwargs: :class:`ConvFCBBoxHead` arguments, e.g. ``num_shared_fcs=2`` (mmdet's
            ``Shared2FCBBoxHead``, the paper's box branch) or ``num_shared_convs=4,
            num_shared_fcs=1`` with GN (``Shared4Conv1FCBBoxHead``, the official mask config).

    Input: ``(N, num_levels, C, 7, 7)`` RoI features. Output: mmdet's ``(cls_score, bbox_pred)``.
    """

    def __init__(self, *, num_levels: int = 4, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.num_shared_convs > 0:
            self.shared_convs[0] = LevelMaxFusion(level_copies(self.shared_convs[0], num_levels))
        elif self.num_shared_fcs > 0:
            # mmdet flattens (N, L, C, h, w) to (N, L*C*h*w) before the fcs: split it per level.
            self.shared_fcs[0] = nn.Sequential(
                nn.Unflatten(1, (num_levels, -1)),
                LevelMaxFusion(level_copies(self.shared_fcs[0], num_levels)))
        else:
            raise ValueError('PANetBBoxHead fuses levels in the first shared layer; set '
                             'num_shared_convs or num_shared_fcs > 0')
        self.num_levels = num_levels


def level_copies(layer: nn.Module, num_levels: int) -> List[nn.Module]:
    """``layer`` and ``num_levels - 1`` freshly initialised copies of it (one per level)."""
    copies = [layer]
    for _ in range(num_levels - 1):
        twin = copy.deepcopy(layer)
        for module in twin.modules():
            if hasattr(module, 'reset_parameters'):
                module.reset_parameters()
        copies.append(twin)
    return copies
