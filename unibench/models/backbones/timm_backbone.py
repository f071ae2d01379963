"""Any timm model with ``features_only`` as a 4-level backbone (strides 4, 8, 16, 32)."""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import timm
from mmengine.model import BaseModule
from mmengine.runner import load_checkpoint
from torch import Tensor

from unibench.registry import MODELS


@MODELS.register_module()
class TimmBackbone(BaseModule):
    """Wraps ``timm.create_model(model_name, features_only=True)``.

    Channels and strides are read from timm's ``feature_info``, so configs never restate them:
    segmentors and tests take them from :attr:`channels` and :attr:`strides`.

    Args:
        model_name: A timm model name, e.g. ``'convnext_large'`` or ``'test_convnext'``.
        out_indices: Feature levels to return; by default those with strides 4, 8, 16, 32.
        pretrained: timm's own download; always False here (no network). Use ``init_cfg``.
        init_cfg: ``dict(type='Pretrained', checkpoint='/path/to/local.pth')`` to load weights.
        **kwargs: Passed to ``timm.create_model`` (e.g. ``drop_path_rate``).
    """

    def __init__(self, *, model_name: str, out_indices: Optional[Sequence[int]] = None,
                 pretrained: bool = False, init_cfg: Optional[dict] = None, **kwargs) -> None:
        super().__init__(init_cfg=None)
        self._checkpoint = _local_checkpoint(init_cfg)
        if out_indices is None:
            probe = timm.create_model(model_name, pretrained=False, features_only=True,
                                      **kwargs)
            reductions = probe.feature_info.reduction()
            out_indices = [i for i, r in enumerate(reductions) if r in (4, 8, 16, 32)]
            del probe
        self.model = timm.create_model(model_name, pretrained=pretrained, features_only=True,
                                       out_indices=tuple(out_indices), **kwargs)
        self.channels: List[int] = list(self.model.feature_info.channels())
        self.strides: List[int] = list(self.model.feature_info.reduction())

    def init_weights(self) -> None:
        """Loads the local checkpoint named in ``init_cfg``, if any."""
        if self._checkpoint is not None:
            load_checkpoint(self.model, self._checkpoint, map_location='cpu', strict=False)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Args: x: ``(B, 3, H, W)``. Returns: feature maps ``(B, C_i, H / s_i, W / s_i)``."""
        feats = self.model(x)
        # timm returns NHWC for some families (e.g. Swin): the decoders expect NCHW.
        return tuple(f.permute(0, 3, 1, 2).contiguous() if f.shape[1] != c and f.shape[-1] == c
                     else f for f, c in zip(feats, self.channels))


def _local_checkpoint(init_cfg: Optional[dict]) -> Optional[str]:
    if not init_cfg:
        return None
    path = init_cfg.get('checkpoint')
    if path is None:
        raise KeyError(f'TimmBackbone init_cfg needs a "checkpoint" path, got {init_cfg}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'TimmBackbone: checkpoint file not found: {path} '
                                '(no downloads here: give a local path)')
    return path

