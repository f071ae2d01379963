"""Images as real datasets hold them (grayscale, RGBA, 16-bit, CMYK JPEG, palette; odd sizes and
sizes below the crop) load as 3-channel 8-bit, go through every training pipeline, train, and are
predicted and scored at their own size; what cannot load is an error that names the file."""
from pathlib import Path

import numpy as np
import pytest
import torch

from unibench.engine import attach_prompts
from unibench.registry import DATASETS, EVALUATOR, MODELS, TRANSFORMS
from unibench.testing import (
    TINY_MODELS,
    assert_prediction_format,
    first_batch,
    tiny_config,
    total_loss,
)
from unibench.testing.ground_truth import evaluate, gt_as_prediction
from unibench.testing.images import (
    IMAGE_KINDS,
    ODD_SIZES,
    expected_bgr,
    make_odd_shapes,
    write_image,
)

REPO = Path(__file__).resolve().parents[2]
# One leaf per model family (the tiny model base replaces its model), and per crop size: the
# 64 x 64 leaves crop 64 after a 0.8-1.25 jitter, the 128 x 128 ones 128 after 0.5-2.0.
LEAVES = {
    'mask2former': 'configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py',
    'oneformer': 'configs/oneformer/oneformer_r18-w32_1xb16-1k_shapes64.py',
    'painter': 'configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py',
    'gscnn': 'configs/gscnn/gscnn_r18-d8_1xb8-3k_shapes.py',
}
CROP_128 = 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-instance.py'
# Tasks each model is asked for on the val batch (the universal models: all three at once).
TASKS = {'mask2former': ['panoptic', 'instance', 'semantic', 'panoptic'],
         'oneformer': ['instance', 'semantic', 'panoptic', 'semantic'],
         'painter': ['semantic', 'instance', 'panoptic', 'semantic'],
         'gscnn': ['semantic'] * 4}
# JPEG decoders (libjpeg in cv2, Pillow's) round differently by a few levels.
TOLERANCE = {'.jpg': 4, '.png': 0}


@pytest.fixture(scope='module')
def odd_shapes(tiny_shapes, tmp_path_factory):
    return make_odd_shapes(tiny_shapes, tmp_path_factory.mktemp('odd') / 'shapes')


def picture(h: int = 20, w: int = 30) -> np.ndarray:
    """A smooth 8-bit BGR picture with a saturated block (JPEG keeps it within a few levels)."""
    y, x = np.mgrid[0:h, 0:w]
    bgr = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (h + w)], -1).astype(np.uint8)
    bgr[2:8, 3:12] = (40, 20, 220)
    return bgr


def load(path, **kwargs) -> dict:
    loader = TRANSFORMS.build(dict(type='LoadImageFromFile', **kwargs))
    return loader(dict(img_path=str(path)))


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize('kind', sorted(IMAGE_KINDS))
def test_every_image_kind_decodes_to_3_channel_8_bit_bgr(kind, backend, tmp_path):
    path = write_image(picture(), kind, tmp_path / 'x')
    if backend == 'pillow' and kind == 'gray16':  # Pillow's RGB conversion clips it to 255
        with pytest.raises(ValueError, match=r"x\.png is a I;16 .* imdecode_backend='cv2'"):
            load(path, imdecode_backend=backend)
        return
    out = load(path, imdecode_backend=backend)
    assert out['img'].dtype == np.uint8 and out['img'].shape == (20, 30, 3)
    assert out['ori_shape'] == out['img_shape'] == (20, 30)
    diff = np.abs(out['img'].astype(int) - expected_bgr(path).astype(int)).max()
    assert diff <= TOLERANCE[path.suffix], diff
    assert load(path, imdecode_backend=backend, to_float32=True)['img'].dtype == np.float32


@pytest.mark.parametrize('kind,color_type,shape', [
    ('rgba', 'unchanged', r'\(20, 30, 4\)'), ('gray16', 'unchanged', r'\(20, 30\)'),
    ('rgb16', 'unchanged', r'uint16 array of shape \(20, 30, 3\)'),
    ('rgb', 'grayscale', r'\(20, 30\)')])
def test_a_decoding_that_is_not_3_channel_8_bit_names_the_file(kind, color_type, shape,
                                                                tmp_path):
    path = write_image(picture(), kind, tmp_path / 'x')
    with pytest.raises(ValueError, match=rf"{path.name} decodes to .*{shape} with "
                                         rf"color_type='{color_type}'.*color_type='color'"):
        load(path, color_type=color_type)


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_a_corrupt_image_names_the_file(backend, tmp_path):
    path = tmp_path / 'broken.jpg'
    path.write_bytes(b'\xff\xd8 not a jpeg')
    with pytest.raises(ValueError, match='corrupt or unreadable image: .*broken.jpg'):
        load(path, imdecode_backend=backend)


def packed_shapes(out: dict) -> set:
    """The h x w of a packed training sample's image, instance masks and semantic map (the
    task's targets: the panoptic and instance tasks carry no semantic map)."""
    sample = out['data_samples']
    masks = sample.gt_instances.masks
    sizes = {tuple(out['inputs'].shape[1:]), (masks.height, masks.width)}
    if 'gt_sem_seg' in sample:
        sizes.add(tuple(sample.gt_sem_seg.sem_seg.shape[1:]))
    return sizes


@pytest.mark.parametrize('leaf', [*LEAVES.values(), CROP_128], ids=lambda p: p.split('/')[-1])
def test_odd_images_go_through_the_training_and_test_pipelines(leaf, odd_shapes, tmp_path):
    cfg = tiny_config(str(REPO / leaf), data_root=odd_shapes, work_dir=tmp_path)
    crop = cfg.image_size
    train = DATASETS.build(cfg.train_dataloader.dataset)
    for idx in range(len(train)):
        out = train[idx]
        if 'prompt_img' in out['data_samples']:  # the painter: a squashed full canvas
            sample = out['data_samples']
            assert out['inputs'].shape == sample.prompt_img.shape == (3, *crop)
            assert sample.query_tgt.shape == sample.prompt_tgt.shape == (3, *crop)
            continue
        sizes = packed_shapes(out)
        assert out['inputs'].shape[0] == 3 and out['inputs'].dtype == torch.float32
        assert len(sizes) == 1, (train.get_data_info(idx)['img_path'], sizes)
        (h, w), = sizes
        assert h <= crop[0] and w <= crop[1]  # a small image is not cropped up
    val = DATASETS.build(cfg.val_dataloader.dataset)
    for idx in range(len(val)):
        info, sample = val.get_data_info(idx), val[idx]['data_samples']
        # The ground truth stays at the image's own size; only the input is resized.
        assert sample.ori_shape == (info['height'], info['width'])
        assert tuple(sample.gt_sem_seg.sem_seg.shape[1:]) == sample.ori_shape


@pytest.mark.parametrize('family', sorted(LEAVES))
def test_a_batch_of_odd_images_trains_predicts_and_scores_at_their_own_size(
        family, odd_shapes, tmp_path):
    cfg = tiny_config(str(REPO / LEAVES[family]), data_root=odd_shapes, work_dir=tmp_path,
                      batch_size=4, model=TINY_MODELS[family])
    model = MODELS.build(cfg.model)
    model.init_weights()
    data = model.data_preprocessor(first_batch(cfg), training=True)
    loss = total_loss(model(**data, mode='loss'))
    assert torch.isfinite(loss)
    loss.backward()

    model = attach_prompts(model.eval())  # the painter's prompts: odd train images too
    batch = first_batch(cfg, 'val')
    assert [s.ori_shape for s in batch['data_samples']] == list(ODD_SIZES[:4])
    for sample, task in zip(batch['data_samples'], TASKS[family]):
        sample.set_metainfo(dict(task=task))
    with torch.no_grad():
        out = model.test_step(batch)
    classes = DATASETS.get(cfg.dataset_type).METAINFO['classes']
    for sample, task in zip(out, TASKS[family]):
        assert_prediction_format(sample, task, num_classes=len(classes), num_things_classes=7,
                                 max_instances=1000)
    # Each task's metric takes the predictions at the original size (PQ reads the PNGs).
    evaluator = EVALUATOR.build(cfg.val_evaluator)
    evaluator.dataset_meta = DATASETS.build(cfg.val_dataloader.dataset).metainfo
    for task in sorted(set(TASKS[family])):
        samples = [s for s, t in zip(out, TASKS[family]) if t == task]
        evaluator.task(task).process(samples)
        metrics = evaluator.task(task).evaluate(len(samples))
        assert all(np.isfinite(v) for v in metrics.values()), metrics


def test_the_ground_truth_of_odd_images_scores_100_at_their_own_size(odd_shapes, tmp_path):
    """The test pipeline resizes the input to 64 x 64 (63 x 97 becomes 42 x 64); the metrics
    compare with the annotation files at the original size."""
    cfg = tiny_config(str(REPO / LEAVES['mask2former']), data_root=odd_shapes,
                      work_dir=tmp_path)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    samples = [gt_as_prediction(val, i) for i in range(len(val))]
    assert any(s.img_shape != s.ori_shape for s in samples)
    metrics = evaluate(cfg.val_evaluator, val, samples)
    assert metrics['panoptic/PQ'] == pytest.approx(100.0)
    assert metrics['instance/segm_mAP'] == pytest.approx(1.0)
    assert metrics['semantic/mIoU'] == pytest.approx(100.0)
