"""Semantic specialists (PSPNet, DANet, FastFCN via mmseg; Gated-SCNN): configs, training
targets, predictions and tools/train.py -> tools/test.py --task semantic."""
import re
from pathlib import Path

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData, PixelData

from unibench.datasets import ShapesPanopticDataset
from unibench.models.segmentors.semantic import semantic_label_map
from unibench.registry import MODELS
from unibench.testing import (
    TINY_MODELS,
    assert_every_parameter_has_a_gradient,
    assert_prediction_format,
    first_batch,
    tiny_config,
    total_loss,
)
from unibench.testing.processes import run_tool

REPO = Path(__file__).resolve().parents[2]
FAMILIES = ('pspnet', 'danet', 'fastfcn', 'gscnn')
CONFIGS = sorted(p for f in FAMILIES for p in (REPO / 'configs' / f).glob('*.py'))
CONFIGS += sorted((REPO / 'configs' / 'pssl').glob('pspnet_*.py'))
SMALL = [p for p in CONFIGS if p.stem.endswith('_shapes')]
# The parameters whose gradient is exactly zero at step 0, by construction: the residual branches
# before each block's zero-initialised last BN (zero_init_residual), and DANet's position
# attention behind its zero-initialised scale (mmseg PAM's gamma). Every other one moves.
ZERO_AT_INIT = re.compile(r'backbone\.layer\d\.\d\.(conv1|bn1|conv2)\.|'
                          r'decode_head\.pam\.(key|query|value)_project\.')


def test_every_family_has_a_small_and_two_paper_configs():
    for family in FAMILIES:
        names = [p.stem for p in CONFIGS if p.parent.name == family]
        assert any(n.endswith('_shapes') for n in names), family
        assert any(n.endswith('_ade20k') for n in names), family
        assert any(n.endswith('_cityscapes') for n in names), family


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_config_builds_training_and_inference_models(path):
    cfg = Config.fromfile(str(path))
    model = MODELS.build(cfg.model)
    cfg.model.train_cfg = None
    inference = MODELS.build(cfg.model)
    total = sum(p.numel() for p in model.parameters())
    assert inference.num_parameters() == sum(p.numel() for p in inference.parameters())
    if cfg.model.get('auxiliary_head'):  # deep supervision is not part of the inference model
        assert not inference.with_auxiliary_head
        assert model.num_parameters(inference=True) == inference.num_parameters() < total
    num_classes = cfg.num_things_classes + cfg.num_stuff_classes
    if path.parent.name == 'pssl':
        num_classes = cfg.num_things_classes + 1
    assert (model.num_classes if hasattr(model, 'head') else model.decode_head.num_classes) \
        == num_classes


def test_head_channels_come_from_the_backbone():
    cfg = Config.fromfile(str(REPO / 'configs/pspnet/pspnet_r18-d8_1xb8-3k_shapes.py'))
    model = MODELS.build(cfg.model)
    assert model.decode_head.in_channels == 512 and model.auxiliary_head.in_channels == 256
    cfg.model.backbone.depth = 50  # no head change needed
    model = MODELS.build(cfg.model)
    assert model.decode_head.in_channels == 2048 and model.auxiliary_head.in_channels == 1024
    fastfcn = MODELS.build(Config.fromfile(
        str(REPO / 'configs/fastfcn/fastfcn_r18-d32_jpu_psp_1xb8-3k_shapes.py')).model)
    assert fastfcn.decode_head.in_channels == 4 * 128  # JPU: 4 dilated branches of mid_channels


def test_pssl_pretraining_classes_are_the_shapes_things_and_background():
    cfg = Config.fromfile(str(REPO / 'configs/pssl/pspnet_r18-d8_1xb16-pssl_shapes-crops.py'))
    classes = cfg.train_dataloader.dataset.metainfo.classes
    assert tuple(classes) == (*ShapesPanopticDataset.METAINFO['thing_classes'], 'background')
    assert cfg.model.decode_head.loss_decode.class_weight == [1.0] * 7 + [0.1]


def test_pssl_pretrains_the_network_the_shapes_pspnet_fine_tunes():
    # Both configs state the ResNet-18 and the head widths (the PSSL leaf cannot inherit the
    # shapes leaf within two levels); tools/pssl.py loads one's weights into the other.
    def shapes(path):
        model = MODELS.build(Config.fromfile(str(REPO / path)).model)
        return {k: v.shape for k, v in model.state_dict().items() if 'conv_seg' not in k}

    assert shapes('configs/pssl/pspnet_r18-d8_1xb16-pssl_shapes-crops.py') == shapes(
        'configs/pspnet/pspnet_r18-d8_1xb8-3k_shapes.py')


def test_label_map_from_semantic_instances_and_from_gt_sem_seg():
    masks = torch.zeros(2, 4, 5, dtype=torch.uint8)
    masks[0, :2] = 1
    masks[1, 3, 1:] = 1
    sample = DetDataSample(metainfo=dict(task='semantic'))
    sample.gt_instances = InstanceData(masks=BitmapMasks(masks.numpy(), 4, 5),
                                       labels=torch.tensor([3, 9]))
    expected = torch.full((4, 5), 255)
    expected[:2] = 3
    expected[3, 1:] = 9
    assert torch.equal(semantic_label_map(sample), expected)  # void where no mask
    sample.gt_sem_seg = PixelData(sem_seg=torch.ones(1, 4, 5, dtype=torch.uint8))
    assert torch.equal(semantic_label_map(sample), torch.ones(4, 5, dtype=torch.long))
    instance = DetDataSample(metainfo=dict(task='instance', img_path='x.jpg'))
    instance.gt_instances = sample.gt_instances
    with pytest.raises(KeyError, match='x.jpg.*semantic-task gt_instances'):
        semantic_label_map(instance)


@pytest.mark.parametrize('path', SMALL, ids=lambda p: p.stem)
def test_forward_backward_gives_every_parameter_a_gradient(path, tiny_shapes, tmp_path):
    cfg = tiny_config(str(path), data_root=tiny_shapes, work_dir=tmp_path)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    data = model.data_preprocessor(first_batch(cfg), training=True)
    assert all(s.metainfo['task'] == 'semantic' for s in data['data_samples'])
    total = total_loss(model(**data, mode='loss'))
    assert torch.isfinite(total)
    total.backward()
    zero = assert_every_parameter_has_a_gradient(model)
    assert zero == [n for n, _ in model.named_parameters() if ZERO_AT_INIT.match(n)]


@pytest.mark.parametrize('path', SMALL, ids=lambda p: p.stem)
def test_predictions_are_written_like_the_universal_models(path, tiny_shapes, tmp_path):
    cfg = tiny_config(str(path), data_root=tiny_shapes, work_dir=tmp_path)
    cfg.model.train_cfg = None
    model = MODELS.build(cfg.model).eval()
    batch = first_batch(cfg, 'val')
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(task='semantic'))
    with torch.no_grad():
        out = model.test_step(batch)
    for sample in out:
        assert_prediction_format(sample, 'semantic', num_classes=12, num_things_classes=7)
        pred = sample.pred_sem_seg
        assert pred.seg_logits.shape == (12, *sample.ori_shape)
        assert torch.equal(pred.sem_seg[0], pred.seg_logits.argmax(0))
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(task='panoptic'))
    with pytest.raises(ValueError, match='semantic specialist'):
        model.test_step(batch)


def test_gscnn_one_batch_overfit_lowers_the_loss(tiny_shapes, tmp_path):
    # configs/_base_/models/gscnn_tiny.py on tiny_shapes' own 64 x 64 (the leaf crops 128 x 128).
    cfg = tiny_config(str(REPO / 'configs/gscnn/gscnn_r18-d8_1xb8-3k_shapes.py'),
                      data_root=tiny_shapes, work_dir=tmp_path, model=TINY_MODELS['gscnn'])
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'RandomResize':
            step.scale = (64, 64)
        elif step.type == 'RandomCrop':
            step.crop_size = (64, 64)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = first_batch(cfg)
    assert batch['inputs'][0].shape[-2:] == (64, 64)
    optim = torch.optim.AdamW(model.parameters(), lr=5e-3)
    history = []
    for _ in range(20):  # ~0.5 of the first loss
        data = model.data_preprocessor(batch, training=True)
        losses = model(**data, mode='loss')
        loss = losses['loss_seg'] + losses['loss_edge']
        optim.zero_grad()
        sum(losses.values()).backward()
        optim.step()
        history.append(float(loss.detach()))
    assert history[-1] < 0.7 * history[0], history


@pytest.mark.slow  # 2 tool subprocesses each
@pytest.mark.parametrize('family,config', [
    ('pspnet', 'configs/pspnet/pspnet_r18-d8_1xb8-3k_shapes.py'),
    ('gscnn', 'configs/gscnn/gscnn_r18-d8_1xb8-3k_shapes.py')])
def test_train_then_test_semantic_with_the_tools(family, config, tiny_shapes, tmp_path):
    cfg = tiny_config(str(REPO / config), data_root=tiny_shapes, work_dir='unused')
    path = tmp_path / f'{family}_tiny.py'
    cfg.dump(str(path))
    run_tool('tools/train.py', str(path), '--work-dir', str(tmp_path / 'work'))
    ckpt = tmp_path / 'work' / 'iter_2.pth'
    out = run_tool('tools/test.py', str(path), str(ckpt), '--task', 'semantic', '--work-dir',
              str(tmp_path / 'test'), '--cfg-options', 'log_level=INFO')
    assert re.search(r'^semantic/mIoU: [\d.]+$', out, re.M)
    # The trained weights are what was tested: the checkpoint was loaded, it covered the whole
    # inference model, and the auxiliary head it also holds was dropped.
    assert f'Load checkpoint from {ckpt}' in out
    assert 'missing keys' not in out and 'unexpected key' not in out
