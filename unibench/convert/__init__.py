"""Checkpoint conversion: official and transformers releases -> unibench checkpoints.

:func:`convert_checkpoint` reads a source (a detectron2 ``.pkl``, a ``.pth`` / ``.bin`` /
``.safetensors`` file or a transformers model folder), renames it with the converter of the
config's model family and source (:data:`CONVERTERS`), and checks that the result covers the
config's inference model exactly: every weight present with its shape, nothing unexpected. A
source that does not fit the config is an error that lists the missing and unexpected keys and
the shape mismatches; no weight is ever left at its random initialisation.

Converter contract (``'module:function'`` in :data:`CONVERTERS`, imported on use)::

    def from_hf(state: Dict[str, torch.Tensor], *, cfg: Config) -> Dict[str, torch.Tensor]

returning unibench-named tensors (``from_official`` likewise). Buffers the model derives from its
config alone (Swin's ``relative_position_index``, BN's ``num_batches_tracked``) are taken from the
built model when a source lacks them (:data:`DERIVED_BUFFERS`).
"""
import copy
import importlib
import json
import os.path as osp
import pickle
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from unibench.utils.io import atomic_write
from unibench.utils.state_dict import check_covers, read_state_dict

CONVERTERS: Dict[Tuple[str, str], str] = {
    ('Mask2Former', 'official'): 'unibench.convert.mask2former:from_official',
    ('Mask2Former', 'hf'): 'unibench.convert.mask2former:from_hf',
    ('OneFormer', 'official'): 'unibench.convert.oneformer:from_official',
    ('OneFormer', 'hf'): 'unibench.convert.oneformer:from_hf',
    ('Painter', 'official'): 'unibench.convert.seggpt:from_official',
    ('Painter', 'hf'): 'unibench.convert.seggpt:from_hf',
}
SOURCES = ('official', 'hf')
# Buffers a module computes from its config (not learned): filled from the built model.
DERIVED_BUFFERS = ('.relative_position_index', '.num_batches_tracked')

__all__ = ['CONVERTERS', 'convert_checkpoint', 'converter', 'read_source', 'write_checkpoint']


def converter(family: str, source: str) -> Callable[..., Dict[str, torch.Tensor]]:
    """The converter function of ``(family, source)``, imported on first use."""
    if (family, source) not in CONVERTERS:
        known = sorted({f for f, _ in CONVERTERS})
        raise ValueError(f'no converter for model.type {family!r} from {source!r} (families: '
                         f'{known}; sources: {list(SOURCES)})')
    module, function = CONVERTERS[(family, source)].split(':')
    return getattr(importlib.import_module(module), function)


def load_cfg(config: Union[str, Config]) -> Config:
    """``config`` as a :class:`Config` (a path is read with ``Config.fromfile``)."""
    return Config.fromfile(config) if isinstance(config, str) else config


def build_inference_model(cfg: Config) -> torch.nn.Module:
    """The model of ``cfg`` as ``tools/test.py`` builds it (``train_cfg=None``), on CPU."""
    import unibench  # noqa: F401  (registers the models)
    from unibench.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'unibench'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.train_cfg = None
    return MODELS.build(model_cfg)


def convert_checkpoint(src: str, *, config: Union[str, Config], source: str
                       ) -> Dict[str, torch.Tensor]:
    """A release's weights in unibench names, checked against ``config``'s inference model.

    Args:
        src: A ``.pkl`` (detectron2), ``.pth`` / ``.pt`` / ``.bin`` / ``.safetensors`` file, or a
            transformers model folder (``config.json`` + weights).
        config: The unibench config the weights are for (path or :class:`Config`).
        source: ``'official'`` or ``'hf'``.

    Returns:
        The state dict of the inference model (training-only parts, e.g. OneFormer's text
        mapper, are not in it).

    Raises:
        ValueError: The source does not fit the config (missing / unexpected keys, shapes, or a
            class list that differs from the config's dataset).
    """
    cfg = load_cfg(config)
    family = cfg.model.type.split('.')[-1]
    convert = converter(family, source)
    state, labels = read_source(src)
    if labels is not None and 'panoptic_head' in cfg.model:
        from unibench.convert.common import check_class_names
        check_class_names(labels, cfg, source=src)
    converted = convert(state, cfg=cfg)
    own = build_inference_model(cfg).state_dict()
    for key, value in own.items():
        if key.endswith(DERIVED_BUFFERS) and key not in converted:
            converted[key] = value.clone()
    name = config if isinstance(config, str) else f'the {family} config'
    check_covers(own, converted, source=f'{src} (converted from {source})',
                 target=f'the inference model of {name}')
    return {k: converted[k].contiguous() for k in own}


def write_checkpoint(dst: str, state: Dict[str, torch.Tensor], *,
                     meta: Optional[Dict[str, Any]] = None) -> None:
    """Writes ``dict(meta=..., state_dict=state)`` (mmengine's format) to ``dst`` atomically.

    ``tools/test.py CONFIG DST`` and ``load_from`` read it; so does a ``Pretrained`` init_cfg with
    ``prefix='backbone.'``.
    """
    checkpoint = dict(meta=dict(meta or {}), state_dict=state)
    atomic_write(dst, lambda f: torch.save(checkpoint, f))


def read_source(src: str) -> Tuple[Dict[str, torch.Tensor], Optional[List[str]]]:
    """The tensors of ``src`` and, for a transformers folder, its class names (``id2label``)."""
    if osp.isdir(src):
        return _read_hf_dir(src)
    if not osp.isfile(src):
        raise FileNotFoundError(f'checkpoint source {src} does not exist')
    if src.endswith('.pkl'):
        return _read_pkl(src), None
    if src.endswith('.safetensors'):
        from safetensors.torch import load_file
        return dict(load_file(src)), None
    return read_state_dict(src), None


def _read_hf_dir(src: str) -> Tuple[Dict[str, torch.Tensor], Optional[List[str]]]:
    config_file = osp.join(src, 'config.json')
    labels = None
    if osp.isfile(config_file):
        with open(config_file) as f:
            id2label = json.load(f).get('id2label') or {}
        labels = [id2label[k] for k in sorted(id2label, key=int)] or None
    from safetensors.torch import load_file
    state: Dict[str, torch.Tensor] = {}
    for index in ('model.safetensors.index.json', 'pytorch_model.bin.index.json'):
        if osp.isfile(osp.join(src, index)):  # sharded weights
            with open(osp.join(src, index)) as f:
                shards = sorted(set(json.load(f)['weight_map'].values()))
            for shard in shards:
                path = osp.join(src, shard)
                state.update(load_file(path) if shard.endswith('.safetensors')
                             else read_state_dict(path))
            return state, labels
    for name in ('model.safetensors', 'pytorch_model.bin'):
        path = osp.join(src, name)
        if osp.isfile(path):
            return (dict(load_file(path)) if name.endswith('.safetensors')
                    else read_state_dict(path)), labels
    raise FileNotFoundError(f'{src}: no model.safetensors or pytorch_model.bin (a transformers '
                            'model folder)')


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles detectron2 checkpoints (dicts of numpy arrays) and nothing that runs code."""

    ALLOWED = {('numpy.core.multiarray', '_reconstruct'),
               ('numpy._core.multiarray', '_reconstruct'),
               ('numpy.core.multiarray', 'scalar'), ('numpy._core.multiarray', 'scalar'),
               ('numpy', 'ndarray'), ('numpy', 'dtype'), ('collections', 'OrderedDict'),
               ('_codecs', 'encode')}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f'refusing to unpickle {module}.{name}: a detectron2 '
                                         'checkpoint holds numpy arrays only')
        return super().find_class(module, name)


def _read_pkl(src: str) -> Dict[str, torch.Tensor]:
    with open(src, 'rb') as f:
        data = _ArrayUnpickler(f, encoding='latin1').load()
    if isinstance(data, dict) and isinstance(data.get('model'), dict):
        data = data['model']
    if not isinstance(data, dict):
        raise ValueError(f'{src}: expected a detectron2 checkpoint (a dict with "model"), got '
                         f'{type(data).__name__}')
    return {k: torch.as_tensor(np.asarray(v)) for k, v in data.items()
            if isinstance(v, (np.ndarray, np.generic))}
