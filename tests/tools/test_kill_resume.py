"""A run killed with SIGKILL (here: while it writes a checkpoint) and resumed with --resume logs
the same losses as an uninterrupted run with the same seed, for Mask2Former and OneFormer."""
import json
import os
import re
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest

from unibench.engine.resume import resume_checkpoint
from unibench.testing import TINY_MODELS, tiny_config
from unibench.testing.processes import kill_session

REPO = Path(__file__).resolve().parents[2]
LEAVES = dict(mask2former='configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py',
              oneformer='configs/oneformer/oneformer_r18-w32_1xb16-1k_shapes64.py')
MAX_ITERS = 6
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}


def train_argv(config: Path, work: Path, *extra: str) -> List[str]:
    return [sys.executable, 'tools/train.py', str(config), '--work-dir', str(work), *extra]


def logged_losses(work: Path) -> Dict[int, List[float]]:
    """Every ``loss`` the runs in ``work`` logged, by iteration (a session each timestamp)."""
    losses: Dict[int, List[float]] = {}
    for scalars in sorted(work.glob('*/vis_data/scalars.json')):
        for line in scalars.read_text().splitlines():
            entry = json.loads(line)
            if 'loss' in entry:
                losses.setdefault(int(entry['iter']), []).append(float(entry['loss']))
    return losses


@pytest.mark.slow
@pytest.mark.parametrize('family,workers', [('mask2former', 1), ('oneformer', 0)])
def test_a_killed_run_resumes_to_the_same_losses(family, workers, tiny_shapes, tmp_path):
    cfg = tiny_config(str(REPO / LEAVES[family]), data_root=tiny_shapes, work_dir='unused',
                      max_iters=MAX_ITERS, val_interval=3, model=TINY_MODELS[family])
    cfg.default_hooks.checkpoint.interval = 2
    cfg.log_processor.window_size = 1  # each iteration's own loss, not a running mean
    cfg.log_level = 'INFO'
    cfg.train_dataloader.num_workers = workers  # 1: the worker's augmentations are replayed
    config = tmp_path / f'{family}.py'
    cfg.dump(str(config))

    whole = tmp_path / 'whole'
    subprocess.run(train_argv(config, whole), cwd=REPO, env=ENV, check=True,
                   capture_output=True)
    expected = logged_losses(whole)
    assert sorted(expected) == list(range(1, MAX_ITERS + 1))

    killed = tmp_path / 'killed'
    # Its own process group, killed as a whole (data workers included), as a pre-empted job is.
    proc = subprocess.Popen(train_argv(config, killed), cwd=REPO, env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        for line in proc.stdout:  # mmengine logs this line, then writes the file
            if 'Saving checkpoint at 4 iterations' in line:
                break
    finally:
        kill_session(proc)  # it may have ended by itself: the assertion below says so
    assert proc.returncode == -signal.SIGKILL
    # Whatever the kill interrupted, every file under a checkpoint's name is complete.
    assert all(zipfile.is_zipfile(p) for p in killed.glob('iter_*.pth'))
    start = resume_checkpoint(str(killed))
    assert start is not None and Path(start).name in ('iter_2.pth', 'iter_4.pth')

    out = subprocess.run(train_argv(config, killed, '--resume'), cwd=REPO, env=ENV, text=True,
                         capture_output=True)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    resumed_at = int(Path(start).stem.split('_')[1])
    assert f'resumed epoch: 0, iter: {resumed_at}' in out.stdout + out.stderr
    assert not list(killed.glob('.*.tmp'))  # a write the kill interrupted is cleaned up
    got = logged_losses(killed)
    assert sorted(got) == list(range(1, MAX_ITERS + 1))
    for it, values in got.items():
        for value in values:  # the killed session's and the resumed session's alike
            assert abs(value - expected[it][0]) <= 1e-6, (it, value, expected[it])


def test_a_checkpoint_of_another_model_is_refused_by_test_py(tiny_shapes, tmp_path):
    """tools/test.py with a Mask2Former checkpoint and a OneFormer config: the keys are listed,
    nothing is evaluated with half-random weights."""
    paths = {}
    for family in ('mask2former', 'oneformer'):
        cfg = tiny_config(str(REPO / LEAVES[family]), data_root=tiny_shapes, work_dir='unused',
                          max_iters=1, model=TINY_MODELS[family])
        paths[family] = tmp_path / f'{family}.py'
        cfg.dump(str(paths[family]))
    work = tmp_path / 'm2f'
    subprocess.run(train_argv(paths['mask2former'], work), cwd=REPO, env=ENV, check=True,
                   capture_output=True)
    out = subprocess.run([sys.executable, 'tools/test.py', str(paths['oneformer']),
                          str(work / 'iter_1.pth'), '--work-dir', str(tmp_path / 'test')],
                         cwd=REPO, env=ENV, text=True, capture_output=True)
    assert out.returncode != 0
    assert re.search(r'iter_1.pth does not cover OneFormer: \d+ of \d+ weights missing, e.g. '
                     r"\['panoptic_head\.", out.stderr), out.stderr[-2000:]
