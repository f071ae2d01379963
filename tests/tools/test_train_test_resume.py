"""tools/train.py, --resume and tools/test.py --task, end to end (2-process training:
tests/tools/test_distributed.py)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from unibench.testing import TINY_MODELS, tiny_config
from unibench.testing.processes import run_tool

REPO = Path(__file__).resolve().parents[2]
# The 64 x 64 leaf (tiny_shapes' size) with configs/_base_/models/mask2former_tiny.py: the tools
# are under test, not the model.
CONFIG = REPO / 'configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py'


@pytest.fixture(scope='module')
def config_file(tiny_shapes, tmp_path_factory):
    cfg = tiny_config(str(CONFIG), data_root=tiny_shapes, work_dir='unused', max_iters=2,
                      model=TINY_MODELS['mask2former'])
    cfg.log_level = 'INFO'  # the resume and distributed messages are INFO
    path = tmp_path_factory.mktemp('cfg') / 'm2f_tiny.py'
    cfg.dump(str(path))
    return path


@pytest.mark.slow  # 4 tool subprocesses
def test_train_resume_and_test_every_task(config_file, tmp_path):
    work = tmp_path / 'work'
    run_tool('tools/train.py', str(config_file), '--work-dir', str(work))
    assert (work / 'iter_2.pth').is_file()

    # Resuming reads the mmengine checkpoint (message hub, optimizer) under weights_only=True.
    out = run_tool('tools/train.py', str(config_file), '--work-dir', str(work),
                   '--resume', '--cfg-options', 'train_cfg.max_iters=4', 'param_scheduler.end=4')
    assert 'resumed epoch: 0, iter: 2' in out
    assert 'Iter(train) [3/4]' in out and 'Iter(train) [1/' not in out
    assert (work / 'iter_4.pth').is_file()
    # What was resumed, not only the counter: the optimizer state has taken 2 + 2 steps and the
    # message hub's loss history holds the first session's 2 iterations and the second's 2.
    ckpt = torch.load(work / 'iter_4.pth', map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 4
    assert {int(s['step']) for s in ckpt['optimizer']['state'].values()} == {4}
    loss = ckpt['message_hub']['log_scalars']['train/loss']
    assert len(loss.data[0]) == 4, loss.data

    out = run_tool('tools/test.py', str(config_file), str(work / 'iter_4.pth'),
                   '--task', 'all', '--work-dir', str(tmp_path / 'test'))
    for key in ('panoptic/PQ:', 'panoptic/PQ_th:', 'panoptic/PQ_st:', 'instance/segm_mAP:',
                'semantic/mIoU:'):
        assert re.search(rf'^{key} [-\d.]+$', out, re.M), key

    out = run_tool('tools/test.py', str(config_file), str(work / 'iter_4.pth'),
                   '--task', 'semantic', '--work-dir', str(tmp_path / 'test_sem'))
    assert 'semantic/mIoU:' in out and 'panoptic/PQ:' not in out


def test_unknown_cfg_option_key_is_named(config_file, tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', str(config_file), '--work-dir', str(tmp_path),
         '--cfg-options', 'train_cfg.max_iter=4'], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "unknown config key 'train_cfg.max_iter'" in proc.stderr
