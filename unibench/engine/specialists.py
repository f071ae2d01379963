"""Builds the two-specialists panoptic baseline from its config: reads each child's config file
and checkpoint and hands the built children to
:class:`~unibench.models.segmentors.specialist_panoptic.SpecialistPanoptic` (models read no files).

Registered in ``MODELS`` as ``SpecialistPanoptic``, so configs and ``MODELS.build`` use it as
they would the class.
"""
import copy
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from torch import nn

from unibench.models.segmentors.specialist_panoptic import SpecialistPanoptic
from unibench.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CHILD_KEYS = {'config', 'checkpoint'}


@MODELS.register_module(name='SpecialistPanoptic')
def build_specialist_panoptic(*, semantic: dict, instance: dict,
                              **kwargs) -> SpecialistPanoptic:
    """The pair of ``semantic`` and ``instance``, each ``dict(config=PATH, checkpoint=PATH |
    None)``: the config's ``model`` built as ``tools/test.py`` builds it (``train_cfg=None``),
    the checkpoint loaded when given. Relative paths are tried from the working directory, then
    from the repository root. ``kwargs`` go to :class:`SpecialistPanoptic`."""
    return SpecialistPanoptic(semantic=build_child(semantic, role='semantic'),
                              instance=build_child(instance, role='instance'), **kwargs)


def build_child(spec: dict, *, role: str) -> nn.Module:
    """Builds the inference model of a child config and loads its checkpoint, if given."""
    if not isinstance(spec, dict) or 'config' not in spec or set(spec) - CHILD_KEYS:
        raise ValueError(f'SpecialistPanoptic.{role} must be dict(config=..., checkpoint=...), '
                         f'got {spec!r}')
    path = find_file(spec['config'], key=f'{role}.config')
    model_cfg = copy.deepcopy(Config.fromfile(path).model)
    model_cfg.train_cfg = None  # the inference model, as tools/test.py builds it
    model = MODELS.build(model_cfg)
    checkpoint: Optional[str] = spec.get('checkpoint')
    if checkpoint:
        load_weights(model, find_file(checkpoint, key=f'{role}.checkpoint'))
    return model


def load_weights(model: nn.Module, path: str) -> None:
    """Loads a (mmengine) checkpoint; keys the model lacks are training-only and skipped, but a
    parameter missing from the file is an error."""
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    state = checkpoint.get('state_dict', checkpoint)
    missing = model.load_state_dict(state, strict=False).missing_keys
    if missing:
        raise KeyError(f'{path} lacks {len(missing)} weights of {type(model).__name__}, e.g. '
                       f'{missing[:3]}: is it a checkpoint of this config?')


def find_file(path: str, *, key: str) -> str:
    """``path`` from the working directory, else from the repository root."""
    for candidate in (path, osp.join(REPO_ROOT, path)):
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(f'SpecialistPanoptic.{key}: file not found: {path}')
