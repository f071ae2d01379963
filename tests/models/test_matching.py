"""The batched match costs and assignment equal mmdet's HungarianAssigner, output by output."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import unibench  # noqa: F401
from unibench.models.losses.matching import batched_cost, hungarian
from unibench.registry import TASK_UTILS

COSTS = [dict(type='ClassificationCost', weight=2.0),
         dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
         dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)]


def assigner(costs=COSTS):
    init_default_scope('unibench')
    return TASK_UTILS.build(dict(type='HungarianAssigner', match_costs=costs))


def case(num_layers=3, counts=(4, 0, 9), queries=10, classes=6, points=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    batch, m_max = len(counts), max(counts)
    cls = torch.randn(num_layers, batch, queries, classes + 1, generator=g)
    pred = 3 * torch.randn(num_layers, batch, queries, points, generator=g)
    gt = torch.rand(num_layers, batch, m_max, points, generator=g).round()
    labels = torch.randint(0, classes, (batch, m_max), generator=g)
    for b, m in enumerate(counts):  # padding is zero, as the criterion builds it
        gt[:, b, m:] = 0
        labels[b, m:] = 0
    return cls, labels, pred, gt, list(counts)


@pytest.mark.parametrize('costs', [COSTS, [dict(type='DiceCost', weight=1.0, naive_dice=False,
                                                pred_act=True, eps=1e-3)]],
                         ids=['mask2former', 'squared-dice'])
def test_costs_and_assignment_equal_mmdet_assigner(costs):
    ref = assigner(costs)
    cls, labels, pred, gt, counts = case()
    cost = sum(batched_cost(c, cls, labels, pred, gt) for c in ref.match_costs)
    matches = hungarian(cost, counts)
    for layer in range(cls.shape[0]):
        for b, m in enumerate(counts):
            preds = InstanceData(scores=cls[layer, b], masks=pred[layer, b])
            gts = InstanceData(labels=labels[b, :m], masks=gt[layer, b, :m])
            expected = sum(c(pred_instances=preds, gt_instances=gts) for c in ref.match_costs)
            assert torch.allclose(cost[layer, b, :, :m], expected, atol=1e-5, rtol=1e-5)
            result = ref.assign(pred_instances=preds, gt_instances=gts)
            rows = torch.nonzero(result.gt_inds > 0, as_tuple=True)[0]
            got_rows, got_cols = matches[layer][b]
            assert torch.equal(got_rows, rows) and torch.equal(got_cols, result.gt_inds[rows] - 1)
    assert [len(r) for r, _ in matches[0]] == [4, 0, 9]


def test_non_finite_cost_names_the_output_and_image():
    cls, labels, pred, gt, counts = case()
    pred[1, 2, 3, 5] = float('nan')
    cost = sum(batched_cost(c, cls, labels, pred, gt) for c in assigner().match_costs)
    with pytest.raises(FloatingPointError, match='output 1, image 2'):
        hungarian(cost, counts)


def test_unsupported_cost_is_an_error_naming_it():
    cls, labels, pred, gt, _ = case()
    focal = assigner([dict(type='FocalLossCost', weight=1.0)]).match_costs[0]
    with pytest.raises(TypeError, match='FocalLossCost'):
        batched_cost(focal, cls, labels, pred, gt)
