"""Assertions the model tests share: one batch of a config, gradients after a backward pass, and
the prediction format each task's evaluator reads."""
from typing import Dict, List

import torch
from mmengine.config import Config
from mmengine.runner import Runner, set_random_seed
from torch import Tensor, nn

from unibench.structures import INSTANCE_OFFSET, PRED_FIELDS


def first_batch(cfg: Config, split: str = 'train', seed: int = 0) -> dict:
    """The first batch of ``cfg``'s ``{split}_dataloader``, without a Runner.

    The random, numpy and torch generators are seeded first: in-process loading (``num_workers
    = 0``) draws the augmentations from them, so without it the batch would depend on which
    tests ran before.
    """
    set_random_seed(seed)
    return next(iter(Runner.build_dataloader(cfg[f'{split}_dataloader'], seed=seed)))


def total_loss(losses: Dict[str, object]) -> Tensor:
    """Sum of the ``loss*`` entries (lists, like the RPN's per-level losses, are summed)."""
    return sum(sum(v) if isinstance(v, list) else v for k, v in losses.items() if 'loss' in k)


def assert_every_parameter_has_a_gradient(model: nn.Module) -> List[str]:
    """After ``backward``: every trainable parameter has a finite gradient.

    Returns:
        Names of the parameters whose gradient is exactly zero everywhere (reached by the graph
        but not moved by this batch), for tests that pin them down.
    """
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    missing = [n for n, p in params if p.grad is None]
    assert not missing, f'no gradient: {missing}'
    bad = [n for n, p in params if not torch.isfinite(p.grad).all()]
    assert not bad, f'non-finite gradient: {bad}'
    return [n for n, p in params if not p.grad.abs().sum() > 0]


def assert_prediction_format(sample, task: str, *, num_classes: int,
                             num_things_classes: int, max_instances: int = 100) -> None:
    """``sample`` carries the task's prediction, and only it, in the evaluator's format.

    * semantic: ``pred_sem_seg.sem_seg`` ``(1, H, W)`` int64 labels in ``[0, num_classes)``;
    * instance: ``pred_instances`` with bool masks ``(N, H, W)``, thing labels, one box and score
      per mask, ``N <= max_instances``;
    * panoptic: ``pred_panoptic_seg.sem_seg`` ``(1, H, W)`` ids ``label + k * INSTANCE_OFFSET`` with
      ``label <= num_classes`` (``num_classes`` is void).

    ``(H, W)`` is the sample's ``ori_shape``.
    """
    field = PRED_FIELDS[task]
    others = sorted(f for f in PRED_FIELDS.values() if f != field and f in sample)
    assert field in sample and not others, (field, others)
    h, w = sample.ori_shape
    if task == 'semantic':
        sem = sample.pred_sem_seg.sem_seg
        assert sem.shape == (1, h, w) and sem.dtype == torch.int64, (sem.shape, sem.dtype)
        assert 0 <= int(sem.min()) and int(sem.max()) < num_classes
    elif task == 'panoptic':
        pan = sample.pred_panoptic_seg.sem_seg
        assert pan.shape == (1, h, w), pan.shape
        assert int((pan % INSTANCE_OFFSET).max()) <= num_classes
    else:
        inst = sample.pred_instances
        assert inst.masks.shape[1:] == (h, w) and inst.masks.dtype == torch.bool
        assert len(inst.masks) == len(inst.scores) == len(inst.labels) == len(inst.bboxes)
        assert len(inst.scores) <= max_instances
        assert bool((inst.labels < num_things_classes).all())  # things only
