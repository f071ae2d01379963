"""The shared pre-trained backbone of a suite: pre-training runs cached by their config, and the
``CachedPretrained`` initialiser that loads one into a model's backbone.

A pre-training config (``configs/pretrain/*.py``) is an ordinary training config plus
``pretrain_data`` (``tools/make_synthetic.py`` arguments of the images it trains on). Its key is
a hash of the whole config, so any change of model, data or schedule builds a new entry; the
cache lives outside the repository, as the mmcv wheel does::

    ${UNIBENCH_CACHE:-${XDG_CACHE_HOME:-~/.cache}/unibench}/pretrained/<config stem>-<key>/
        backbone.pth   the backbone's state dict (written last, atomically)
        record.json    the pre-training run's record: its cost and validation result

A model config names the pre-training, not a file:
``backbone=dict(init_cfg=dict(type='CachedPretrained', pretrain='configs/pretrain/X.py'))``.
"""
import fcntl
import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.model.weight_init import PretrainedInit
from torch import nn

from unibench.registry import WEIGHT_INITIALIZERS
from unibench.utils.io import atomic_write, atomic_write_text


class CorruptCacheError(RuntimeError):
    """A cached file exists but cannot be read back."""


def cache_root() -> Path:
    """``$UNIBENCH_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/unibench``."""
    if os.environ.get('UNIBENCH_CACHE'):
        return Path(os.environ['UNIBENCH_CACHE'])
    return Path(os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache') / 'unibench'


def pretrain_key(cfg: Config) -> str:
    """12 hex digits of the config's content (work-dir and launcher settings excluded) and of
    what its ``pretrain_data`` preset draws (the preset's values, not only its name)."""
    content = {k: v for k, v in cfg.to_dict().items() if k not in ('work_dir', 'launcher')}
    content['preset_values'] = _preset_values(cfg.get('pretrain_data') or {})
    text = json.dumps(content, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def cache_dir(pretrain: str) -> Path:
    """The cache folder of the pre-training config file ``pretrain``."""
    if not Path(pretrain).is_file():
        raise FileNotFoundError(f'pre-training config {pretrain} does not exist')
    cfg = Config.fromfile(pretrain)
    return cache_root() / 'pretrained' / f'{Path(pretrain).stem}-{pretrain_key(cfg)}'


def load_backbone(path: Path) -> Dict[str, torch.Tensor]:
    """The cached state dict; a truncated or foreign file is a :class:`CorruptCacheError`."""
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # torch raises several types for a damaged zip
        raise CorruptCacheError(f'cached backbone {path} cannot be read ({err})') from err
    if not isinstance(state, dict) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise CorruptCacheError(f'cached backbone {path} is not a state dict')
    return state


def cached_backbone(pretrain: str) -> Optional[Path]:
    """``backbone.pth`` of ``pretrain`` when it is cached and readable, else ``None``."""
    path = cache_dir(pretrain) / 'backbone.pth'
    if path.is_file():
        load_backbone(path)
        return path
    return None


def pretrain(config: str, *, work_dir: Optional[str] = None,
             log: Any = print) -> Tuple[Path, Dict[str, Any]]:
    """Returns the cached backbone of ``config``, training it first on a miss.

    A corrupt cached file is removed and rebuilt. The images of ``pretrain_data`` are generated
    when their folder lacks them.

    Args:
        config: Pre-training config path.
        work_dir: Where the training run writes (default: ``<cache dir>/run``).
        log: Receives progress lines.

    Returns:
        ``(backbone.pth path, the run's record)``; the record has ``cached: True`` on a hit.
    """
    folder = cache_dir(config)
    target = folder / 'backbone.pth'
    try:
        if cached_backbone(config) is not None:
            log(f'pre-trained backbone cached: {target}')
            return target, dict(_read_json(folder / 'record.json'), cached=True)
    except CorruptCacheError as err:
        log(f'{err}: rebuilding it')
        target.unlink()
    cfg = Config.fromfile(config)
    _ensure_data(cfg, log=log)
    cfg.work_dir = work_dir or str(folder / 'run')
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    state = {k: v.detach().cpu() for k, v in model.backbone.state_dict().items()}
    folder.mkdir(parents=True, exist_ok=True)
    record = _read_json(Path(cfg.work_dir) / 'record.json')
    atomic_write_text(folder / 'record.json', json.dumps(record, indent=1))
    atomic_write(target, lambda f: torch.save(state, f))  # last: its presence means complete
    log(f'pre-trained backbone written: {target}')
    return target, dict(record, cached=False)


def _preset_values(spec: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    if not spec:
        return None
    from unibench.datasets.synthetic import PRESETS
    preset = spec.get('preset', 'default')
    if preset not in PRESETS:
        raise ValueError(f'pretrain_data.preset {preset!r} is not one of {sorted(PRESETS)}')
    return json.loads(json.dumps(asdict(PRESETS[preset])))


def _ensure_data(cfg: Config, *, log: Any) -> None:
    """Generates ``pretrain_data`` unless its folder holds exactly that split already.

    Pre-trainings of one suite may share their images and start at once (``jobs``): a lock file
    beside the folder lets one process generate them while the others wait and then find them.
    """
    spec = dict(cfg.get('pretrain_data') or {})
    if not spec:
        return
    out = Path(spec.pop('out'))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f'.{out.name}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if _has_split(out, spec):
            return
        from unibench.datasets.synthetic import generate_shapes_dataset
        log(f'generating the pre-training images in {out}')
        tmp = out.with_name(out.name.rstrip('/') + '.tmp')
        shutil.rmtree(tmp, ignore_errors=True)
        generate_shapes_dataset(tmp, num_train=spec['train'], num_val=spec.get('val', 0),
                                size=spec['size'], seed=spec['seed'],
                                preset=spec.get('preset', 'default'), progress=False)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)  # the folder appears complete or not at all


def _has_split(out: Path, spec: Dict[str, Any]) -> bool:
    """Whether ``out`` holds the images ``spec`` (``pretrain_data`` without ``out``) draws."""
    info = _read_json(out / 'annotations' / 'panoptic_train.json').get('info', {})
    have = (info.get('seed'), info.get('preset', 'default'), info.get('preset_values'))
    want = (spec['seed'], spec.get('preset', 'default'),
            None if spec.get('preset', 'default') == 'default' else _preset_values(spec))
    return have == want and len(list((out / 'train').glob('*.jpg'))) == spec['train']


def _read_json(path: Path) -> Dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


@WEIGHT_INITIALIZERS.register_module(name='CachedPretrained')
class CachedPretrainedInit(PretrainedInit):
    """Loads the cached backbone of a pre-training config into the module it initialises.

    Every parameter and buffer of the module must be covered: missing or unexpected keys and
    shape mismatches are an error that lists them (nothing is left silently random).

    Args:
        pretrain: Pre-training config path (its cache entry is built by ``tools/pretrain.py``).
    """

    def __init__(self, *, pretrain: str, map_location: str = 'cpu') -> None:
        super().__init__(checkpoint=pretrain, prefix=None, map_location=map_location)
        self.pretrain = pretrain

    def __call__(self, module: nn.Module) -> None:
        path = cache_dir(self.pretrain) / 'backbone.pth'
        if not path.is_file():
            raise FileNotFoundError(
                f'the pre-trained backbone of {self.pretrain} is not built: run '
                f'`python tools/pretrain.py {self.pretrain}` (it is cached in {path.parent})')
        state = load_backbone(path)
        own = module.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        shapes = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
        if missing or unexpected or shapes:
            raise ValueError(f'{path} does not fit {type(module).__name__}: missing keys '
                             f'{missing[:10]}, unexpected keys {unexpected[:10]}, shape '
                             f'mismatches {shapes[:10]} (of {len(missing)}, {len(unexpected)}, '
                             f'{len(shapes)})')
        module.load_state_dict(state, strict=True)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load the cached backbone of {self.pretrain}'


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class CoveringPretrainedInit(PretrainedInit):
    """mmengine's ``Pretrained`` (same arguments, same sources: local paths, ``torchvision://``,
    ``open-mmlab://``), but the checkpoint must cover the module: missing weights and shape
    mismatches are an error that lists them, where mmengine loads what matches and warns.

    Keys the module has no use for (a classifier head) are logged; ``num_batches_tracked``
    counters, which older releases lack, may be missing, as in mmengine.
    """

    def __call__(self, module: nn.Module) -> None:
        from mmengine.logging import print_log
        from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_with_prefix

        from unibench.utils.state_dict import check_covers, strip_prefix

        if self.prefix is None:
            checkpoint = _load_checkpoint(self.checkpoint, map_location=self.map_location)
            state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) \
                else checkpoint
            state = strip_prefix(state, ('module.', ))
        else:
            state = _load_checkpoint_with_prefix(self.prefix, self.checkpoint,
                                                 map_location=self.map_location)
        own = {k: v for k, v in module.state_dict().items()
               if k in state or not k.endswith('num_batches_tracked')}
        unused = check_covers(own, state, source=str(self.checkpoint),
                              target=type(module).__name__, allow_unexpected=True)
        module.load_state_dict({k: state[k] for k in own}, strict=False)
        print_log(f'{type(module).__name__}: loaded {len(own)} weights from {self.checkpoint}'
                  f'{f" ({self.prefix})" if self.prefix else ""}; {len(unused)} unused '
                  f'(e.g. {unused[:3]})', logger='current')
        if hasattr(module, '_params_init_info'):
            from mmengine.model.weight_init import update_init_info
            update_init_info(module, init_info=self._get_init_info())
