"""Any timm model with ``features_only`` as a 4-level backbone (strides 4, 8, 16, 32)."""
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import timm
import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from timm.layers import LayerNorm2d
from torch import Tensor, nn

from unibench.registry import MODELS
from unibench.utils.state_dict import check_covers, read_state_dict, strip_prefix

# timm's features_only wrapper flattens top-level sequentials: ``stem.0`` -> ``stem_0``.
_FLATTENED = re.compile(r'^([A-Za-z][A-Za-z0-9_]*?)\.(\d+)\.')


@MODELS.register_module()
class TimmBackbone(BaseModule):
    """Wraps ``timm.create_model(model_name, features_only=True)``.

    Channels and strides are read from timm's ``feature_info``, so configs never restate them:
    segmentors and tests take them from :attr:`channels` and :attr:`strides`.

    A local checkpoint (``init_cfg``) may be a timm checkpoint (``stem.0.*``, ``stages.0.*``), the
    family's official release where timm converts it (ConvNeXt's ``downsample_layers.*``, via the
    family's ``checkpoint_filter_fn``), or a features-only state dict (``stem_0.*``), optionally
    under ``state_dict`` / ``model`` and a ``backbone.`` prefix. It must cover every weight of
    the backbone: anything missing or of another shape is an error listing it; weights the
    backbone has no use for (the classifier head) are reported in the log.

    Args:
        model_name: A timm model name, e.g. ``'convnext_large'`` or ``'test_convnext'``.
        out_indices: Feature levels to return; by default those with strides 4, 8, 16, 32.
        out_norm: A channels-first LayerNorm (eps 1e-6) on each returned level, as the official
            OneFormer / Mask2Former ConvNeXt backbones (``norm0`` .. ``norm3``); these layers are
            not in a classification checkpoint and keep their initialisation (1, 0).
        pretrained: timm's own download; always False here (no network). Use ``init_cfg``.
        init_cfg: ``dict(type='Pretrained', checkpoint='/path/to/local.pth')`` to load weights.
        **kwargs: Passed to ``timm.create_model`` (e.g. ``drop_path_rate``).
    """

    def __init__(self, *, model_name: str, out_indices: Optional[Sequence[int]] = None,
                 out_norm: bool = False, pretrained: bool = False,
                 init_cfg: Optional[dict] = None, **kwargs) -> None:
        super().__init__(init_cfg=None)
        self._checkpoint = _local_checkpoint(init_cfg)
        self.model_name = model_name
        self._kwargs = kwargs
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
        self.out_norms = nn.ModuleList(LayerNorm2d(c, eps=1e-6) for c in self.channels) \
            if out_norm else None

    def init_weights(self) -> None:
        """Loads the local checkpoint named in ``init_cfg``, if any (see the class notes)."""
        if self._checkpoint is None:
            return
        own = self.model.state_dict()
        state = self.timm_state_dict(read_state_dict(self._checkpoint))
        unused = check_covers(own, state, source=self._checkpoint,
                              target=f'TimmBackbone({self.model_name})', allow_unexpected=True)
        self.model.load_state_dict({k: state[k] for k in own}, strict=True)
        print_log(f'TimmBackbone({self.model_name}): loaded {len(own)} weights from '
                  f'{self._checkpoint}; {len(unused)} unused (e.g. {unused[:3]})',
                  logger='current')

    def timm_state_dict(self, state: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """A checkpoint's tensors in the features-only wrapper's names."""
        state = strip_prefix(state, ('backbone.', 'module.', 'model.'))
        own = self.model.state_dict()
        renamed = _flattened(state, own)
        if set(own) - set(renamed):  # not timm's names: an official release timm converts?
            converted = _flattened(self._from_release(state), own)
            if len(set(own) & set(converted)) > len(set(own) & set(renamed)):
                return converted
        return renamed

    def _from_release(self, state: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """timm names of an official release, by the family's ``checkpoint_filter_fn``."""
        with torch.device('meta'):  # the full model only for its key names and shapes
            full = timm.create_model(self.model_name, pretrained=False, **self._kwargs)
        convert = getattr(sys.modules[type(full).__module__], 'checkpoint_filter_fn', None)
        try:
            return convert(state, full) if convert is not None else state
        except (KeyError, RuntimeError, ValueError):  # not this family's release either
            return state

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Args: x: ``(B, 3, H, W)``. Returns: feature maps ``(B, C_i, H / s_i, W / s_i)``."""
        feats = self.model(x)
        # timm returns NHWC for some families (e.g. Swin): the decoders expect NCHW.
        feats = [f.permute(0, 3, 1, 2).contiguous() if f.shape[1] != c and f.shape[-1] == c
                 else f for f, c in zip(feats, self.channels)]
        if self.out_norms is not None:
            feats = [norm(f) for norm, f in zip(self.out_norms, feats)]
        return tuple(feats)


def _flattened(state: Dict[str, Tensor], own: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """``stem.0.w`` -> ``stem_0.w`` for the keys the wrapper only has in flattened form."""
    renamed = {}
    for key, value in state.items():
        flat = _FLATTENED.sub(r'\1_\2.', key, count=1)
        renamed[flat if key not in own and flat in own else key] = value
    return renamed


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
