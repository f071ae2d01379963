"""Mask2Former (the shared decoder and criterion) for each task on the shapes configs."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from unibench.registry import DATASETS, MODELS
from unibench.testing import (assert_every_parameter_has_a_gradient, assert_prediction_format,
                              first_batch, tiny_config, total_loss)

REPO = Path(__file__).resolve().parents[2]
# The query-based models' shapes configs (specialists and the painter have their own tests).
CONFIGS = sorted(p for family in ('mask2former', 'oneformer')
                 for p in (REPO / 'configs' / family).glob('*_shapes*.py'))
M2F = {p.stem.rsplit('-', 1)[-1]: p for p in CONFIGS if p.parent.name == 'mask2former'}


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
    assert_every_parameter_has_a_gradient(model)


@pytest.mark.parametrize('task,field', [('panoptic', 'pred_panoptic_seg'),
                                        ('instance', 'pred_instances'),
                                        ('semantic', 'pred_sem_seg')])
def test_predictions_follow_the_task(task, field, tiny_shapes, tmp_path):
    cfg = tiny_config(str(M2F['panoptic']), data_root=tiny_shapes, work_dir=tmp_path)
    cfg.model.train_cfg = None
    model = MODELS.build(cfg.model).eval()
    batch = first_batch(cfg, 'val')
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(task=task))
    with torch.no_grad():
        out = model.test_step(batch)
    for sample in out:
        assert_prediction_format(sample, task, num_classes=12, num_things_classes=7)


def test_one_batch_overfit_halves_the_loss(tiny_shapes, tmp_path):
    cfg = tiny_config(str(M2F['panoptic']), data_root=tiny_shapes, work_dir=tmp_path)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = first_batch(cfg)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    first = last = None
    for _ in range(30):
        data = model.data_preprocessor(batch, training=True)
        loss = sum(v for k, v in model(**data, mode='loss').items() if 'loss' in k)
        optim.zero_grad()
        loss.backward()
        optim.step()
        first = first if first is not None else float(loss)
        last = float(loss)
    assert last < 0.5 * first, (first, last)


def test_head_channels_come_from_the_backbone(tiny_shapes, tmp_path):
    cfg = tiny_config(str(M2F['panoptic']), data_root=tiny_shapes, work_dir=tmp_path)
    cfg.model.backbone.depth = 50  # ResNet-50 widths, no config change in the head
    model = MODELS.build(cfg.model)
    convs = model.panoptic_head.pixel_decoder.input_convs
    assert [c.conv.in_channels for c in convs] == [2048, 1024, 512]

