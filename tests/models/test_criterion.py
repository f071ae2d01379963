"""SetCriterion and QueryTextContrastiveLoss on constructed cases with hand-computed values."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import unibench  # noqa: F401
from unibench.registry import MODELS

K = 2  # classes; logits have K + 1 columns


def criterion(**overrides):
    init_default_scope('unibench')
    cfg = dict(
        type='SetCriterion', num_classes=K,
        assigner=dict(type='HungarianAssigner', match_costs=[
            dict(type='ClassificationCost', weight=2.0),
            dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
            dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)]),
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=2.0),
        loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=5.0),
        loss_dice=dict(type='DiceLoss', use_sigmoid=True, activate=True, naive_dice=True,
                       eps=1.0, loss_weight=5.0),
        no_object_weight=0.1, num_points=1024)
    cfg.update(overrides)
    return MODELS.build(cfg)


def squares(size: int = 32) -> torch.Tensor:
    """Two disjoint target masks ``(2, size, size)``."""
    masks = torch.zeros(2, size, size, dtype=torch.bool)
    half = size // 2
    masks[0, :half, :half] = True
    masks[1, half:, size // 4:] = True
    return masks


def test_perfect_prediction_gives_near_zero_losses():
    torch.manual_seed(0)
    gt = squares(512)
    logits = torch.full((1, 3, 512, 512), -10.0)
    logits[0, 2] = torch.where(gt[0], 10.0, -10.0)  # query 2 -> target 0 (class 1)
    logits[0, 0] = torch.where(gt[1], 10.0, -10.0)  # query 0 -> target 1 (class 0)
    cls = torch.full((1, 3, K + 1), -30.0)
    cls[0, 2, 1] = cls[0, 0, 0] = cls[0, 1, K] = 30.0
    gt_instances = InstanceData(labels=torch.tensor([1, 0]), masks=gt)
    # Uniform points: bilinear sampling blurs mask edges (and zero-pads the border) in targets
    # and logits alike, so the points within a pixel of an edge (~1 % at 512 x 512) keep a
    # residue; a random prediction scores about 3.5 on each term.
    crit = criterion(importance_sample_ratio=0.0, num_points=12544)
    losses = crit([cls, cls], [logits, logits], [gt_instances],
                  [dict(batch_input_shape=(512, 512))])
    assert set(losses) == {'d0.loss_cls', 'd0.loss_mask', 'd0.loss_dice', 'loss_cls',
                           'loss_mask', 'loss_dice'}
    assert losses['loss_cls'].item() < 1e-6 and losses['d0.loss_cls'].item() < 1e-6
    assert losses['loss_mask'].item() < 0.04 and losses['loss_dice'].item() < 0.02, losses
    # The same masks swapped between the two targets score far worse.
    swapped = crit([cls], [logits[:, [2, 1, 0]]], [gt_instances],
                   [dict(batch_input_shape=(512, 512))])
    assert swapped['loss_cls'].item() > 10


def test_ce_weights_no_object_by_point_one():
    gt = squares()
    logits = torch.full((1, 3, 32, 32), -10.0)
    logits[0, 1] = torch.where(gt[0], 10.0, -10.0)  # the only good mask: query 1 matches
    cls = torch.tensor([[[0.3, -0.2, 0.1], [0.5, 0.0, -1.0], [-0.4, 0.2, 0.6]]])
    gt_instances = InstanceData(labels=torch.tensor([1]), masks=gt[:1])
    loss = criterion()([cls], [logits], [gt_instances], [{}])['loss_cls']
    ce = -F.log_softmax(cls[0], dim=-1)
    expected = 2.0 * (0.1 * ce[0, K] + 1.0 * ce[1, 1] + 0.1 * ce[2, K]) / (0.1 + 1.0 + 0.1)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_empty_targets_and_unpadded_masks():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 8, 8, requires_grad=True)
    cls = torch.randn(2, 3, K + 1, requires_grad=True)
    empty = InstanceData(labels=torch.zeros(0, dtype=torch.long),
                         masks=torch.zeros(0, 20, 32, dtype=torch.bool))
    one = InstanceData(labels=torch.tensor([0]), masks=squares()[:1, :20])  # unpadded 20 x 32
    metas = [dict(batch_input_shape=(32, 32))] * 2
    losses = criterion()([cls], [logits], [empty, one], metas)
    sum(losses.values()).backward()
    assert all(torch.isfinite(v) for v in losses.values()) and logits.grad is not None
    no_targets = criterion()([cls], [logits], [empty, empty], metas)
    assert no_targets['loss_mask'].item() == 0 and no_targets['loss_dice'].item() == 0
    # All queries are "no object": CE = mean of -log p(no object), times the weight 2.
    expected = 2.0 * -F.log_softmax(cls, dim=-1)[..., K].mean()
    assert no_targets['loss_cls'].item() == pytest.approx(expected.item(), rel=1e-5)


def test_contrastive_loss_hand_computed():
    init_default_scope('unibench')
    loss_fn = MODELS.build(dict(type='QueryTextContrastiveLoss', temperature=0.07,
                                loss_weight=0.5))
    assert loss_fn.logit_scale.item() == pytest.approx(math.log(1 / 0.07))
    # Two images, N = 2 queries of width 2: flattened they are orthonormal-ish 4-vectors.
    image = torch.tensor([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 2.0]]])
    text = torch.tensor([[[3.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [1.0, 1.0]]])
    # Normalised: i0 = e0, i1 = e3, t0 = e0, t1 = (e2 + e3) / sqrt 2.
    c = 1 / math.sqrt(2)
    sims = torch.tensor([[1.0, 0.0], [0.0, c]])  # sims[i, t]
    scale = 1 / 0.07
    loss_img = F.cross_entropy(sims * scale, torch.arange(2))
    loss_txt = F.cross_entropy(sims.t() * scale, torch.arange(2))
    expected = 0.5 * (loss_img + loss_txt)
    assert loss_fn(image, text).item() == pytest.approx(expected.item(), rel=1e-5)
    # exp(logit_scale) is clamped at 100.
    with torch.no_grad():
        loss_fn.logit_scale.fill_(10.0)
    clamped = 0.5 * (F.cross_entropy(sims * 100, torch.arange(2)) +
                     F.cross_entropy(sims.t() * 100, torch.arange(2)))
    assert loss_fn(image, text).item() == pytest.approx(clamped.item(), rel=1e-5)


def test_criterion_adds_contrastive_once():
    crit = criterion(loss_contrastive=dict(type='QueryTextContrastiveLoss'))
    logits = torch.randn(2, 3, 8, 8)
    cls = torch.randn(2, 3, K + 1)
    gts = [InstanceData(labels=torch.tensor([0]), masks=squares()[:1])] * 2
    queries = torch.randn(2, 3, 4)
    losses = crit([cls] * 3, [logits] * 3, gts, [{}, {}], image_queries=queries,
                  text_queries=queries)
    assert [k for k in losses if 'contrastive' in k] == ['loss_contrastive']
    assert len(losses) == 3 * 3 + 1
