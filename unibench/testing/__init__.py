"""Helpers for tests, smoke runs and benchmarks: tiny datasets and tiny versions of configs."""
import re
from pathlib import Path
from typing import Any, Optional, Union

from mmengine.config import Config

from unibench.datasets.synthetic import generate_shapes_dataset

from .checks import (PRED_FIELDS, assert_every_parameter_has_a_gradient,  # noqa: F401
                     assert_prediction_format, first_batch, total_loss)

# The generated shapes datasets the configs point at: data/shapes/, data/shapes64/, ...
SHAPES_ROOT = re.compile(r'^data/shapes\w*/')


def make_tiny_shapes(root: Union[str, Path], *, num_train: int = 8, num_val: int = 4,
                     size: int = 64, seed: int = 0) -> Path:
    """Generates a tiny ``unibench-shapes`` dataset under ``root`` (skipped if already there)."""
    root = Path(root)
    if not (root / 'annotations' / 'panoptic_val.json').is_file():
        generate_shapes_dataset(root, num_train=num_train, num_val=num_val, size=size,
                                seed=seed, workers=1, progress=False)
    return root


def tiny_config(config: Union[str, Config], *, data_root: Union[str, Path],
                work_dir: Union[str, Path], max_iters: int = 2, batch_size: int = 2,
                val_interval: Optional[int] = None) -> Config:
    """A shapes config re-pointed at ``data_root`` and shortened to ``max_iters`` iterations.

    Every path under ``data/shapes*/`` (``data/shapes/``, ``data/shapes64/``: dataset roots, evaluator annotation files) is rewritten,
    loaders run in the main process, and logging/checkpointing happen at the end of the run.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    root = str(data_root).rstrip('/') + '/'
    cfg = Config(_replace_prefix(cfg.to_dict(), SHAPES_ROOT, root), filename=cfg.filename)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = val_interval or max_iters
    if isinstance(cfg.param_scheduler, dict):
        cfg.param_scheduler.end = max_iters
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.default_hooks.logger.interval = 1
    cfg.log_level = 'WARNING'
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.batch_size = batch_size
        loader.num_workers = 0
        loader.persistent_workers = False
    return cfg


def _replace_prefix(node: Any, old: 're.Pattern[str]', new: str) -> Any:
    if isinstance(node, dict):
        return {k: _replace_prefix(v, old, new) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return type(node)(_replace_prefix(v, old, new) for v in node)
    match = old.match(node) if isinstance(node, str) else None
    if match:
        return new + node[match.end():]
    return node
