"""Helpers for tests, smoke runs and benchmarks: tiny datasets and tiny versions of configs."""
from pathlib import Path
from typing import Optional, Union

from mmengine.config import Config

from unibench.datasets.synthetic import generate_shapes_dataset
from unibench.engine.config import repoint_data

from .checks import (  # noqa: F401
    PRED_FIELDS,
    assert_every_parameter_has_a_gradient,
    assert_prediction_format,
    first_batch,
    total_loss,
)

# Test-sized model bases (seconds per build and step) for ``tiny_config(..., model=...)``.
TINY_MODELS = {name: Path(__file__).resolve().parents[2] / f'configs/_base_/models/{name}_tiny.py'
               for name in ('mask2former', 'oneformer', 'painter', 'gscnn')}


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
                val_interval: Optional[int] = None,
                model: Optional[Union[str, Path]] = None) -> Config:
    """A shapes config re-pointed at ``data_root`` and shortened to ``max_iters`` iterations.

    Every path under ``data/shapes*/`` (``data/shapes/``, ``data/shapes64/``: dataset roots,
    evaluator annotation files) is rewritten, loaders run in the main process, and
    logging/checkpointing happen at the end of the run.

    Args:
        model: A model base config (e.g. ``configs/_base_/models/mask2former_tiny.py``) merged
            over the leaf's ``model``: every key it sets wins, the leaf keeps what only it sets
            (class counts, dataset-dependent values).
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    if model is not None:
        cfg.merge_from_dict(dict(model=Config.fromfile(str(model)).model.to_dict()))
    cfg = repoint_data(cfg, str(data_root))
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

