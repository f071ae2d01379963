"""Config handling shared by ``tools/train.py``, ``tools/test.py`` and ``tools/benchmark.py``."""
import os.path as osp
import re
from typing import Any, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config, ConfigDict

TASK_CHOICES = ('panoptic', 'instance', 'semantic', 'all')
# The generated shapes datasets the configs point at: data/shapes/, data/shapes64/, ...
SHAPES_ROOT = re.compile(r'^data/shapes\w*/')


def load_config(path: str, *, work_dir: Optional[str] = None,
                options: Optional[Dict[str, Any]] = None, launcher: str = 'none',
                amp: bool = False) -> Config:
    """Loads a config and applies the command-line settings every tool shares.

    Args:
        path: Config file.
        work_dir: Output folder; defaults to ``work_dirs/<config name>``.
        options: ``--cfg-options`` key/value pairs; a key absent from the config is an error
            (a typo would otherwise be silently added and ignored).
        launcher: ``none``, ``pytorch`` or ``slurm``.
        amp: Train with automatic mixed precision: mmengine's ``AmpOptimWrapper`` (fp16 with a
            dynamic loss scale, as the official code) on CUDA; without CUDA bf16 autocast
            (:class:`~unibench.engine.amp.AutocastOptimWrapper`), since CPU autocast is bf16.
            A config that already trains under ``AutocastOptimWrapper`` keeps it.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if options:
        for slot in check_option_keys(cfg, options):
            _open_slot(cfg, slot)
        cfg.merge_from_dict(options)
    cfg.launcher = launcher
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(path))[0])
    if not torch.cuda.is_available() and 'env_cfg' in cfg:
        # NCCL needs GPUs: processes on a CPU machine talk over gloo.
        cfg.env_cfg.setdefault('dist_cfg', ConfigDict())['backend'] = 'gloo'
        if launcher != 'none':
            init_cpu_distributed(cfg, launcher)
    if amp and cfg.optim_wrapper.get('type') != 'AutocastOptimWrapper':  # else: already mixed
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        else:
            cfg.optim_wrapper.type = 'AutocastOptimWrapper'
            cfg.optim_wrapper.dtype = 'bfloat16'
    return cfg


def check_data(cfg: Config, loaders: Sequence[str]) -> None:
    """Raises ``FileNotFoundError`` naming the config key when a loader's ``data_root`` or
    annotation file is missing: before a model is built, not when the first batch is drawn."""
    for name in loaders:
        dataset = (cfg.get(name) or {}).get('dataset') or {}
        while isinstance(dataset.get('dataset'), dict):  # dataset wrappers
            dataset = dataset['dataset']
        root = dataset.get('data_root')
        if root and not osp.isdir(root):
            raise FileNotFoundError(
                f'{name}.dataset.data_root not found: {root} (config {cfg.filename}); generate '
                'it (make data / tools/make_synthetic.py) or point --cfg-options '
                f'{name}.dataset.data_root=... at it')
        ann = dataset.get('ann_file')
        if ann:
            path = ann if osp.isabs(ann) or not root else osp.join(root, ann)
            if not osp.isfile(path):
                raise FileNotFoundError(f'{name}.dataset.ann_file not found: {path} (config '
                                        f'{cfg.filename})')


def check_option_keys(cfg: Config, options: Dict[str, Any]) -> List[str]:
    """Raises ``KeyError`` naming the first ``--cfg-options`` key the config does not have, and
    ``TypeError`` for a value whose type does not fit the one the config states.

    A key whose value is ``None`` is an empty slot the config declares (``init_cfg=None``), so
    keys below it are accepted: ``model.backbone.init_cfg.checkpoint=/local/r18.pth``. A key the
    config does not spell out is accepted when it is an argument of the ``type`` its dict builds
    (``test_evaluator.metrics.panoptic.outfile_prefix=...``); a typo still fails.

    Returns:
        The dotted paths of the empty slots that the options fill.
    """
    slots = []
    for key, value in options.items():
        node: Any = cfg.to_dict()
        walked: List[str] = []
        for i, part in enumerate(key.split('.')):
            if node is None and walked:
                slots.append('.'.join(walked))
                break
            if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, dict) and i == len(key.split('.')) - 1 and \
                    _accepts(node.get('type'), part):
                node = _NEW
            else:
                where = '.'.join(walked) or 'the top level'
                near = sorted(node.keys()) if isinstance(node, dict) else []
                raise KeyError(f'unknown config key {key!r}: {part!r} is not in {where} '
                               f'(keys there: {near})')
            walked.append(part)
        else:
            _check_type(key, node, value)
    return sorted(set(slots))


_NEW = object()  # a key the config does not spell out, accepted by its type's constructor
_SCALARS = (bool, int, float, str)


def _accepts(type_name: Any, argument: str) -> bool:
    """Whether the class or function ``type_name`` names in any unibench registry (and their
    mmdet / mmseg / mmengine parents) takes ``argument`` (or ``**kwargs``)."""
    import inspect

    from mmengine.registry import Registry

    from unibench import registry

    if not isinstance(type_name, str):
        return False
    for reg in vars(registry).values():
        target = reg.get(type_name) if isinstance(reg, Registry) else None
        if target is not None and _takes(target, argument, inspect):
            return True
    return False


def _takes(target: Any, argument: str, inspect: Any) -> bool:
    """A class's ``__init__`` chain takes ``argument``: a subclass that passes ``**kwargs`` on
    is followed to the parent that names its arguments."""
    inits = [c.__dict__['__init__'] for c in getattr(target, '__mro__', ())
             if '__init__' in c.__dict__ and c is not object] or [target]
    for init in inits:
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            return False
        if argument in params:
            return True
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return False
    return True  # **kwargs all the way up: nothing says the argument is wrong


def _check_type(key: str, current: Any, value: Any) -> None:
    """A scalar the config states keeps its kind: an int may become a float, anything may
    become ``None`` (switch it off), a number may not become a word."""
    if current is _NEW or current is None or value is None or not isinstance(current, _SCALARS):
        return
    if isinstance(current, bool) or isinstance(value, bool):
        ok = isinstance(current, bool) and isinstance(value, bool)
    elif isinstance(current, (int, float)):
        ok = isinstance(value, (int, float))
    else:
        ok = isinstance(value, str)
    if not ok:
        raise TypeError(f'--cfg-options {key}={value!r}: the config has {current!r} '
                        f'({type(current).__name__}), got {type(value).__name__}')


def _open_slot(cfg: Config, path: str) -> None:
    """Replaces the ``None`` at ``path`` by an empty dict, so that mmengine merges keys into it
    (it refuses to merge a dict into ``None``)."""
    *parents, last = path.split('.')
    node: Any = cfg
    for part in parents:
        node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]
    if isinstance(node, (list, tuple)):
        node[int(last)] = ConfigDict()
    else:
        node[last] = ConfigDict()


def set_test_tasks(cfg: Config, task: str) -> Sequence[str]:
    """Points the test loop at ``task`` (``all`` = every task the evaluator has metrics for)."""
    if task not in TASK_CHOICES:
        raise ValueError(f'unknown task {task!r}; choose from {TASK_CHOICES}')
    metrics = cfg.test_evaluator.get('metrics', {})
    tasks = list(metrics) if task == 'all' else [task]
    missing = [t for t in tasks if t not in metrics]
    if missing:
        raise KeyError(f'test_evaluator has no metrics for task(s) {missing}; it has '
                       f'{list(metrics)}')
    cfg.test_cfg.tasks = tasks
    return tasks


def init_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Multi-process training without CUDA (gloo), which mmengine 0.10.7 cannot set up itself.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its DDP wrapper passes
    ``device_ids=[local_rank]``; both fail on a CPU-only machine. The process group is started
    here (the Runner then finds it initialised) and DDP is built without device ids.
    """
    import torch.distributed as dist
    from mmengine.dist import init_dist

    if not dist.is_initialized():
        if launcher == 'pytorch':
            dist.init_process_group(backend='gloo')
        else:  # slurm: mmengine derives the rendezvous from SLURM_* before init
            init_dist(launcher, backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None,
                                     broadcast_buffers=False, find_unused_parameters=False)


def repoint_data(cfg: Config, data_root: str, *, pattern: 're.Pattern[str]' = SHAPES_ROOT
                 ) -> Config:
    """``cfg`` with every path matching ``pattern`` (the shapes roots: dataset roots, evaluator
    annotation files, prompt datasets) moved under ``data_root``."""
    root = str(data_root).rstrip('/') + '/'
    return Config(_replace_prefix(cfg.to_dict(), pattern, root), filename=cfg.filename)


def _replace_prefix(node: Any, old: 're.Pattern[str]', new: str) -> Any:
    if isinstance(node, dict):
        return {k: _replace_prefix(v, old, new) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return type(node)(_replace_prefix(v, old, new) for v in node)
    match = old.match(node) if isinstance(node, str) else None
    if match:
        return new + node[match.end():]
    return node
