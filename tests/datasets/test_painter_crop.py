"""The painter's training crop: Painter's squashing random resized crop (Painter/main_train.py
``RandomResizedCrop(448, scale=(0.3, 1), interpolation=3)``; torchvision's default ratio
3/4-4/3), which replaced unibench's keep-ratio jitter + crop + pad (about 40% of the draws left
up to 25% of the canvas padded and invalid)."""
from pathlib import Path

import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config

from unibench.datasets.transforms.painter import PainterRandomResizedCrop, random_resized_box
from unibench.registry import DATASETS
from unibench.testing import tiny_config

REPO = Path(__file__).resolve().parents[2]
LEAVES = {'paper': REPO / 'configs/seggpt/seggpt_vit-l_64xb2-9k_coco.py',
          'shapes': REPO / 'configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py'}


def test_box_draws_follow_painters_area_and_ratio():
    rng = np.random.RandomState(0)
    h, w = 480, 640  # a COCO image
    boxes = [random_resized_box((h, w), (0.3, 1.0), (3 / 4, 4 / 3), rng) for _ in range(2000)]
    y0, x0, ch, cw = map(np.asarray, zip(*boxes))
    area, aspect = ch * cw / (h * w), cw / ch
    assert ((y0 >= 0) & (x0 >= 0) & (y0 + ch <= h) & (x0 + cw <= w)).all()
    assert area.min() >= 0.3 - 0.01 and area.max() <= 1.0
    assert aspect.min() >= 3 / 4 - 0.01 and aspect.max() <= 4 / 3 + 0.01
    # The same distribution as torchvision's (draws that do not fit are redrawn, which favours
    # small crops on a 4:3 image: the mean area is about 0.55, not 0.65).
    torch = pytest.importorskip('torch')
    transforms = pytest.importorskip('torchvision.transforms')
    torch.manual_seed(0)
    ref = [transforms.RandomResizedCrop.get_params(torch.zeros(3, h, w), (0.3, 1.0),
                                                    (3 / 4, 4 / 3)) for _ in range(2000)]
    _, _, rh, rw = map(np.asarray, zip(*ref))
    assert area.mean() == pytest.approx((rh * rw / (h * w)).mean(), abs=0.02)
    assert np.log(aspect).mean() == pytest.approx(np.log(rw / rh).mean(), abs=0.03)


def test_box_falls_back_to_the_centre_crop():
    """No draw fits a 10 x 100 strip at area >= 0.9 and ratio <= 4/3: torchvision's fallback is
    the centre crop of the whole height at the largest allowed ratio."""
    rng = np.random.RandomState(0)
    assert random_resized_box((10, 100), (0.9, 1.0), (3 / 4, 4 / 3), rng) == (0, 43, 10, 13)
    assert random_resized_box((100, 10), (0.9, 1.0), (3 / 4, 4 / 3), rng) == (43, 0, 13, 10)


def scene(h: int = 48, w: int = 64) -> dict:
    """An image without black pixels, two instances (class 0 and 1) on stuff class 2."""
    rng = np.random.RandomState(0)
    img = rng.randint(1, 256, size=(h, w, 3)).astype(np.float32)
    masks = np.zeros((2, h, w), np.uint8)
    masks[0, 5:20, 5:25] = 1
    masks[1, 30:45, 40:60] = 1
    sem = np.full((h, w), 2, np.uint8)
    sem[masks[0] > 0], sem[masks[1] > 0] = 0, 1
    bitmap = BitmapMasks(masks, h, w)
    return dict(img=img, img_shape=(h, w), gt_seg_map=sem, gt_masks=bitmap,
                gt_bboxes=bitmap.get_bboxes(HorizontalBoxes),
                gt_bboxes_labels=np.array([0, 1]), gt_ignore_flags=np.zeros(2, bool))


def test_crop_squashes_to_the_full_canvas_without_padding():
    np.random.seed(0)
    t = PainterRandomResizedCrop(size=(32, 32), scale=(0.3, 1.0))
    squashed = 0
    for _ in range(50):
        out = t(scene())
        assert out['img'].shape == (32, 32, 3) and out['img_shape'] == (32, 32)
        assert (out['img'].max(axis=2) > 0).all()  # no black padding anywhere
        sem = out['gt_seg_map']
        assert sem.shape == (32, 32) and set(np.unique(sem)) <= {0, 1, 2}  # no 255
        masks = out['gt_masks']
        assert masks.masks.shape[1:] == (32, 32)
        assert len(masks) == len(out['gt_bboxes_labels']) == len(out['gt_ignore_flags'])
        for m, label in zip(masks.masks, out['gt_bboxes_labels']):
            assert m.any() and (sem[m > 0] == label).all()  # masks and map stay aligned
        assert np.allclose(out['gt_bboxes'].tensor.numpy(),
                           masks.get_bboxes(HorizontalBoxes).tensor.numpy())
        sx, sy = out['scale_factor']
        squashed += not np.isclose(sx, sy, rtol=0.05)
    assert squashed > 10  # the aspect ratio is not kept


def test_crop_drops_instances_outside_it():
    np.random.seed(0)
    t = PainterRandomResizedCrop(size=(32, 32), scale=(0.3, 0.3), ratio=(1.0, 1.0))
    counts = {len(t(scene())['gt_masks']) for _ in range(40)}
    assert min(counts) < 2  # some crops miss an instance, which is dropped, not left empty


@pytest.mark.parametrize('name', sorted(LEAVES))
def test_painter_leaves_train_on_the_squashing_crop(name):
    cfg = Config.fromfile(str(LEAVES[name]))
    pipeline = cfg.train_dataloader.dataset.dataset.pipeline
    types = [t['type'] for t in pipeline]
    assert 'Pad' not in types and 'RandomResize' not in types and 'RandomCrop' not in types
    crop = pipeline[types.index('PainterRandomResizedCrop')]
    assert tuple(crop['size']) == (cfg.img_size, cfg.img_size)
    # The paper leaf: Painter's area 0.3-1; the shapes leaf: the zoom range of its suite's
    # other models (jitter up to 1.25: 1 / 1.25^2 of the area).
    area = (0.3, 1.0) if name == 'paper' else (1 / cfg.jitter[1]**2, 1.0)
    assert tuple(crop['scale']) == pytest.approx(area) and 'ratio' not in crop  # (3/4, 4/3)
    if name == 'shapes':
        assert area[0] == pytest.approx(0.64)
    # Train and test geometry agree: the test resize squashes too.
    resize = [t for t in cfg.test_pipeline if t['type'] == 'Resize'][0]
    assert resize['keep_ratio'] is False and tuple(resize['scale']) == tuple(crop['size'])


def test_shapes_pairs_have_full_canvases(tiny_shapes, tmp_path):
    cfg = tiny_config(str(LEAVES['shapes']), data_root=tiny_shapes, work_dir=tmp_path)
    data = DATASETS.build(cfg.train_dataloader.dataset)
    np.random.seed(0)
    for i in range(4):
        sample = data[i]['data_samples']
        assert tuple(sample.prompt_img.shape[1:]) == (cfg.img_size, cfg.img_size)
        if sample.metainfo['task'] == 'semantic':  # shapes has no void: every pixel valid
            assert sample.query_valid.all() and sample.prompt_valid.all()
