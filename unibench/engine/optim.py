"""The official parameter groups of Mask2Former and OneFormer (their ``build_optimizer`` in
``train_net.py``, detectron2's ``get_default_optimizer_params`` rules), as an mmengine optimizer
wrapper constructor.

mmengine's ``DefaultOptimWrapperConstructor`` stops at the first matching ``custom_keys`` entry, so
a ``'backbone'`` entry (for the backbone's lr multiplier) also switches off ``norm_decay_mult``
for every backbone norm: Swin's LayerNorms and a trainable ResNet's BN were decayed. This
constructor applies the official rules independently of each other.
"""
from typing import List

import torch
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from unibench.registry import OPTIM_WRAPPER_CONSTRUCTORS

NORMS = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm, nn.LocalResponseNorm)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class OfficialParamGroupsConstructor(DefaultOptimWrapperConstructor):
    """One parameter group per parameter, as the official ``build_optimizer``:

    * lr: ``base_lr``, times ``backbone_multiplier`` for parameters of modules whose name
      contains ``backbone`` (``SOLVER.BACKBONE_MULTIPLIER`` 0.1), but for those whose name
      contains a part of ``full_lr_names``: backbone parameters that its pre-training does not
      train (the painter's mask, segment and type tokens) start from scratch like a head's;
    * weight decay: ``weight_decay`` (0.05), but ``weight_decay_norm`` (0.0) for every norm
      layer's parameters, backbone included, ``weight_decay_embed`` (0.0) for ``nn.Embedding``
      weights, and 0.0 for Swin's ``relative_position_bias_table`` / ``absolute_pos_embed``;
    * parameters without gradient are left out; a parameter shared by modules is added once.

    ``paramwise_cfg`` keys: ``backbone_multiplier``, ``weight_decay_norm``,
    ``weight_decay_embed``, ``full_lr_names`` (default none), and for other families' official
    rules ``weight_decay_bias`` (every bias; Painter: 0.0) and ``no_decay_names`` (name parts
    whose parameters get no decay, by default Swin's two tables; Painter: ``('pos_embed', )``).
    Any other key is an error: it would be silently ignored.
    """

    KEYS = ('backbone_multiplier', 'weight_decay_norm', 'weight_decay_embed', 'weight_decay_bias',
            'no_decay_names', 'full_lr_names')

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '',
                   is_dcn_module=None) -> None:
        cfg = self.paramwise_cfg
        unknown = set(cfg) - set(self.KEYS)
        if unknown:
            raise KeyError(f'OfficialParamGroupsConstructor: unknown paramwise_cfg keys '
                           f'{sorted(unknown)} (known: {list(self.KEYS)})')
        names = tuple(cfg.get('no_decay_names',
                              ('relative_position_bias_table', 'absolute_pos_embed')))
        full_lr = tuple(cfg.get('full_lr_names', ()))
        seen = set()
        for module_name, sub in module.named_modules():
            for name, param in sub.named_parameters(recurse=False):
                if not param.requires_grad or id(param) in seen:
                    continue
                seen.add(id(param))
                lr, wd = self.base_lr, self.base_wd
                full = f'{module_name}.{name}'
                if 'backbone' in module_name and not any(n in full for n in full_lr):
                    lr = lr * cfg.get('backbone_multiplier', 1.0)
                if any(n in full for n in names):
                    wd = 0.0
                if name == 'bias':
                    wd = cfg.get('weight_decay_bias', wd)
                if isinstance(sub, NORMS):
                    wd = cfg.get('weight_decay_norm', wd)
                if isinstance(sub, nn.Embedding):
                    wd = cfg.get('weight_decay_embed', wd)
                group = dict(params=[param], lr=lr)
                if wd is not None:
                    group['weight_decay'] = wd
                params.append(group)


def param_group_of(optimizer: torch.optim.Optimizer, param: torch.Tensor) -> dict:
    """The group of ``optimizer`` that holds ``param`` (for tests and reports)."""
    for group in optimizer.param_groups:
        if any(p is param for p in group['params']):
            return group
    raise KeyError('parameter not in the optimizer')
