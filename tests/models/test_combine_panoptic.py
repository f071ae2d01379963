"""The semantic + instance combination heuristic on constructed predictions (exact output)."""
import pytest
import torch

from unibench.models.postprocess.combine_panoptic import combine_semantic_and_instances

VOID = 12  # 7 thing + 5 stuff classes
CFG = dict(num_things_classes=7, num_classes=VOID, score_thr=0.5, overlap_thr=0.5, stuff_area=3)


def box_mask(rows: slice, cols: slice, size: int = 6) -> torch.Tensor:
    mask = torch.zeros(size, size, dtype=torch.bool)
    mask[rows, cols] = True
    return mask


def test_instances_by_score_then_stuff_on_unclaimed_pixels():
    sem = torch.full((6, 6), 7)
    sem[3:] = 8
    sem[5, 4:] = 9  # 2 px of stuff: below stuff_area, stays void
    sem[0, :2] = 2  # a thing class in the semantic map: only instances claim things
    masks = torch.stack([
        box_mask(slice(1, 3), slice(1, 4)),  # A: 0.9, label 1, 6 px
        box_mask(slice(2, 4), slice(3, 5)),  # B: 0.8, 1 of 4 px under A: keeps the other 3
        box_mask(slice(1, 3), slice(2, 4)),  # C: 0.7, all 4 px under A: dropped
        torch.zeros(6, 6, dtype=torch.bool),  # D: 0.6, empty: skipped
        box_mask(slice(4, 6), slice(0, 1)),  # E: 0.4, below score_thr
    ])
    labels = torch.tensor([1, 3, 4, 5, 6])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.4])
    order = torch.tensor([3, 0, 4, 2, 1])  # the input order does not matter, the scores do
    panoptic = combine_semantic_and_instances(sem, masks[order], labels[order], scores[order],
                                              **CFG)
    a, b = 1 + 1000, 3 + 2 * 1000  # label + k * INSTANCE_OFFSET, k-th kept instance
    expected = torch.tensor([
        [VOID, VOID, 7, 7, 7, 7],
        [7, a, a, a, 7, 7],
        [7, a, a, a, b, 7],
        [8, 8, 8, b, b, 8],
        [8, 8, 8, 8, 8, 8],
        [8, 8, 8, 8, VOID, VOID],
    ], dtype=torch.int32)
    assert panoptic.dtype == torch.int32
    assert torch.equal(panoptic, expected)


def test_overlap_at_the_threshold_is_kept_and_above_it_dropped():
    sem = torch.full((6, 6), 7)
    first = box_mask(slice(0, 2), slice(0, 2))  # 4 px
    half = box_mask(slice(0, 2), slice(1, 3))  # 2 of 4 px claimed: 0.5, not above 0.5
    three_quarters = box_mask(slice(0, 2), slice(0, 2)) | box_mask(slice(2, 3), slice(0, 1))
    out = combine_semantic_and_instances(
        sem, torch.stack([first, half]), torch.tensor([0, 0]), torch.tensor([0.9, 0.8]), **CFG)
    assert (out == 2000).sum() == 2 and (out == 1000).sum() == 4
    out = combine_semantic_and_instances(
        sem, torch.stack([first, three_quarters]), torch.tensor([0, 5]),
        torch.tensor([0.9, 0.8]), **CFG)
    assert (out == 5 + 2000).sum() == 0  # 4 of its 5 px claimed
    assert (out == 7).sum() == 36 - 4


def test_stuff_area_limit_and_void_without_predictions():
    sem = torch.full((4, 4), 255)
    sem[0, :3] = 10
    empty = torch.zeros(0, 4, 4, dtype=torch.bool)
    none = torch.zeros(0)
    out = combine_semantic_and_instances(sem, empty, none.long(), none, **CFG)
    assert (out == 10).sum() == 3 and (out == VOID).sum() == 13  # 255 is void too
    out = combine_semantic_and_instances(sem, empty, none.long(), none,
                                         **{**CFG, 'stuff_area': 4})
    assert bool((out == VOID).all())


def test_bad_predictions_are_refused():
    sem = torch.full((4, 4), 7)
    mask = torch.ones(1, 4, 4, dtype=torch.bool)
    with pytest.raises(ValueError, match='instance label 8 is not a thing class'):
        combine_semantic_and_instances(sem, mask, torch.tensor([8]), torch.tensor([1.0]), **CFG)
    with pytest.raises(ValueError, match='do not match the semantic map'):
        combine_semantic_and_instances(sem, torch.ones(1, 3, 4, dtype=torch.bool),
                                       torch.tensor([0]), torch.tensor([1.0]), **CFG)
