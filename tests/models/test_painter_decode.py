"""Decoding paintings: palette round trips, instance colours, panoptic merge."""
import numpy as np
import torch
from mmengine.structures import InstanceData

from unibench.models.postprocess.painter_decode import (
    decode_instances,
    decode_semantic,
    merge_panoptic,
)
from unibench.structures.painter import (
    instance_map,
    location_colors,
    location_palette,
    paint,
    semantic_palette,
)

H = W = 24
NUM_THINGS, NUM_CLASSES = 3, 6


def as_painting(rgb: np.ndarray, noise: float = 0.0, seed: int = 0) -> torch.Tensor:
    x = torch.from_numpy(rgb.astype(np.float32)).permute(2, 0, 1)
    if noise:
        x = x + noise * torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))
    return x.clamp(0, 255)


def label_scene() -> np.ndarray:
    labels = np.zeros((H, W), np.int64) + 3
    labels[:, 12:] = 4
    labels[18:] = 5
    labels[2:8, 2:8] = 0
    labels[2:8, 14:20] = 0
    labels[10:16, 4:10] = 2
    return labels


def test_semantic_decoding_round_trips_a_coloured_label_map():
    palette = semantic_palette(NUM_CLASSES)
    labels = label_scene()
    painting = as_painting(paint(labels, dict(enumerate(palette))), noise=8.0)
    pred, dist = decode_semantic(painting, torch.from_numpy(palette).float())
    assert pred.sem_seg.shape == (1, H, W) and dist.shape == (NUM_CLASSES, H, W)
    assert torch.equal(pred.sem_seg[0], torch.from_numpy(labels))


def instances_scene():
    masks = np.zeros((3, H, W), bool)
    masks[0, 2:8, 2:8] = True
    masks[1, 2:8, 14:20] = True
    masks[2, 10:16, 4:10] = True
    return masks, np.array([0, 0, 2])


def test_instance_decoding_round_trips_location_colours():
    loc = location_palette(2, 4)
    masks, labels = instances_scene()
    colours = location_colors(masks, loc)
    assert len({tuple(c) for c in colours}) == 3  # distinct cells
    painting = as_painting(paint(instance_map(masks, (H, W)), dict(enumerate(colours))),
                           noise=5.0)
    palette = semantic_palette(NUM_CLASSES)
    _, sem_dist = decode_semantic(as_painting(paint(label_scene(), dict(enumerate(palette)))),
                                  torch.from_numpy(palette).float())
    out = decode_instances(painting, torch.from_numpy(loc).float(), sem_dist,
                           num_things_classes=NUM_THINGS, dist_thr=19.0)
    assert out.masks.dtype == torch.bool and len(out) >= 3
    # Noise puts a few pixels within dist_thr of neighbouring colours: those fragments (which
    # matrix NMS keeps, with decayed scores) rank below the three instances.
    top = out[out.scores.argsort(descending=True)[:3]]
    got = {tuple(m.nonzero()[0].tolist()): int(lab) for m, lab in zip(top.masks, top.labels)}
    want = {tuple(torch.from_numpy(m).nonzero()[0].tolist()): int(lab)
            for m, lab in zip(masks, labels)}
    assert got == want
    for m in top.masks:  # exactly the instances (the black background is no instance)
        assert any(torch.equal(m, torch.from_numpy(t)) for t in masks)
    assert all(int(m.sum()) < 10 for m in out.masks[3:])
    assert out.bboxes.shape == (len(out), 4)
    assert bool(((out.scores >= 0) & (out.scores <= 1)).all())
    clean = decode_instances(as_painting(paint(instance_map(masks, (H, W)),
                                               dict(enumerate(colours)))),
                             torch.from_numpy(loc).float(), sem_dist,
                             num_things_classes=NUM_THINGS, dist_thr=19.0)
    assert len(clean) == 3  # without noise, exactly the three instances


def test_instance_background_threshold():
    loc = location_palette(2, 4)
    colour = loc[5].astype(np.float32)
    painting = torch.zeros(3, H, W)
    painting[:, :4, :4] = torch.from_numpy(colour)[:, None, None]
    painting[:, 10:14, 10:14] = torch.from_numpy(colour - 30)[:, None, None]  # 30 > dist_thr
    sem_dist = torch.ones(NUM_CLASSES, H, W)
    out = decode_instances(painting, torch.from_numpy(loc).float(), sem_dist,
                           num_things_classes=NUM_THINGS, dist_thr=19.0)
    assert len(out) == 1 and int(out.masks[0].sum()) == 16
    loose = decode_instances(painting, torch.from_numpy(loc).float(), sem_dist,
                             num_things_classes=NUM_THINGS, dist_thr=31.0)
    assert int(loose.masks[0].sum()) == 32
    black = decode_instances(torch.zeros(3, H, W), torch.from_numpy(loc).float(), sem_dist,
                             num_things_classes=NUM_THINGS)
    # Nothing painted: one empty zero-score instance, as Painter's evaluator (AP 0, not none).
    assert len(black) == 1 and not black.masks.any() and float(black.scores[0]) == 0.0


def test_panoptic_merge_of_instances_and_stuff():
    sem = torch.from_numpy(label_scene())
    masks, labels = instances_scene()
    inst = InstanceData(masks=torch.from_numpy(masks), labels=torch.from_numpy(labels),
                        scores=torch.tensor([0.9, 0.8, 0.7]))
    pan = merge_panoptic(sem, inst, num_things_classes=NUM_THINGS, num_classes=NUM_CLASSES,
                         stuff_min_area=10)
    ids = pan.sem_seg[0]
    assert ids[4, 4] == 0 + 1 * 1000 and ids[4, 16] == 0 + 2 * 1000
    assert ids[12, 6] == 2 + 3 * 1000
    assert ids[0, 0] == 3 and ids[0, 23] == 4 and ids[23, 0] == 5
    # An instance mostly covered by a better one is dropped; a small stuff region is void.
    dup = InstanceData(masks=torch.from_numpy(np.stack([masks[0], masks[0]])),
                       labels=torch.tensor([0, 1]), scores=torch.tensor([0.9, 0.8]))
    sem2 = sem.clone()
    sem2[20:22, 20:22] = 3  # a 4-pixel island of stuff 3 inside stuff 5
    pan2 = merge_panoptic(sem2, dup, num_things_classes=NUM_THINGS, num_classes=NUM_CLASSES,
                          stuff_min_area=10)
    ids2 = pan2.sem_seg[0]
    assert set((ids2[ids2 >= 1000] // 1000).unique().tolist()) == {1}
    assert (ids2[20:22, 20:22] == 3).all()  # stuff 3 as a whole is large: kept
    # Thing pixels of the semantic map without an instance are void.
    assert ids2[12, 6] == NUM_CLASSES
