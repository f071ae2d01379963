"""Gated-SCNN parts: gated conv, boundary targets, Canny input, dual-task loss terms."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from unibench.models.heads.gscnn_head import GatedSpatialConv2d, GSCNNHead
from unibench.models.layers.boundary import (
    boundary_targets,
    canny_edges,
    disc_offsets,
    gradient_magnitude,
)
from unibench.models.losses.gscnn_loss import GSCNNLoss, balanced_bce


def test_gate_shapes_and_range():
    torch.manual_seed(0)
    gate = GatedSpatialConv2d(8)
    shape, regular = torch.randn(2, 8, 12, 10) * 5, torch.randn(2, 1, 12, 10) * 5
    alpha = gate.gate(shape, regular).detach()
    assert alpha.shape == (2, 1, 12, 10)
    assert float(alpha.min()) >= 0 and float(alpha.max()) <= 1
    out = gate(shape, regular)
    assert out.shape == (2, 8, 12, 10)
    # Eq. 2: a 1x1 conv (no bias) of the features scaled by (1 + alpha).
    assert torch.allclose(out, F.conv2d(shape * (1 + alpha), gate.conv.weight), atol=1e-5)


def test_gate_attention_follows_the_regular_stream():
    gate = GatedSpatialConv2d(4).eval()
    shape = torch.zeros(1, 4, 6, 6)
    low, high = gate.gate(shape, torch.full((1, 1, 6, 6), -3.0)), gate.gate(
        shape, torch.full((1, 1, 6, 6), 3.0))
    assert not torch.allclose(low, high)  # the attention depends on the regular-stream map


def test_head_outputs_and_widths():
    head = GSCNNHead(in_channels=[64, 128, 256, 512], num_classes=5, channels=32,
                     dilations=(1, 2, 3))
    feats = [torch.randn(2, c, s, s) for c, s in zip([64, 128, 256, 512], [8, 4, 4, 4])]
    seg, edge = head(feats, torch.zeros(2, 1, 32, 32))
    assert seg.shape == (2, 5, 32, 32) and edge.shape == (2, 1, 32, 32)
    assert isinstance(head.shape_in, torch.nn.Identity)  # ResNet-18 r1 is already 64 wide
    wide = GSCNNHead(in_channels=[256, 512, 1024, 2048], num_classes=5)
    assert wide.shape_in.in_channels == 256 and wide.shape_in.out_channels == 64
    with pytest.raises(ValueError, match='four regular-stream levels'):
        GSCNNHead(in_channels=[64, 128, 256], num_classes=5)


def test_boundary_targets_on_a_constructed_label_map():
    labels = torch.zeros(1, 6, 8, dtype=torch.long)
    labels[:, :, 4:] = 1
    one = boundary_targets(labels, radius=1)[0]
    expected = torch.zeros(6, 8)
    expected[:, 3:5] = 1
    assert torch.equal(one, expected)  # the frame is no boundary
    two = boundary_targets(labels, radius=2)[0]
    expected[:, 2:6] = 1
    assert torch.equal(two, expected)


def test_boundary_targets_use_a_euclidean_disc_and_skip_void():
    labels = torch.zeros(1, 7, 7, dtype=torch.long)
    labels[0, 3, 3] = 2
    edges = boundary_targets(labels, radius=1)[0]
    expected = torch.zeros(7, 7)
    expected[3, 2:5] = 1
    expected[2:5, 3] = 1  # 4-neighbours only: the diagonal is at distance sqrt(2) > 1
    assert torch.equal(edges, expected)
    assert len(disc_offsets(2)) == 12  # 13-pixel disc minus the centre

    labels = torch.zeros(1, 4, 6, dtype=torch.long)
    labels[:, :, 3:] = 255  # void: unknown class, not a boundary of its neighbours
    edges = boundary_targets(labels, radius=1)[0]
    assert torch.equal(edges[:, :3], torch.zeros(4, 3))
    assert bool((edges[:, 3:] == 255).all())


def test_canny_edges_of_a_step_image():
    image = torch.zeros(1, 3, 16, 16)
    image[..., 8:] = 200.0
    edges = canny_edges(image)
    assert edges.shape == (1, 1, 16, 16)
    assert set(edges.unique().tolist()) == {0.0, 1.0}
    cols = edges[0, 0].sum(0).nonzero().flatten().tolist()
    assert cols and all(6 <= c <= 9 for c in cols)


def test_gradient_magnitude_marks_only_the_step():
    flat = torch.ones(1, 1, 12, 12)
    assert not gradient_magnitude(flat)[1].any()
    step = torch.zeros(1, 1, 12, 20)
    step[..., 10:] = 1
    mag, on = gradient_magnitude(step, smooth_radius=2)
    cols = on[0, 0].any(0).nonzero().flatten()
    # triangle radius 2 spreads the step over columns 8-11; the central difference adds one
    assert int(cols.min()) == 7 and int(cols.max()) == 12
    assert float(mag.max()) == pytest.approx(1.0)


def test_balanced_bce_weights():
    logits = torch.zeros(1, 2, 2)
    targets = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    # positives weigh #neg / #all = 3/4, negatives 1/4; BCE(0) = ln 2; mean over 4 pixels
    expected = (0.75 * math.log(2) + 3 * 0.25 * math.log(2)) / 4
    assert float(balanced_bce(logits, targets)) == pytest.approx(expected)
    targets[0, 1, 1] = 255  # ignored: weight 0, and no longer counted as a negative
    expected = (2 / 3 * math.log(2) + 2 * 1 / 3 * math.log(2)) / 4
    assert float(balanced_bce(logits, targets)) == pytest.approx(expected)


def test_image_weighted_cross_entropy():
    loss = GSCNNLoss(num_classes=3)
    labels = torch.tensor([[[0, 0], [0, 1]]])
    logits = torch.zeros(1, 3, 2, 2)
    logits[0, 0, 0, 0] = 2.0
    per_pixel = F.cross_entropy(logits, labels, reduction='none')[0].flatten()
    # class shares 3/4 and 1/4 -> weights 1 + (1 - 3/4) and 1 + (1 - 1/4)
    w = torch.tensor([1.25, 1.25, 1.25, 1.75])
    expected = float((w * per_pixel).sum() / w.sum())
    assert float(loss.image_weighted_ce(logits, labels)) == pytest.approx(expected, rel=1e-6)
    empty = torch.full_like(labels, 255)
    assert float(loss.image_weighted_ce(logits, empty)) == 0.0  # no NaN without valid pixels


def test_attention_loss_applies_only_on_confident_boundaries():
    loss = GSCNNLoss(num_classes=3)
    torch.manual_seed(0)
    labels = torch.randint(0, 3, (2, 8, 8))
    seg = torch.randn(2, 3, 8, 8, requires_grad=True)
    quiet = loss(seg, torch.full((2, 1, 8, 8), -10.0), labels)
    assert float(quiet['loss_att']) == 0.0
    loud = loss(seg, torch.full((2, 1, 8, 8), 10.0), labels)
    assert float(loud['loss_att']) == pytest.approx(float(loud['loss_seg']))
    assert set(loud) == {'loss_seg', 'loss_edge', 'loss_att', 'loss_dual'}
    sum(loud.values()).backward()
    assert seg.grad is not None and torch.isfinite(seg.grad).all()


def test_dual_task_loss_is_small_for_a_correct_and_large_for_a_shifted_prediction():
    loss = GSCNNLoss(num_classes=2)
    labels = torch.zeros(1, 16, 16, dtype=torch.long)
    labels[:, :, 8:] = 1
    one_hot = F.one_hot(labels, 2).permute(0, 3, 1, 2).float()
    torch.manual_seed(0)
    right = float(loss.dual_task(100 * one_hot, labels))
    shifted = float(loss.dual_task(100 * one_hot.roll(4, dims=3), labels))
    assert right < 1e-3 < 0.05 < shifted


def test_boundary_radius_matches_the_release_on_interior_boundaries():
    """Cross-check with the release's distance-transform definition (away from the frame)."""
    from scipy.ndimage import distance_transform_edt

    rng = np.random.default_rng(0)
    labels = np.kron(rng.integers(0, 3, (4, 4)), np.ones((6, 6), dtype=np.int64))
    ours = boundary_targets(torch.from_numpy(labels)[None], radius=2)[0].numpy()
    release = np.zeros(labels.shape, bool)
    for c in range(3):
        mask = (labels == c).astype(float)
        dist = distance_transform_edt(mask) + distance_transform_edt(1 - mask)
        release |= (dist > 0) & (dist <= 2)
    inner = (slice(2, -2), slice(2, -2))  # the release also marks the image frame
    assert np.array_equal(ours[inner] == 1, release[inner])
