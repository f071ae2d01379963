"""Mask2Former (the shared decoder and criterion) for each task on the shapes configs."""
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from unibench.registry import DATASETS, MODELS
from unibench.testing import (
    TINY_MODELS,
    assert_every_parameter_has_a_gradient,
    assert_prediction_format,
    first_batch,
    tiny_config,
    total_loss,
)

REPO = Path(__file__).resolve().parents[2]
# The query-based models' shapes configs (specialists and the painter have their own tests).
CONFIGS = sorted(p for family in ('mask2former', 'oneformer')
                 for p in (REPO / 'configs' / family).glob('*_shapes*.py'))
M2F = {p.stem.rsplit('-', 1)[-1]: p for p in CONFIGS
       if p.parent.name == 'mask2former' and '_shapes-' in p.stem}
# The 64 x 64 leaf (tiny_shapes' size) for the tests that run configs/_base_/models/
# mask2former_tiny.py: they check code paths, not the benchmark model's size.
M2F64 = REPO / 'configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py'
TINY = TINY_MODELS['mask2former']
ZERO_AT_INIT = re.compile(r'backbone\.layer\d\.\d\.(conv1|bn1|conv2)\.|'
                          r'panoptic_head\.pixel_decoder\.level_encoding\.')


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_shapes_configs_state_the_dataset_class_counts(path):
    cfg = Config.fromfile(str(path))
    meta = DATASETS.get(cfg.dataset_type).METAINFO
    assert cfg.num_things_classes == len(meta['thing_classes'])
    assert cfg.num_stuff_classes == len(meta['stuff_classes'])
    head = cfg.model.panoptic_head
    assert head.num_things_classes + head.num_stuff_classes in (
        len(meta['classes']), len(meta['thing_classes']))


@pytest.mark.parametrize('task', ['panoptic', 'instance', 'semantic'])
def test_forward_backward_gives_every_parameter_a_gradient(task, tiny_shapes, tmp_path):
    cfg = tiny_config(str(M2F[task]), data_root=tiny_shapes, work_dir=tmp_path)
    model = MODELS.build(cfg.model)
    model.init_weights()
    data = model.data_preprocessor(first_batch(cfg), training=True)
    assert all(s.metainfo['task'] == task for s in data['data_samples'])
    total = total_loss(model(**data, mode='loss'))
    assert torch.isfinite(total)
    total.backward()
    zero = assert_every_parameter_has_a_gradient(model)
    # Exactly zero, and only these, by construction at step 0: mmdet zero-initialises each
    # residual block's last BN (zero_init_residual), which stops the gradient of the layers
    # before it, and MSDeformAttn's zero-initialised offsets and attention weights stop the
    # level encoding's. Everything else is moved by this batch.
    expected = [n for n, _ in model.named_parameters() if ZERO_AT_INIT.match(n)]
    assert zero == expected


def test_predictions_follow_the_task(tiny_shapes, tmp_path):
    """Each sample of one batch gets its own task's prediction, and only it."""
    cfg = tiny_config(str(M2F64), data_root=tiny_shapes, work_dir=tmp_path, batch_size=4,
                      model=TINY)
    cfg.model.train_cfg = None
    model = MODELS.build(cfg.model).eval()
    batch = first_batch(cfg, 'val')
    tasks = ['instance', 'semantic', 'panoptic', 'instance']  # the first unlike the others
    for sample, task in zip(batch['data_samples'], tasks):
        sample.set_metainfo(dict(task=task))
    with torch.no_grad():
        out = model.test_step(batch)
    assert len(out) == len(tasks)
    for sample, task in zip(out, tasks):
        assert_prediction_format(sample, task, num_classes=12, num_things_classes=7,
                                 max_instances=cfg.model.test_cfg.max_per_image)


def test_one_batch_overfit_halves_the_loss(tiny_shapes, tmp_path):
    cfg = tiny_config(str(M2F64), data_root=tiny_shapes, work_dir=tmp_path, model=TINY)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = first_batch(cfg)
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    history = []
    for _ in range(50):  # ~0.25 of the first loss
        data = model.data_preprocessor(batch, training=True)
        loss = total_loss(model(**data, mode='loss'))
        optim.zero_grad()
        loss.backward()
        optim.step()
        history.append(float(loss))
    assert history[-1] < 0.5 * history[0], history


def test_head_channels_come_from_the_backbone(tiny_shapes, tmp_path):
    cfg = tiny_config(str(M2F['panoptic']), data_root=tiny_shapes, work_dir=tmp_path)
    cfg.model.backbone.depth = 50  # ResNet-50 widths, no config change in the head
    model = MODELS.build(cfg.model)
    convs = model.panoptic_head.pixel_decoder.input_convs
    assert [c.conv.in_channels for c in convs] == [2048, 1024, 512]

