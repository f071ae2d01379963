"""Several processes compute what one does (gloo, real subprocesses of tools/dist_*.sh).

* One training step of 2 processes with 4 images each logs the same losses and makes the same
  parameter update as 1 process with those 8 images (1e-5), for Mask2Former and OneFormer: the
  mask losses' global target count (``reduce_mean``), OneFormer's contrastive loss over the
  gathered batch (``QueryTextContrastiveLoss``), DDP's gradient average and the logged
  losses' all-reduce (``GlobalLossLog``) are the code under test.
* Evaluation with 2 processes (tools/dist_test.sh) gives the same PQ / AP / mIoU as with 1 on
  5 images: mmengine's sampler pads rank 1 with a repeat of image 0, the collected results must
  drop it (with the repeat kept, AP moves from 0.165 to 0.15: checked).

What is made deterministic for the comparison, and why:

* the criterion's random points (matching and importance sampling) are drawn by
  ``torch.rand`` per process, so 2 processes draw other points than 1 by construction. A
  test-only module (``FIXED_POINTS``, imported through the config's ``custom_imports``) makes
  every ``torch.rand`` inside ``SetCriterion.forward`` return the same fixed points for every
  image; the matching and the importance sampling (top-k uncertainty among the candidates) are
  still the real code.
* no random augmentation (each process draws its own flips and crops), one task (OneFormer's
  per-image task draw is per process too), no shuffling: rank ``r`` trains on images ``r::2``,
  the 1-process batch is their union.
* GroupNorm in the backbone: trainable BatchNorm normalises by each process's own batch
  statistics by design (frozen BN and GN are exact; SyncBN would be, on GPUs).
* SGD without clipping: the update is ``lr * gradient``, so the parameters compare the gradients.
  (AdamW's first step is ``lr * sign(gradient)``, blind to a gradient's scale.)
* data with the same number of matched queries on both halves (``min(queries, targets)`` summed
  over the half's images) and a different number of targets: the class loss is normalised per
  process by the weights of its own queries, as in mmdet and the official code, which equals the
  1-process loss only when the halves match equally many queries; the target counts differ so
  that the mask losses' global normaliser matters.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from unibench.engine.hooks import read_record
from unibench.registry import DATASETS
from unibench.testing import TINY_MODELS, make_tiny_shapes, tiny_config

REPO = Path(__file__).resolve().parents[2]
LEAVES = dict(mask2former='configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py',
              oneformer='configs/oneformer/oneformer_r18-w32_1xb16-1k_shapes64.py')
IMAGES = 8  # per step: 4 per process
SEED = 20  # a shapes dataset whose halves match equally many queries (checked below)
LR = 1.0
TOL = 1e-5
EVAL_ITERS = 40  # AdamW steps of the evaluated model on the 5 images

FIXED_POINTS = '''"""Test-only: SetCriterion's random points, the same fixed points for every
image and output (tests/tools/test_distributed.py), so that 1 and 2 processes sample alike."""
import functools
from unittest import mock

import torch

from unibench.models.losses.criterion import SetCriterion

_rand = torch.rand


def _fixed_points(*size, device=None, dtype=None, **kwargs):
    """(..., P, 2) points in [0, 1): one draw of a fixed generator, repeated over the leading
    (output, image, mask) dimensions."""
    size = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
    points = _rand(size[-2:], generator=torch.Generator().manual_seed(0), dtype=dtype)
    if device is not None:
        points = points.to(device)
    return points.expand(size).contiguous()


_forward = SetCriterion.forward


@functools.wraps(_forward)
def _forward_with_fixed_points(self, *args, **kwargs):
    with mock.patch.object(torch, 'rand', _fixed_points):
        return _forward(self, *args, **kwargs)


SetCriterion.forward = _forward_with_fixed_points
'''


def free_port() -> int:
    """A port nothing listens on now, for torchrun's rendezvous (parallel test workers)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def launch(argv: Sequence[object], folder: Path, name: str) -> Tuple[subprocess.Popen, Path]:
    """Starts a tool in a session of its own; its output goes to ``folder/name.log`` (a pipe
    nobody reads would block it while the other side of the comparison runs)."""
    # No GPU: the gloo path of tools/train.py, and CPU arithmetic on both sides, also on a
    # machine with CUDA. PYTHONPATH: the config's custom_imports.
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'CUDA_VISIBLE_DEVICES': '',
           'PYTHON': sys.executable, 'PORT': str(free_port()),
           'PYTHONPATH': os.pathsep.join([str(folder), os.environ.get('PYTHONPATH', '')])}
    log = folder / f'{name}.log'
    with log.open('w') as out:
        proc = subprocess.Popen([str(a) for a in argv], cwd=REPO, env=env, text=True,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def wait(proc: subprocess.Popen) -> int:
    """The exit status; a tool still running after 5 minutes is killed with its workers."""
    try:
        return proc.wait(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait()


def both(one: Sequence[object], two: Sequence[object], folder: Path) -> List[str]:
    """Runs the 1-process and the 2-process command side by side (3 processes share the
    cores, the file stays short) and returns their outputs; both must succeed."""
    started = [launch(one, folder, 'one'), launch(two, folder, 'two')]
    codes = [wait(proc) for proc, _ in started]  # both ended before anything is asserted
    outs = [log.read_text() for _, log in started]
    for code, out in zip(codes, outs):
        assert code == 0, out[-4000:]
    return outs


@pytest.fixture(scope='module')
def shapes(tmp_path_factory) -> Path:
    """8 train / 5 val images: 5 does not split evenly over 2 processes."""
    return make_tiny_shapes(tmp_path_factory.mktemp('dist') / 'shapes', num_train=IMAGES,
                            num_val=5, seed=SEED)


def equality_config(family: str, shapes: Path, folder: Path, batch_size: int) -> Path:
    """The tiny model on ``shapes`` for one deterministic SGD step (see the module docstring)."""
    cfg = tiny_config(str(REPO / LEAVES[family]), data_root=shapes, work_dir='unused',
                      max_iters=1, batch_size=batch_size, model=TINY_MODELS[family])
    cfg.model.backbone.norm_cfg = dict(type='GN', num_groups=8, requires_grad=True)
    train = cfg.train_dataloader
    train.sampler.shuffle = False
    train.dataset.tasks = ('panoptic', )
    train.dataset.pipeline = [t for t in train.dataset.pipeline
                              if not t['type'].startswith('Random')]
    # fp32 (the leaves train under bf16 autocast): the two processes' halves of the batch agree
    # with the whole batch to fp32's rounding, not to bf16's.
    cfg.optim_wrapper.type = 'OptimWrapper'
    cfg.optim_wrapper.optimizer = dict(type='SGD', lr=LR, momentum=0.9, weight_decay=0.0)
    cfg.optim_wrapper.clip_grad = None
    # No validation: mmengine validates after the last iteration whatever the interval.
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.log_processor.window_size = 1
    cfg.custom_imports = dict(imports=['fixed_points'], allow_failed_imports=False)
    (folder / 'fixed_points.py').write_text(FIXED_POINTS)
    path = folder / f'{family}_b{batch_size}.py'
    cfg.dump(str(path))
    return path


def target_counts(config: Path) -> List[int]:
    """Training targets of each image, as the pipeline derives them."""
    cfg = Config.fromfile(str(config), import_custom_modules=False)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return [len(dataset[i]['data_samples'].gt_instances) for i in range(len(dataset))]


def logged(work: Path) -> Dict[str, float]:
    """The loss terms logged at iteration 1."""
    for line in next(work.glob('*/vis_data/scalars.json')).read_text().splitlines():
        entry = json.loads(line)
        if entry.get('iter') == 1 and 'loss' in entry:
            return {k: float(v) for k, v in entry.items() if 'loss' in k}
    raise AssertionError(f'no losses logged in {work}')


@pytest.mark.slow  # 3 training processes (1 + 2)
@pytest.mark.parametrize('family', ['mask2former', 'oneformer'])
def test_one_step_of_two_processes_is_one_step_of_one(family, shapes, tmp_path):
    """tools/dist_train.sh with 2 processes of 4 images against tools/train.py with the 8."""
    one = equality_config(family, shapes, tmp_path, batch_size=IMAGES)
    two = equality_config(family, shapes, tmp_path, batch_size=IMAGES // 2)
    counts = target_counts(one)
    queries = Config.fromfile(str(one), import_custom_modules=False).model.panoptic_head.num_queries
    halves = counts[0::2], counts[1::2]  # rank r's images
    assert len(counts) == IMAGES
    assert len({sum(min(queries, m) for m in half) for half in halves}) == 1, counts
    assert sum(halves[0]) != sum(halves[1]), counts

    both([sys.executable, 'tools/train.py', one, '--work-dir', tmp_path / 'one'],
         ['bash', 'tools/dist_train.sh', two, 2, '--work-dir', tmp_path / 'two'], tmp_path)
    # One run of two processes in the record: 1 iteration of 2 processes x 4 images.
    record = read_record(str(tmp_path / 'two'))
    assert record['identity']['num_processes'] == 2 and record['train']['devices'] == 2
    assert record['train']['iterations'] == 1 and record['train']['images_seen'] == IMAGES
    # tools/train.py switched to gloo (no CUDA): the config the run dumped says so.
    assert "backend='gloo'" in (tmp_path / 'two' / two.name).read_text()

    expected, got = logged(tmp_path / 'one'), logged(tmp_path / 'two')
    assert sorted(got) == sorted(expected)
    assert ('loss_contrastive' in got) == (family == 'oneformer')
    for key, value in expected.items():
        assert abs(got[key] - value) <= TOL * max(1.0, abs(value)), (key, got[key], value)

    ckpt = {n: torch.load(tmp_path / n / 'iter_1.pth', map_location='cpu', weights_only=True)
            for n in ('one', 'two')}
    params = ckpt['one']['state_dict']
    assert sorted(ckpt['two']['state_dict']) == sorted(params)
    for name, value in params.items():
        torch.testing.assert_close(ckpt['two']['state_dict'][name], value, rtol=0, atol=TOL,
                                   msg=lambda m, name=name: f'{name}: {m}')
    # The step moved the parameters by far more than the tolerance: SGD's first momentum
    # buffer is the gradient.
    grads = [s['momentum_buffer'] for s in ckpt['one']['optimizer']['state'].values()]
    assert LR * max(float(g.abs().max()) for g in grads) > 1e4 * TOL



def eval_model(shapes: Path, folder: Path) -> Tuple[Path, Path]:
    """The tiny Mask2Former overfit on the 5 evaluation images (in this process: it is the
    object of the evaluation, not of the comparison), so that PQ, AP and mIoU are far from 0 and
    an image dropped or counted twice changes them. Returns its config (test batches of 2) and
    checkpoint."""
    cfg = tiny_config(str(REPO / LEAVES['mask2former']), data_root=shapes,
                      work_dir=folder / 'train', max_iters=EVAL_ITERS, batch_size=5,
                      model=TINY_MODELS['mask2former'])
    train = cfg.train_dataloader.dataset
    train.update(ann_file=cfg.val_dataloader.dataset.ann_file,
                 data_prefix=cfg.val_dataloader.dataset.data_prefix,
                 pipeline=[t for t in train.pipeline if not t['type'].startswith('Random')])
    cfg.optim_wrapper.optimizer.lr = 5e-3
    cfg.optim_wrapper.clip_grad = None
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_dataloader.batch_size = 2
    Runner.from_cfg(cfg.copy()).train()
    cfg.log_level = 'INFO'  # the test loop's "evaluating task ... on N images"
    path = folder / 'eval.py'
    cfg.dump(str(path))
    return path, folder / 'train' / f'iter_{EVAL_ITERS}.pth'


def printed_metrics(out: str) -> Dict[str, List[float]]:
    """``key: value`` lines of tools/test.py (each process prints them)."""
    found: Dict[str, List[float]] = {}
    for key, value in re.findall(r'^(\w+/\w+): ([-\d.e]+)$', out, re.M):
        found.setdefault(key, []).append(float(value))
    return found


@pytest.mark.slow  # a training in this process, 3 evaluation processes
def test_two_process_evaluation_scores_as_one(shapes, tmp_path):
    """tools/dist_test.sh with 2 processes against tools/test.py, 5 images, every task."""
    config, ckpt = eval_model(shapes, tmp_path)
    out_one, out_two = both(
        [sys.executable, 'tools/test.py', config, ckpt, '--work-dir', tmp_path / 'one'],
        ['bash', 'tools/dist_test.sh', config, ckpt, 2, '--work-dir', tmp_path / 'two'],
        tmp_path)
    assert 'evaluating task "panoptic" on 5 images' in out_two
    one = {k: v for k, (v, ) in printed_metrics(out_one).items()}
    two = printed_metrics(out_two)
    assert one['panoptic/PQ'] > 5 and one['instance/segm_mAP'] > 0.05, one
    assert one['semantic/mIoU'] > 20, one
    assert sorted(two) == sorted(one)
    for key, value in one.items():  # every rank reports the collected metrics
        assert two[key] == [value, value], (key, two[key], value)
