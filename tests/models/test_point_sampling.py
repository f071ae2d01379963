"""unibench's importance sampling of the loss points equals mmdet's for the same random draws."""
import pytest
import torch
from mmdet.models.utils import get_uncertain_point_coords_with_randomness

from unibench.models.losses.point_sampling import uncertain_point_coords


def as_sets(coords, start, stop):
    """Rows of ``coords[:, start:stop]`` sorted, for comparing point sets regardless of order."""
    part = coords[:, start:stop].double()
    key = part[..., 0] * 4 + part[..., 1]  # coordinates in [0, 1): x dominates the order
    return torch.gather(part, 1, key.argsort(1)[..., None].expand(-1, -1, 2))


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
@pytest.mark.parametrize('points, oversample, importance', [(96, 3.0, 0.75), (50, 2.5, 0.3),
                                                            (64, 1.0, 1.0), (40, 3.0, 0.0)])
def test_the_same_points_as_mmdet_for_the_same_seed(dtype, points, oversample, importance):
    torch.set_default_dtype(dtype)
    try:
        g = torch.Generator().manual_seed(1)
        logits = 4 * torch.randn(7, 1, 12, 9, generator=g)
        torch.manual_seed(3)
        ref = get_uncertain_point_coords_with_randomness(logits, None, points, oversample,
                                                         importance)
        torch.manual_seed(3)
        ours = uncertain_point_coords(logits, num_points=points, oversample_ratio=oversample,
                                      importance_sample_ratio=importance)
    finally:
        torch.set_default_dtype(torch.float32)
    assert ours.shape == ref.shape == (7, points, 2) and ours.dtype == ref.dtype == dtype
    k = int(importance * points)
    # The uncertain points are the same set (mmdet orders them by uncertainty), the uniform
    # ones the same draws in the same order.
    assert torch.equal(as_sets(ours, 0, k), as_sets(ref, 0, k))
    assert torch.equal(ours[:, k:], ref[:, k:])


def test_it_keeps_the_least_certain_candidates():
    """A constructed case: the logit map is 0 on the left half and 10 on the right, so every
    importance point lies where the logit is (bilinearly) below 10."""
    logits = torch.full((3, 1, 8, 8), 10.0)
    logits[..., :4] = 0.0
    torch.manual_seed(0)
    coords = uncertain_point_coords(logits, num_points=40, oversample_ratio=3.0,
                                    importance_sample_ratio=0.5)
    # Sample centres at x = (j + 0.5) / 8; the value drops below 10 left of x = 4.5 / 8.
    assert (coords[:, :20, 0] < 4.5 / 8).all()
    assert (coords[:, 20:, 0] >= 4.5 / 8).any()  # the uniform half is not selected


@pytest.mark.parametrize('kwargs, message', [
    (dict(oversample_ratio=0.5, importance_sample_ratio=0.75), 'oversample_ratio must be >= 1'),
    (dict(oversample_ratio=3.0, importance_sample_ratio=1.5),
     r'importance_sample_ratio must be in \[0, 1\]')])
def test_bad_ratios_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        uncertain_point_coords(torch.zeros(1, 1, 4, 4), num_points=8, **kwargs)
