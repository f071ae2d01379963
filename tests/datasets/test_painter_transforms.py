"""The painter's data side: palettes, in-context colouring, mixed context, pairs, packing."""
import numpy as np
import pytest
import torch
from mmdet.structures.mask import BitmapMasks

from unibench.datasets.transforms.painter import (
    PackPainterInputs,
    PainterColorize,
    augmented_view,
    image_targets,
    mosaic,
)
from unibench.registry import DATASETS
from unibench.structures.painter import (
    location_colors,
    location_palette,
    random_colors,
    semantic_palette,
)

H = W = 16
NUM_THINGS, NUM_CLASSES = 2, 4


def image(sem: np.ndarray, masks: list, labels: list, img_id: int, fill: float = 0.0) -> dict:
    """A per-image results dict as the image pipeline leaves it."""
    masks = np.stack(masks).astype(np.uint8) if masks else np.zeros((0, H, W), np.uint8)
    return dict(img=np.full((H, W, 3), fill, np.float32), gt_seg_map=sem.astype(np.uint8),
                gt_masks=BitmapMasks(masks, H, W), gt_bboxes_labels=np.asarray(labels),
                img_id=img_id, img_path=f'{img_id}.jpg', ori_shape=(H, W), img_shape=(H, W))


def scene(img_id: int, shift: int = 0) -> dict:
    """Stuff 2 on the left, stuff 3 on the right, two instances of thing 0 and one of thing 1,
    a void row at the bottom."""
    sem = np.full((H, W), 2)
    sem[:, W // 2:] = 3
    sem[-1] = 255
    boxes = [(1, 1 + shift, 5, 5 + shift), (8, 2, 12, 6), (9, 9, 14, 14)]
    masks = []
    for (y0, x0, y1, x1), label in zip(boxes, (0, 0, 1)):
        m = np.zeros((H, W), bool)
        m[y0:y1, x0:x1] = True
        sem[m] = label
        masks.append(m)
    return image(sem, masks, [0, 0, 1], img_id, fill=float(img_id))


def colorize(task: str, context: list, **kwargs) -> dict:
    t = PainterColorize(num_classes=NUM_CLASSES, num_things_classes=NUM_THINGS,
                        location_cells=(2, 2), **kwargs)
    return t(dict(query=scene(1), context=context, task=task))


def colours_of(tgt: np.ndarray, region: np.ndarray) -> set:
    return {tuple(c) for c in tgt[region].reshape(-1, 3).tolist()}


def test_palettes_match_painter():
    # gen_color_ade20k_sem.py: base int(150 ** (1/3)) + 1 = 6, step 256 // 6 = 42.
    ade = semantic_palette(150)
    assert ade[0].tolist() == [255, 255, 255] and ade[1].tolist() == [255, 255, 213]
    assert ade[36].tolist() == [213, 255, 255] and len(np.unique(ade, axis=0)) == 150
    coco = semantic_palette(133, base=7)  # gen_color_coco_panoptic_segm.py: channelsep 7
    assert coco[1].tolist() == [255, 255, 219]
    loc = location_palette(4, 20)  # COCOCAInstSegEvaluatorCustom define_colors_per_location_r_gb
    assert loc.shape == (6400, 3) and len(np.unique(loc, axis=0)) == 6400
    assert loc[0].tolist() == [255, 255, 255]
    assert loc[1].tolist() == [255, 255, 242]  # next column: B - (256 // 20 + 1)
    assert loc[80].tolist() == [255, 242, 255]  # next row: G
    assert loc[20].tolist() == [240, 255, 255]  # next global block: R - 255 // 16


def test_location_colour_is_the_mass_centre_cell():
    pal = location_palette(2, 2)  # a 4 x 4 grid
    m = np.zeros((1, H, W), bool)
    m[0, 12:16, 0:4] = True  # centre (13.5, 1.5) -> cell row int(13.5 / 16 * 3) = 2, col 0
    assert location_colors(m, pal)[0].tolist() == pal[2 * 4 + 0].tolist()


def test_random_colours_are_distinct_and_not_black():
    c = random_colors(20, np.random.default_rng(0)).astype(int)
    assert (np.abs(c).mean(1) >= 48).all()
    d = np.abs(c[:, None] - c[None]).mean(-1) + np.eye(20) * 999
    assert d.min() >= 24  # min_dist 48, halved at most once for 20 colours


def test_semantic_palette_colouring():
    out = colorize('semantic', [scene(2, shift=3)], palette_prob=1.0)
    assert out['scheme'] == 'palette' and out['prompt_ids'] == [2]
    q = scene(1)
    sem = image_targets(q, NUM_THINGS)['sem']
    pal = semantic_palette(NUM_CLASSES)
    for c in range(NUM_CLASSES):
        assert colours_of(out['query_tgt'], sem == c) == {tuple(pal[c])}
    assert colours_of(out['query_tgt'], sem == 255) == {(0, 0, 0)}
    assert out['query_valid'][-1].sum() == 0 and out['query_valid'][:-1].all()


def test_random_colouring_is_consistent_across_prompt_and_query():
    np.random.seed(0)
    ctx = scene(2, shift=3)
    out = colorize('semantic', [ctx], palette_prob=0.0)
    assert out['scheme'] == 'random'
    q_sem = image_targets(scene(1), NUM_THINGS)['sem']
    p_sem = image_targets(ctx, NUM_THINGS)['sem']
    colours = {}
    for c in range(NUM_CLASSES):
        (q_col, ) = colours_of(out['query_tgt'], q_sem == c)  # one colour per class
        (p_col, ) = colours_of(out['prompt_tgt'], p_sem == c)
        assert q_col == p_col != (0, 0, 0)  # same class, same colour in both images
        colours[c] = q_col
    assert len(set(colours.values())) == NUM_CLASSES  # different classes, different colours
    assert (out['prompt_img'] == 2).all() and (out['img'] == 1).all()


def test_location_colouring_of_instances():
    ctx = scene(2, shift=3)
    out = colorize('instance', [ctx], location_prob=1.0)
    assert out['scheme'] == 'location'
    pal = location_palette(2, 2)
    for res, key in ((scene(1), 'query_tgt'), (ctx, 'prompt_tgt')):
        masks = res['gt_masks'].to_ndarray().astype(bool)
        for m, col in zip(masks, location_colors(masks, pal)):
            assert colours_of(out[key], m) == {tuple(col)}
        assert colours_of(out[key], ~masks.any(0)) == {(0, 0, 0)}  # background black, valid
    assert out['query_valid'].all()


def test_random_instance_colours_follow_the_instance_into_the_second_view():
    np.random.seed(3)
    out = colorize('instance', [scene(2)], location_prob=0.0)
    assert out['scheme'] == 'random-view' and out['prompt_ids'] == [1]
    q_masks = scene(1)['gt_masks'].to_ndarray().astype(bool)
    q_cols = [colours_of(out['query_tgt'], m) for m in q_masks]
    assert all(len(c) == 1 for c in q_cols) and len(set.union(*q_cols)) == 3
    p_cols = colours_of(out['prompt_tgt'], np.ones((H, W), bool)) - {(0, 0, 0)}
    assert p_cols and p_cols <= set.union(*q_cols)  # no colour the query does not have


def test_instance_sample_without_instances_is_invalid():
    empty = image(np.full((H, W), 3), [], [], 5)
    t = PainterColorize(num_classes=NUM_CLASSES, num_things_classes=NUM_THINGS,
                        location_cells=(2, 2), location_prob=1.0)
    out = t(dict(query=empty, context=[scene(2)], task='instance'))
    assert out['query_valid'].sum() == 0 and out['prompt_valid'].sum() == 0


def test_crowd_pixels_are_void():
    res = scene(1)
    res['gt_seg_map'][0, 10:14] = 1  # thing class without an instance mask: crowd
    t = image_targets(res, NUM_THINGS)
    assert (t['sem'][0, 10:14] == 255).all() and not t['inst_valid'][0, 10:14].any()


def test_mosaic_tiles_four_images_and_crops():
    rng = np.random.default_rng(0)
    items = [(np.full((H, W, 3), i, np.float32), np.full((H, W, 3), 10 * i, np.uint8),
              np.ones((H, W), bool)) for i in range(4)]
    img, tgt, valid = mosaic(items, rng, (1.0, 1.0))  # full mosaic, no crop
    assert img.shape == (H, W, 3) and tgt.shape == (H, W, 3) and valid.all()
    assert tgt[0, 0, 0] == 0 and tgt[0, -1, 0] == 10 and tgt[-1, 0, 0] == 20
    assert tgt[-1, -1, 0] == 30


def test_augmented_view_keeps_instance_order():
    t = image_targets(scene(1), NUM_THINGS)
    view = augmented_view(t, np.random.default_rng(1), (1.0, 1.0))
    flipped = view['inst'][:, ::-1] if view['inst'][2, 2] == -1 else view['inst']
    assert (flipped == t['inst']).all()


def test_pack_painter_inputs():
    out = PackPainterInputs()(colorize('semantic', [scene(2)], palette_prob=1.0))
    sample = out['data_samples']
    assert out['inputs'].shape == (3, H, W)
    assert sample.prompt_img.shape == (3, H, W) and sample.prompt_img.dtype == torch.float32
    assert sample.query_tgt.dtype == torch.uint8 and sample.query_valid.shape == (1, H, W)
    assert sample.metainfo['task'] == 'semantic' and sample.metainfo['prompt_ids'] == [2]


def test_pair_dataset_draws_other_images_of_the_split(tiny_shapes):
    ds = DATASETS.build(dict(
        type='PainterPairDataset', tasks=('semantic', ), mix_prob=1.0, mix_num=4,
        dataset=dict(type='ShapesPanopticDataset', data_root=str(tiny_shapes),
                     ann_file='annotations/panoptic_train.json',
                     data_prefix=dict(img='train/', seg='annotations/panoptic_train/'),
                     pipeline=[dict(type='LoadImageFromFile', to_float32=True),
                               dict(type='LoadPanopticAnnotations', with_bbox=True,
                                    with_mask=True, with_seg=True),
                               dict(type='Resize', scale=(32, 32), keep_ratio=False)]),
        pipeline=[dict(type='PainterColorize', num_classes=12, num_things_classes=7,
                       location_cells=(2, 4)), dict(type='PackPainterInputs')]))
    np.random.seed(0)
    for idx in range(len(ds)):
        ids = ds.draw_context(idx, 4)
        assert len(ids) == 4 and idx not in ids and all(0 <= j < len(ds) for j in ids)
    sample = ds[0]['data_samples']
    assert len(sample.metainfo['prompt_ids']) == 4  # mixed context: four images
    assert sample.metainfo['img_id'] not in sample.metainfo['prompt_ids']
    assert sample.prompt_tgt.shape == (3, 32, 32)
    with pytest.raises(ValueError, match='panoptic is decoded'):
        DATASETS.build(dict(type='PainterPairDataset', tasks=('panoptic', ), dataset=ds.dataset,
                            pipeline=[]))
