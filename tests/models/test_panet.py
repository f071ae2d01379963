"""PANet: adaptive feature pooling, the fused box and mask heads, the configs end to end."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmengine.config import Config
from torch import nn

from unibench.models.roi_heads.level_fusion import LevelMaxFusion
from unibench.registry import MODELS
from unibench.testing import (
    assert_every_parameter_has_a_gradient,
    first_batch,
    tiny_config,
    total_loss,
)

REPO = Path(__file__).resolve().parents[2]
SHAPES = REPO / 'configs/panet/panet_r18_fpn_1xb8-3k_shapes-instance.py'
COCO = REPO / 'configs/panet/panet_r50_fpn_8xb2-2x_coco-instance.py'
STRIDES = [4, 8, 16, 32]


def extractor(kind: str, size: int = 7) -> nn.Module:
    return MODELS.build(dict(type=kind, out_channels=3, featmap_strides=STRIDES,
                             roi_layer=dict(type='RoIAlign', output_size=size, sampling_ratio=2)))


def pyramid(fill=None, side: int = 256) -> list:
    torch.manual_seed(0)
    return [torch.full((2, 3, side // s, side // s), float(fill[i])) if fill else
            torch.randn(2, 3, side // s, side // s) for i, s in enumerate(STRIDES)]


# FPN's level rule (mmdet map_roi_levels): floor(log2(sqrt(area) / 56)), clamped to 0..3.
ROIS = torch.tensor([[0, 8.0, 8.0, 20.0, 20.0],  # side 12: P2
                     [1, 10.0, 10.0, 150.0, 150.0],  # side 140: P3
                     [0, 16.0, 24.0, 250.0, 250.0]])  # side 230: P4


def test_adaptive_pooling_pools_every_roi_on_every_level():
    out = extractor('AdaptiveRoIExtractor')(pyramid(fill=[1, 2, 3, 4]), ROIS)
    assert out.shape == (3, 4, 3, 7, 7)
    # RoIAlign of a constant map is that constant: level l's grid comes from level l.
    for level in range(4):
        assert torch.allclose(out[:, level], torch.full((3, 3, 7, 7), float(level + 1)))


def test_adaptive_pooling_matches_fpn_pooling_on_the_roi_level():
    feats = pyramid()
    ours = extractor('AdaptiveRoIExtractor')(feats, ROIS)
    single = extractor('mmdet.SingleRoIExtractor')
    levels = single.map_roi_levels(ROIS, 4)
    assert levels.tolist() == [0, 1, 2]
    assert torch.equal(ours[torch.arange(3), levels], single(feats, ROIS))
    with pytest.raises(ValueError, match='has 4 levels'):
        extractor('AdaptiveRoIExtractor')(feats[:3], ROIS)


def test_level_max_fusion_takes_the_elementwise_max_of_each_levels_layer():
    layers = [nn.Linear(5, 4) for _ in range(3)]
    x = torch.randn(6, 3, 5, requires_grad=True)
    fused = LevelMaxFusion(layers)(x)
    expected = torch.stack([layer(x[:, i]) for i, layer in enumerate(layers)]).amax(0)
    assert torch.equal(fused, expected)
    fused.sum().backward()
    assert all(layer.weight.grad is not None for layer in layers)
    with pytest.raises(ValueError, match=r'expects \(N, 3, \.\.\.\)'):
        LevelMaxFusion(layers)(torch.randn(6, 2, 5))


def box_head(**kwargs) -> nn.Module:
    head = MODELS.build(dict(type='PANetBBoxHead', num_levels=4, in_channels=8, roi_feat_size=7,
                             fc_out_channels=16, num_classes=3, **kwargs))
    head.init_weights()
    return head


def test_box_head_fuses_one_fc6_per_level_then_runs_mmdets_head():
    head = box_head(num_shared_fcs=2)
    x = torch.randn(5, 4, 8, 7, 7)
    cls_score, bbox_pred = head(x)
    assert cls_score.shape == (5, 4) and bbox_pred.shape == (5, 12)
    fc6 = head.shared_fcs[0][1].levels
    assert len(fc6) == 4 and fc6[0].in_features == 8 * 49
    assert not torch.equal(fc6[0].weight, fc6[1].weight)  # each level its own initialisation
    fused = torch.stack([F.relu(fc(x[:, i].flatten(1))) for i, fc in enumerate(fc6)]).amax(0)
    assert torch.allclose(cls_score, head.fc_cls(F.relu(head.shared_fcs[1](fused))), atol=1e-6)


def test_box_head_with_convs_fuses_the_first_conv():
    head = box_head(num_shared_convs=2, num_shared_fcs=1, conv_out_channels=8,
                    norm_cfg=dict(type='GN', num_groups=4))
    assert isinstance(head.shared_convs[0], LevelMaxFusion) and len(head.shared_convs) == 2
    cls_score, bbox_pred = head(torch.randn(5, 4, 8, 7, 7))
    assert cls_score.shape == (5, 4) and bbox_pred.shape == (5, 12)
    with pytest.raises(ValueError, match='num_shared_convs or num_shared_fcs'):
        box_head(num_shared_fcs=0, num_cls_fcs=1, num_reg_fcs=1)


def mask_head(**kwargs) -> nn.Module:
    head = MODELS.build(dict(type='PANetMaskHead', num_levels=4, in_channels=8,
                             conv_out_channels=8, roi_feat_size=14, num_classes=3, **kwargs))
    head.init_weights()
    return head


def test_mask_head_adds_the_class_agnostic_fc_mask_to_the_fcn_logits():
    head = mask_head()
    x = torch.randn(5, 4, 8, 14, 14)
    out = head(x)
    assert out.shape == (5, 3, 28, 28)
    assert len(head.level_convs.levels) == 4 and len(head.pre_convs) == 2 and len(head.convs) == 1
    assert head.fc_convs[1].conv.out_channels == 4  # conv5_fc halves the channels
    assert (head.fc_mask.in_features, head.fc_mask.out_features) == (4 * 14 * 14, 28 * 28)
    trunk = head.pre_convs(head.level_convs(x))
    fcn = FCNMaskHead.forward(head, trunk)
    fc = F.relu(head.fc_mask(head.fc_convs(trunk).flatten(1))).view(5, 1, 28, 28)
    assert torch.allclose(out, fcn + fc, atol=1e-6)
    assert torch.allclose(out - fcn, (out - fcn)[:, :1].expand_as(out), atol=1e-6)


def test_mask_head_without_the_fc_branch_is_the_adaptive_fcn_head():
    head = mask_head(fused_fc=False)
    assert not hasattr(head, 'fc_mask')
    x = torch.randn(2, 4, 8, 14, 14)
    assert torch.equal(head(x), FCNMaskHead.forward(head, head.pre_convs(head.level_convs(x))))
    with pytest.raises(ValueError, match='num_convs >= 3'):
        mask_head(num_convs=2)


def test_shapes_config_trains_every_parameter(tiny_shapes, tmp_path):
    cfg = tiny_config(str(SHAPES), data_root=tiny_shapes, work_dir=tmp_path)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    assert model.neck.lateral_convs[0].conv.in_channels == 64  # from the ResNet-18
    data = model.data_preprocessor(first_batch(cfg), training=True)
    assert all(s.metainfo['task'] == 'instance' for s in data['data_samples'])
    assert all(int(s.gt_instances.labels.max()) < 7 for s in data['data_samples']
               if len(s.gt_instances))
    losses = model(**data, mode='loss')
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'} <= set(losses)
    total = total_loss(losses)  # the RPN's losses are per level (lists)
    assert torch.isfinite(total)
    total.backward()
    assert_every_parameter_has_a_gradient(model)


def test_shapes_model_predicts_instances_only(tiny_shapes, tmp_path):
    cfg = tiny_config(str(SHAPES), data_root=tiny_shapes, work_dir=tmp_path)
    cfg.model.train_cfg = None
    model = MODELS.build(cfg.model).eval()
    assert list(cfg.test_evaluator.metrics) == ['instance']
    batch = first_batch(cfg, 'val')
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(task='instance'))
    with torch.no_grad():
        out = model.test_step(batch)
    for sample in out:
        inst = sample.pred_instances
        assert inst.masks.shape[1:] == sample.ori_shape and inst.masks.dtype == torch.bool
        assert len(inst.scores) == len(inst.labels) == len(inst.bboxes) <= 100
        assert bool((inst.labels < 7).all())
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(task='panoptic'))
    with pytest.raises(ValueError, match="cannot answer task 'panoptic'"):
        model.test_step(batch)


def test_coco_config_builds_the_paper_model():
    cfg = Config.fromfile(str(COCO))
    model = MODELS.build(cfg.model)
    assert model.neck.lateral_convs[0].conv.in_channels == 256  # ResNet-50 res2
    assert type(model.neck).__name__ == 'PAFPN' and len(model.neck.downsample_convs) == 3
    assert model.roi_head.bbox_head.num_shared_convs == 4
    assert isinstance(model.roi_head.bbox_head.shared_convs[0], LevelMaxFusion)
    assert model.roi_head.mask_head.fc_mask.out_features == 28 * 28
    assert cfg.train_cfg.max_iters == 180000 and cfg.optim_wrapper.optimizer.lr == 0.02
    assert list(cfg.test_evaluator.metrics) == ['instance']
