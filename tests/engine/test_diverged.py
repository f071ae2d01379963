"""A non-finite loss stops training with an error naming the iteration and the terms, keeps the
last good checkpoint and records the run as diverged."""
import math
from pathlib import Path

import pytest
from mmengine.runner import Runner

from unibench.engine.checkpoint import last_checkpoint
from unibench.engine.hooks import read_record
from unibench.models.segmentors.mask2former import Mask2Former
from unibench.testing import TINY_MODELS, tiny_config

REPO = Path(__file__).resolve().parents[2]
LEAF = REPO / 'configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py'


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tiny_shapes, tmp_path,
                                                                      monkeypatch):
    cfg = tiny_config(str(LEAF), data_root=tiny_shapes, work_dir=tmp_path / 'work', max_iters=6,
                      model=TINY_MODELS['mask2former'])
    cfg.default_hooks.checkpoint.interval = 2
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    calls = {'n': 0}
    loss = Mask2Former.loss

    def nan_from_the_third(self, *args, **kwargs):
        calls['n'] += 1
        losses = loss(self, *args, **kwargs)
        if calls['n'] >= 3:
            losses['d0.loss_mask'] = losses['d0.loss_mask'] * math.nan
        return losses

    monkeypatch.setattr(Mask2Former, 'loss', nan_from_the_third)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(FloatingPointError, match=r'non-finite loss at iteration 3: '
                                                 r'(\S+=\S+, )*d0\.loss_mask=nan.*iter_2\.pth'):
        runner.train()
    work = str(tmp_path / 'work')
    assert last_checkpoint(work).endswith('iter_2.pth')
    assert not (tmp_path / 'work' / 'iter_4.pth').exists()
    train = read_record(work)['train']
    assert train['status'] == 'diverged' and train['iterations'] == 2
    assert 'd0.loss_mask=nan' in train['reason'] and train['last_good_checkpoint'].endswith(
        'iter_2.pth')
