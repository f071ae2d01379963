"""TimmBackbone: channels and strides from timm's feature_info match the real outputs."""
import pytest
import torch
from mmengine.config import Config

from unibench.models.backbones.timm_backbone import TimmBackbone
from unibench.models.segmentors.mask2former import feature_shapes
from unibench.registry import MODELS
from unibench.testing import TINY_MODELS


@pytest.mark.parametrize('name', ['test_convnext', 'test_resnet', 'test_efficientnet'])
def test_declared_shapes_match_the_outputs(name):
    backbone = MODELS.build(dict(type='TimmBackbone', model_name=name))
    feats = backbone(torch.zeros(2, 3, 128, 128))
    assert len(feats) == 4 and backbone.strides == [4, 8, 16, 32]
    for f, c, s in zip(feats, backbone.channels, backbone.strides):
        assert f.shape == (2, c, 128 // s, 128 // s) and f.dtype == torch.float32


def test_segmentors_read_the_declared_shapes_without_a_probe(monkeypatch):
    def probe(self, x):
        raise AssertionError('the backbone was probed')

    monkeypatch.setattr(TimmBackbone, 'forward', probe)  # any forward pass fails the test
    backbone = MODELS.build(dict(type='TimmBackbone', model_name='test_convnext'))
    assert feature_shapes(backbone) == (backbone.channels, backbone.strides)
    # A segmentor built on it sizes its head from the declared channels, without a forward.
    cfg = Config.fromfile(str(TINY_MODELS['mask2former'])).model
    cfg.backbone = dict(type='TimmBackbone', model_name='test_convnext')
    cfg.panoptic_head.update(num_things_classes=3, num_stuff_classes=2)
    model = MODELS.build(cfg)
    convs = model.panoptic_head.pixel_decoder.input_convs  # 1/32, 1/16, 1/8
    assert [c.conv.in_channels for c in convs] == backbone.channels[:0:-1]


def test_mmdet_backbones_are_probed():
    backbone = MODELS.build(dict(type='mmdet.ResNet', depth=18, out_indices=(0, 1, 2, 3)))
    assert feature_shapes(backbone) == ([64, 128, 256, 512], [4, 8, 16, 32])


def test_a_missing_local_checkpoint_is_named():
    with pytest.raises(FileNotFoundError, match='checkpoint file not found: /no/such.pth'):
        MODELS.build(dict(type='TimmBackbone', model_name='test_convnext',
                          init_cfg=dict(type='Pretrained', checkpoint='/no/such.pth')))


def test_a_local_checkpoint_is_loaded(tmp_path):
    source = MODELS.build(dict(type='TimmBackbone', model_name='test_convnext'))
    path = tmp_path / 'w.pth'
    torch.save(source.model.state_dict(), path)
    target = MODELS.build(dict(type='TimmBackbone', model_name='test_convnext',
                               init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    target.init_weights()
    for (k, a), b in zip(source.model.state_dict().items(), target.model.state_dict().values()):
        assert torch.equal(a, b), k
