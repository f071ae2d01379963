"""PSSL: SmoothGrad, the explanation ensemble, decile pseudo labels, the pipeline end to end."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch import nn

from unibench.datasets import ShapesPanopticDataset
from unibench.pssl import run
from unibench.pssl.classification import instance_crops
from unibench.pssl.saliency import deciles, ensemble, pseudo_label, smoothgrad

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / 'configs/pssl/pipeline-shapes.py'
THINGS = ShapesPanopticDataset.METAINFO['thing_classes']


def test_deciles_of_a_constructed_saliency_map_are_exact():
    saliency = np.arange(100, dtype=float).reshape(10, 10)
    assert np.array_equal(deciles(saliency), (saliency // 10).astype(np.uint8))
    label = pseudo_label(np.random.default_rng(0).permutation(saliency.ravel()).reshape(10, 10),
                         label=3, background=7)
    assert (label == 3).sum() == 10 and (label == 7).sum() == 90
    assert label.dtype == np.uint8


def test_top_decile_follows_the_values_not_the_positions():
    saliency = np.zeros((20, 20))
    saliency[5:7, 5:15] = np.linspace(1, 2, 20).reshape(2, 10)  # 20 high pixels of 400
    label = pseudo_label(saliency, label=1, background=0)
    # the 90 % quantile is 0: the 20 positive pixels are above it, the tied zeros are not
    assert np.array_equal(label == 1, saliency > 0)
    assert (pseudo_label(np.ones((4, 4)), label=1, background=0) == 0).all()  # no variation


def test_ensemble_normalises_each_explainer():
    a = torch.tensor([[[0.0, 1.0], [2.0, 4.0]]])
    b = 1000 * torch.tensor([[[4.0, 2.0], [1.0, 0.0]]])  # a larger scale must not dominate
    expected = (torch.tensor([[[0, .25], [.5, 1]]]) + torch.tensor([[[1, .5], [.25, 0]]])) / 2
    assert torch.allclose(ensemble([a, b]), expected)


def test_smoothgrad_without_noise_is_the_gradient_of_the_class_probability():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 2, bias=False))
    images = torch.randn(2, 3, 4, 4)
    labels = torch.tensor([0, 1])
    saliency = smoothgrad(model, images, labels, noise=0.0, samples=3)
    w = model[1].weight
    probs = model(images).softmax(1)
    expected = []
    for i, k in enumerate(labels.tolist()):
        # d p_k / d x = p_k * (w_k - sum_j p_j w_j)
        grad = probs[i, k] * (w[k] - probs[i] @ w)
        expected.append(grad.view(3, 4, 4).abs().sum(0))
    assert torch.allclose(saliency, torch.stack(expected).detach(), atol=1e-6)
    noisy = smoothgrad(model, images, labels, noise=0.1, samples=4,
                       generator=torch.Generator().manual_seed(0))
    assert noisy.shape == (2, 4, 4) and (noisy >= 0).all()


def test_instance_crops(tiny_shapes):
    crops = instance_crops(str(tiny_shapes), 'train', classes=THINGS, size=32, min_area=20)
    assert crops.images.shape[1:] == (3, 32, 32) and crops.images.dtype == torch.uint8
    assert len(crops) == len(crops.labels) == len(crops.masks) == len(crops.names)
    assert int(crops.labels.max()) < len(THINGS)
    # the object is in the middle of its crop
    assert crops.masks[:, 12:20, 12:20].float().mean() > 0.5
    with pytest.raises(FileNotFoundError, match='instances_nope.json'):
        instance_crops(str(tiny_shapes), 'nope', classes=THINGS)


def test_pipeline_end_to_end(tiny_shapes, tmp_path):
    spec = Config.fromfile(str(SPEC))
    spec.work_root = str(tmp_path / 'pssl')
    spec.data_root = str(tiny_shapes) + '/'
    spec.log_level = 'WARNING'
    spec.crops.update(size=32, min_area=20, max_train=12, max_val=8)
    spec.classifier_train.update(epochs=1, batch_size=8)
    spec.smoothgrad.update(samples=2, batch_size=8)
    loaders = {f'{name}.{key}': value for name in ('train_dataloader', 'test_dataloader')
               for key, value in (('batch_size', 2), ('num_workers', 0),
                                  ('persistent_workers', False))}
    spec.pretrain.update(max_iters=2, options={
        k: v for k, v in loaders.items() if k.startswith('train')})
    spec.finetune.update(max_iters=2, options=loaders)
    lines = []
    rows = run(spec, log=lines.append)

    root = Path(spec.work_root)
    labels = sorted((root / 'crops' / 'ann').glob('*.png'))
    assert len(labels) == len(list((root / 'crops' / 'img').glob('*.png'))) == 12
    label = cv2.imread(str(labels[0]), cv2.IMREAD_UNCHANGED)
    assert set(np.unique(label)) <= set(range(len(THINGS) + 1))
    assert (label == len(THINGS)).mean() == pytest.approx(0.9, abs=0.05)  # background
    init = torch.load(root / 'pretrain' / 'init.pth', weights_only=True)['state_dict']
    assert init and not any('conv_seg' in k for k in init)
    assert [r['init'] for r in rows] == ['PSSL pre-trained', 'from scratch']
    assert all(0 <= r['mIoU'] <= 100 for r in rows)
    assert '| PSSL pre-trained | 2 | 2 |' in (root / 'results.md').read_text()
    assert any('[pssl 4/4] finetune' in line for line in lines)


def test_tool_names_an_unknown_spec_key(tmp_path):
    proc = subprocess.run([sys.executable, 'tools/pssl.py', str(SPEC), '--work-root',
                           str(tmp_path), '--cfg-options', 'crops.sizes=32'], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "unknown config key 'crops.sizes'" in proc.stderr
    assert not any(tmp_path.iterdir())  # nothing ran
