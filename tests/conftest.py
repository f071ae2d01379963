"""Shared fixtures: a tiny ``unibench-shapes`` dataset and the options that shrink a shapes run."""
from pathlib import Path
from typing import Any, Dict

import pytest

TINY_SIZE = 64


def tiny_shapes_options(data_root: str, *, iters: int = 2, batch: int = 2) -> Dict[str, Any]:
    """``--cfg-options`` that turn a ``*_shapes*`` config into a seconds-long run.

    The data root is repointed (datasets and evaluators), crops and test resize shrink to
    :data:`TINY_SIZE`, loaders run in-process, and the schedule is ``iters`` iterations.
    Pipeline indices follow ``configs/_base_/datasets/shapes.py``.
    """
    root = data_root.rstrip('/') + '/'
    size = (TINY_SIZE, TINY_SIZE)
    options: Dict[str, Any] = {
        'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters,
        'param_scheduler.end': iters, 'default_hooks.checkpoint.interval': iters,
        'default_hooks.logger.interval': 1,
        'train_dataloader.batch_size': batch,
        # A shallower head: one pixel-decoder encoder layer, two transformer decoder layers.
        'model.panoptic_head.pixel_decoder.encoder.num_layers': 1,
        'model.panoptic_head.transformer_decoder.num_layers': 2,
        'train_dataloader.dataset.pipeline.3.scale': size,
        'train_dataloader.dataset.pipeline.4.crop_size': size,
    }
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False,
                        f'{loader}.dataset.data_root': root})
    for split in ('val', 'test'):
        options.update({
            f'{split}_dataloader.batch_size': 4,
            f'{split}_dataloader.dataset.pipeline.1.scale': size,
            f'{split}_evaluator.metrics.panoptic.ann_file': root + 'annotations/panoptic_val.json',
            f'{split}_evaluator.metrics.panoptic.seg_prefix': root + 'annotations/panoptic_val/',
            f'{split}_evaluator.metrics.instance.ann_file': root + 'annotations/instances_val.json',
        })
    return options


@pytest.fixture(scope='session')
def tiny_shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8 + 4 image, 64 x 64 ``unibench-shapes`` dataset (generated once per session)."""
    from unibench.datasets.synthetic import generate_shapes_dataset

    root = tmp_path_factory.mktemp('shapes')
    generate_shapes_dataset(root, num_train=8, num_val=4, size=TINY_SIZE, seed=0, workers=1,
                            progress=False)
    return root
