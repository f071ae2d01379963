"""tools/train.py, --resume, tools/test.py --task and 2-process (gloo) training, end to end."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from unibench.testing import tiny_config

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py'


def run(*args, env=None, timeout=600):
    proc = subprocess.run([*args], cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, 'OMP_NUM_THREADS': '1', **(env or {})})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def config_file(tiny_shapes, tmp_path_factory):
    cfg = tiny_config(str(CONFIG), data_root=tiny_shapes, work_dir='unused', max_iters=2)
    cfg.log_level = 'INFO'  # the resume and distributed messages are INFO
    path = tmp_path_factory.mktemp('cfg') / 'm2f_tiny.py'
    cfg.dump(str(path))
    return path


def test_train_resume_and_test_every_task(config_file, tmp_path):
    work = tmp_path / 'work'
    run(sys.executable, 'tools/train.py', str(config_file), '--work-dir', str(work))
    assert (work / 'iter_2.pth').is_file()

    # Resuming reads the mmengine checkpoint (message hub, optimizer) under weights_only=True.
    out = run(sys.executable, 'tools/train.py', str(config_file), '--work-dir', str(work),
              '--resume', '--cfg-options', 'train_cfg.max_iters=4', 'param_scheduler.end=4')
    assert 'resumed epoch: 0, iter: 2' in out
    assert 'Iter(train) [3/4]' in out and 'Iter(train) [1/' not in out
    assert (work / 'iter_4.pth').is_file()

    out = run(sys.executable, 'tools/test.py', str(config_file), str(work / 'iter_4.pth'),
              '--task', 'all', '--work-dir', str(tmp_path / 'test'))
    for key in ('panoptic/PQ:', 'panoptic/PQ_th:', 'panoptic/PQ_st:', 'instance/segm_mAP:',
                'semantic/mIoU:'):
        assert re.search(rf'^{key} [-\d.]+$', out, re.M), key

    out = run(sys.executable, 'tools/test.py', str(config_file), str(work / 'iter_4.pth'),
              '--task', 'semantic', '--work-dir', str(tmp_path / 'test_sem'))
    assert 'semantic/mIoU:' in out and 'panoptic/PQ:' not in out


def test_unknown_cfg_option_key_is_named(config_file, tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', str(config_file), '--work-dir', str(tmp_path),
         '--cfg-options', 'train_cfg.max_iter=4'], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "unknown config key 'train_cfg.max_iter'" in proc.stderr


def test_two_process_gloo_training(config_file, tmp_path):
    work = tmp_path / 'dist'
    out = run(sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
              '--master_port=29517', 'tools/train.py', str(config_file), '--launcher',
              'pytorch', '--work-dir', str(work))
    assert 'Distributed training: True' in out
    assert re.search(r"'world_size': 2|world_size: 2|GPU number: 2", out) or \
        'distributed' in out.lower()
    assert (work / 'iter_2.pth').is_file()
