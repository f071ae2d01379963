"""Where SetCriterion's time goes, on the inputs it gets in a real training step.

usage: python tools/analysis_tools/criterion_profile.py CONFIG DATA_ROOT [BATCH]

Runs one step of CONFIG (``unibench.testing.tiny_config``, the dataset at DATA_ROOT), captures the
criterion's inputs, then times 5 forward + backward calls after 2, split into the matching (its
costs and scipy's assignment), the class losses and the mask losses (their importance sampling and
target sampling), and prints torch.profiler's top operators of one more call.
"""
import sys
import tempfile
import time

import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch.profiler import ProfilerActivity, profile

import unibench  # noqa: F401
import unibench.models.losses.criterion as criterion_module
from unibench.testing import tiny_config

TIMES: dict = {}


def timed(owner, name: str, label: str) -> None:
    """Replaces ``owner.name`` by a wrapper adding its wall time to ``TIMES[label]``."""
    function = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        TIMES[label] = TIMES.get(label, 0.0) + time.perf_counter() - start
        return result
    setattr(owner, name, wrapper)


def main() -> None:
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    cfg = tiny_config(sys.argv[1], data_root=sys.argv[2], work_dir=tempfile.mkdtemp(),
                      max_iters=10, batch_size=batch)
    init_default_scope('unibench')
    runner = Runner.from_cfg(cfg)
    model = runner.model.train()
    criterion = model.panoptic_head.criterion
    captured = {}
    forward = criterion.forward

    def capture(*args, **kwargs):
        captured.update(args=args, kwargs=kwargs)
        return forward(*args, **kwargs)
    criterion.forward = capture
    data = model.data_preprocessor(next(iter(runner.build_dataloader(cfg.train_dataloader))), True)
    model(**data, mode='loss')
    criterion.forward = forward
    cls_scores, mask_preds, *rest = captured['args']
    cls_scores = [c.detach().requires_grad_() for c in cls_scores]
    mask_preds = [m.detach().requires_grad_() for m in mask_preds]
    print(f'{len(cls_scores)} outputs, masks {tuple(mask_preds[0].shape)}, targets '
          f'{[len(g.labels) for g in rest[0]]}, {criterion.num_points} points')
    for owner, name, label in ((criterion, 'match', 'matching'),
                               (criterion_module, 'batched_cost', '  costs'),
                               (criterion_module, 'hungarian', '  assignment'),
                               (criterion, 'class_losses', 'class losses'),
                               (criterion, 'mask_losses', 'mask losses'),
                               (criterion_module, 'uncertain_point_coords', '  importance'),
                               (criterion_module, '_sample_targets', '  targets')):
        timed(owner, name, label)
    for step in range(7):
        if step == 2:
            TIMES.clear()
        start = time.perf_counter()
        losses = criterion(cls_scores, mask_preds, *rest, **captured['kwargs'])
        TIMES['forward'] = TIMES.get('forward', 0.0) + time.perf_counter() - start
        start = time.perf_counter()
        sum(losses.values()).backward()
        TIMES['backward'] = TIMES.get('backward', 0.0) + time.perf_counter() - start
    for label, seconds in TIMES.items():
        print(f'{label:16s} {seconds / 5 * 1e3:7.1f} ms')
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        sum(criterion(cls_scores, mask_preds, *rest, **captured['kwargs']).values()).backward()
    print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=15))


if __name__ == '__main__':
    torch.manual_seed(0)
    main()
