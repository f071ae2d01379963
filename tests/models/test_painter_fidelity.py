"""SegGPT recipe deviations found by reading the official code (issue 14 §3), each fixed:
the COCO class palette (base 7), Painter's panoptic thresholds, nearest upsampling of the
instance painting, the 2,000-candidate cap before NMS and Painter's semantic / instance mix.
The training crop is tested in tests/datasets/test_painter_crop.py."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config

from unibench.datasets.transforms.painter import PainterColorize
from unibench.datasets.transforms.task_targets import sample_task
from unibench.models.postprocess.painter_decode import decode_instances
from unibench.models.segmentors.painter import TEST_DEFAULTS, _original
from unibench.registry import MODELS
from unibench.structures.painter import location_palette, palette_base, semantic_palette

REPO = Path(__file__).resolve().parents[2]
PAPER = REPO / 'configs/seggpt/seggpt_vit-l_64xb2-9k_coco.py'
SHAPES = REPO / 'configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py'


def painter_formula(num_colors: int, base: int) -> list:
    """Painter's define_colors_by_mean_sep / define_colors_per_location_mean_sep, written out."""
    sep = 256 // base
    colors = []
    for loc in range(num_colors):
        r, g, b = loc // base**2, (loc % base**2) // base, loc % base
        colors.append([255 - r * sep, 255 - g * sep, 255 - b * sep])
    return colors


# ---- the COCO class palette -------------------------------------------------------------------
def test_coco_palette_is_painters_base_7():
    """gen_color_coco_panoptic_segm.py: channelsep = 7 (step 36) for COCO panoptic's 133."""
    assert palette_base(133) == 7
    coco = semantic_palette(133)
    assert coco.tolist() == painter_formula(133, 7)
    # A few classes by hand: 1 = blue digit 1, 7 = green digit 1, 49 = red digit 1,
    # 79 (the last thing) = (1, 4, 2), 132 (the last stuff class) = (2, 4, 6).
    assert coco[0].tolist() == [255, 255, 255]
    assert coco[1].tolist() == [255, 255, 219]
    assert coco[6].tolist() == [255, 255, 39]
    assert coco[7].tolist() == [255, 219, 255]
    assert coco[49].tolist() == [219, 255, 255]
    assert coco[79].tolist() == [219, 111, 183]
    assert coco[132].tolist() == [183, 111, 39]
    # The old default (base 6 = int(133 ** (1/3)) + 1) shared a single colour with Painter's.
    old = np.asarray(painter_formula(133, 6))
    assert int((old == coco).all(axis=1).sum()) == 1


def test_other_palettes_keep_the_ade20k_formula():
    """gen_color_ade20k_sem.py: base int(K ** (1/3)) + 1 (ADE20K's 150 -> 6, step 42)."""
    assert palette_base(150) == 6
    ade = semantic_palette(150)
    assert ade.tolist() == painter_formula(150, 6)
    assert ade[1].tolist() == [255, 255, 213]
    for k in (12, 19, 133):  # shapes, Cityscapes, COCO: the palette is collision-free
        assert len(np.unique(semantic_palette(k), axis=0)) == k
    assert palette_base(12) == 3  # the shapes benchmark's palette is unchanged


def test_model_and_colouriser_use_the_coco_palette():
    expected = torch.tensor(painter_formula(133, 7), dtype=torch.float)
    model = MODELS.build(tiny_painter(num_classes=133, num_things_classes=80))
    assert torch.equal(model.palette, expected)
    colorize = PainterColorize(num_classes=133, num_things_classes=80, location_cells=(4, 20))
    assert colorize.palette.tolist() == expected.long().tolist()


# ---- panoptic thresholds ----------------------------------------------------------------------
def test_paper_config_uses_painters_panoptic_thresholds():
    """COCOPanoEvaluatorCustom.py: instances_score_thresh 0.55, stuff_area_thresh 8192,
    overlap_threshold 0.5 (eval.sh does not override them)."""
    test_cfg = {**TEST_DEFAULTS, **Config.fromfile(str(PAPER)).model.test_cfg}
    assert test_cfg['pan_score_thr'] == 0.55
    assert test_cfg['stuff_min_area'] == 8192
    assert test_cfg['pan_overlap_thr'] == 0.5
    assert test_cfg['inst_dist_thr'] == 19.0  # eval.sh DIST_THR


# ---- instance painting upsampled by nearest neighbour -----------------------------------------
def two_instance_painting(palette: torch.Tensor) -> torch.Tensor:
    """8 x 8 painting: left half location colour 0 (255, 255, 255), right half colour 8
    (129, 255, 255); their midpoint is colour 2 (192, 255, 255)."""
    assert palette[2].tolist() == [192, 255, 255] and palette[8].tolist() == [129, 255, 255]
    painting = torch.empty(3, 8, 8)
    painting[:, :, :4] = palette[0][:, None, None]
    painting[:, :, 4:] = palette[8][:, None, None]
    return painting


def test_bilinear_upsampling_of_location_colours_makes_spurious_instances():
    """Why Painter (painter_inference_pano_inst.py), the SegGPT engine and HF upsample the
    instance painting by nearest neighbour."""
    palette = torch.from_numpy(location_palette(2, 2)).float()
    painting = two_instance_painting(palette)
    sample = DetDataSample(metainfo=dict(img_shape=(8, 8), ori_shape=(24, 24)))
    sem_dist = torch.zeros(1, 24, 24)
    found = {}
    for mode in ('nearest', 'bilinear'):
        inst = decode_instances(_original(painting, sample, True, mode), palette, sem_dist,
                                num_things_classes=1)
        found[mode] = inst
    nearest = found['nearest']
    assert len(nearest.masks) == 2
    assert {int(m[:, :12].all()) + 2 * int(m[:, 12:].all()) for m in nearest.masks} == {1, 2}
    assert len(found['bilinear'].masks) == 3  # colour 2 along the edge: a third instance


class FakePrompts:
    def get(self, kind):
        raise AssertionError('paint is patched')

    def record(self):
        return {}


def test_predict_upsamples_instance_nearest_and_semantic_bilinear(monkeypatch):
    model = MODELS.build(tiny_painter(location_cells=(2, 2))).eval()
    model.attach_prompts(FakePrompts())
    ins = two_instance_painting(model.location_palette)
    sem = model.palette[0][:, None, None].expand(3, 8, 8).clone()
    sem[:, :, 4:] = model.palette[2][:, None, None]
    paintings = dict(semantic=sem[None], instance=ins[None])
    monkeypatch.setattr(model, 'paint', lambda inputs, kind, prompt=None: paintings[kind])
    calls = []
    import unibench.models.segmentors.painter as painter_module
    original = painter_module._original
    monkeypatch.setattr(painter_module, '_original',
                        lambda p, s, r, mode: calls.append(mode) or original(p, s, r, mode))
    sample = DetDataSample(metainfo=dict(img_shape=(8, 8), ori_shape=(24, 24), task='instance'))
    out = model.predict(torch.zeros(1, 3, 8, 8), [sample])[0]
    assert calls == ['bilinear', 'nearest']  # semantic, then instance
    assert len(out.pred_instances.masks) == 2


# ---- the candidate cap before NMS -------------------------------------------------------------
def test_candidates_are_capped_before_nms():
    """COCOCAInstSegEvaluatorCustom.py: candidates sorted by mean distance, the best
    ``topk = 2000`` kept, the score normalised over them."""
    assert TEST_DEFAULTS['inst_max_candidates'] == 2000
    palette = torch.tensor([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255]],
                           dtype=torch.float)
    painting = torch.empty(3, 5, 10)
    for i, colour in enumerate(palette):  # row i: colour i, mean distance i (channel 2 off)
        painting[:, i] = colour[:, None]
        painting[2, i] += 3 * i if colour[2] == 0 else -3 * i
    sem_dist = torch.zeros(1, 5, 10)
    capped = decode_instances(painting, palette, sem_dist, num_things_classes=1,
                              max_candidates=3)
    full = decode_instances(painting, palette, sem_dist, num_things_classes=1)
    rows = lambda inst: sorted(int(m.nonzero()[0, 0]) for m in inst.masks)  # noqa: E731
    assert rows(capped) == [0, 1, 2]  # the three closest colours
    assert rows(full) == [0, 1, 2, 3, 4]
    # 1 - d / max(d): over the kept candidates (max 2) or all of them (max 4).
    assert sorted(capped.scores.tolist(), reverse=True) == pytest.approx([1.0, 0.5, 0.0])
    assert sorted(full.scores.tolist(), reverse=True) == pytest.approx([1, 0.75, 0.5, 0.25, 0])


# ---- the semantic / instance mix --------------------------------------------------------------
@pytest.mark.parametrize('path', [PAPER, SHAPES])
def test_task_mix_is_painters(path):
    """Painter/data/pairdataset.py type_weight_list: COCO semantic 0.25, COCO instance 0.15
    (the other weights are other tasks), so 5 : 3 between the two."""
    data = Config.fromfile(str(path)).train_dataloader.dataset
    assert tuple(data.tasks) == ('semantic', 'instance')
    assert data.task_probs == pytest.approx((0.25 / 0.4, 0.15 / 0.4))
    np.random.seed(0)
    draws = [sample_task(data.tasks, data.task_probs) for _ in range(4000)]
    assert draws.count('semantic') / 4000 == pytest.approx(0.625, abs=0.03)


def tiny_painter(num_classes: int = 12, num_things_classes: int = 7,
                 location_cells=(2, 2)) -> dict:
    return dict(
        type='Painter',
        data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
                               pad_size_divisor=1),
        backbone=dict(type='PainterViT', img_size=(16, 8), patch_size=4, embed_dim=16, depth=2,
                      num_heads=2, drop_path_rate=0.0, pretrain_img_size=8, merge_index=0,
                      out_indices=(1, )),
        decode_head=dict(type='PainterHead', decoder_dim=4),
        loss=dict(type='MaskedSmoothL1Loss', beta=0.01),
        num_classes=num_classes, num_things_classes=num_things_classes,
        location_cells=location_cells)
