"""COCO / ADE20K / Cityscapes support: dataset classes, dataset bases and paper configs (CPU).

Tiny fixtures are written in each dataset's real on-disk layout (real category ids, the JSON's own
category order); the real COCO sample under ``../shared/data`` is used when it is there.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from PIL import Image

from unibench.datasets.convert import id2rgb, mask_bbox, panoptic_to_instances
from unibench.datasets.real import (
    ADE20K_150,
    ADE20KPanopticDataset,
    ADE20KSemanticDataset,
    CityscapesPanopticDataset,
    CityscapesSemanticDataset,
    COCOPanopticDataset,
)
from unibench.registry import DATASETS
from unibench.testing.ground_truth import evaluate, gt_as_prediction

REPO = Path(__file__).resolve().parents[2]
BASES = REPO / 'configs' / '_base_' / 'datasets'
COCO_SAMPLE = REPO.parent / 'shared' / 'data' / 'coco-panoptic-sample'
RANDOM_STEPS = ('RandomResize', 'RandomChoiceResize', 'RandomCrop', 'RandomFlip',
                'PhotoMetricDistortion')

# Category ids as each dataset's converter writes them (JSON order = id order).
COCO_IDS = [*range(1, 12), *range(13, 26), 27, 28, *range(31, 45), *range(46, 66), 67, 70,
            *range(72, 83), *range(84, 91), 92, 93, 95, 100, 107, 109, 112, 118, 119, 122, 125,
            128, 130, 133, 138, 141, 144, 145, 147, 148, 149, 151, 154, 155, 156, 159, 161, 166,
            168, 171, 175, 176, 177, 178, 180, 181, *range(184, 201)]
CITYSCAPES = [(7, 'road', 0, 0), (8, 'sidewalk', 1, 0), (11, 'building', 2, 0), (12, 'wall', 3, 0),
              (13, 'fence', 4, 0), (17, 'pole', 5, 0), (19, 'traffic light', 6, 0),
              (20, 'traffic sign', 7, 0), (21, 'vegetation', 8, 0), (22, 'terrain', 9, 0),
              (23, 'sky', 10, 0), (24, 'person', 11, 1), (25, 'rider', 12, 1), (26, 'car', 13, 1),
              (27, 'truck', 14, 1), (28, 'bus', 15, 1), (31, 'train', 16, 1),
              (32, 'motorcycle', 17, 1), (33, 'bicycle', 18, 1)]  # label id, name, train id, thing


def _categories(dataset: str) -> list[dict]:
    if dataset == 'coco':
        names = COCOPanopticDataset.METAINFO['classes']  # COCO lists things first already
        return [dict(id=i, name=n, isthing=int(k < 80)) for k, (i, n) in
                enumerate(zip(COCO_IDS, names))]
    if dataset == 'ade20k':  # prepare_ade20k_pan_seg.py: id = index in the ADE20K-150 order
        return [dict(id=k, name=n, isthing=t) for k, (n, t) in enumerate(ADE20K_150)]
    return [dict(id=i, name=n, isthing=t) for i, n, _, t in CITYSCAPES]  # stuff first


# Two images per dataset: (segment id, category id, iscrowd, box y0, y1, x0, x1), painted in order;
# the last rows of each image stay void.
H, W = 36, 48
LAYOUTS = {
    'coco': [[(1, 92, 0, 0, 18, 0, W), (2, 187, 0, 18, 33, 0, W), (11, 1, 0, 3, 15, 3, 13),
              (12, 1, 0, 20, 32, 5, 17), (13, 2, 0, 21, 32, 28, 40), (14, 1, 1, 2, 9, 36, 46)],
             [(5, 149, 0, 0, 33, 0, W), (21, 3, 0, 8, 28, 9, 39)]],
    'ade20k': [[(1, 0, 0, 0, 18, 0, W), (2, 3, 0, 18, 33, 0, W), (11, 12, 0, 3, 15, 3, 13),
                (12, 12, 0, 20, 32, 5, 17), (13, 7, 0, 21, 32, 28, 40)],
               [(5, 2, 0, 0, 18, 0, W), (6, 4, 0, 18, 33, 0, W), (21, 20, 0, 8, 28, 9, 39)]],
    'cityscapes': [[(23, 23, 0, 0, 18, 0, W), (7, 7, 0, 18, 33, 0, W),
                    (24001, 24, 0, 3, 15, 3, 13), (24002, 24, 0, 20, 32, 5, 17),
                    (26001, 26, 0, 21, 32, 28, 40), (24, 24, 1, 2, 9, 36, 46)],
                   [(11, 11, 0, 0, 18, 0, W), (21, 21, 0, 18, 33, 0, W),
                    (33001, 33, 0, 8, 28, 9, 25), (25001, 25, 0, 8, 28, 27, 39)]],
}
NAMES = {'coco': ('000000000139', '000000000285'),
         'ade20k': ('ADE_val_00000001', 'ADE_val_00000002'),
         'cityscapes': ('aachen_000000_000019', 'bochum_000000_000313')}


def _ids(layout: list[tuple]) -> np.ndarray:
    ids = np.zeros((H, W), np.int64)
    for seg_id, _, _, y0, y1, x0, x1 in layout:
        ids[y0:y1, x0:x1] = seg_id
    return ids


def _write_image(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (H, W, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def _write_panoptic(dataset: str, root: Path, split: str) -> None:
    """One split in the converter's layout: JSON, RGB segment-id PNGs and the images."""
    ann_file, img_dir, png_dir = {
        'coco': (f'annotations/panoptic_{split}2017.json', f'{split}2017',
                 f'annotations/panoptic_{split}2017'),
        'ade20k': (f'ade20k_panoptic_{split}.json',
                   'images/' + {'train': 'training', 'val': 'validation'}[split],
                   f'ade20k_panoptic_{split}'),
        'cityscapes': (f'gtFine/cityscapes_panoptic_{split}.json', f'leftImg8bit/{split}',
                       f'gtFine/cityscapes_panoptic_{split}'),
    }[dataset]
    images, annotations = [], []
    for k, (stem, layout) in enumerate(zip(NAMES[dataset], LAYOUTS[dataset])):
        ids = _ids(layout)
        if dataset == 'cityscapes':  # image id = stem, images in city folders
            image_id, img_name = stem, f'{stem}_leftImg8bit.png'
            png_name, img_path = f'{stem}_gtFine_panoptic.png', f'{stem.split("_")[0]}/{img_name}'
        else:
            image_id = stem if dataset == 'ade20k' else int(stem)  # ADE20K: string ids too
            img_name = img_path = f'{stem}.jpg'
            png_name = f'{stem}.png'
        _write_image(root / img_dir / img_path, k)
        (root / png_dir).mkdir(parents=True, exist_ok=True)
        Image.fromarray(id2rgb(ids)).save(root / png_dir / png_name)
        segments = [dict(id=s, category_id=c, iscrowd=crowd, area=int((ids == s).sum()),
                         bbox=mask_bbox(ids == s)) for s, c, crowd, *_ in layout]
        images.append(dict(id=image_id, file_name=img_name, height=H, width=W))
        annotations.append(dict(image_id=image_id, file_name=png_name, segments_info=segments))
    (root / ann_file).parent.mkdir(parents=True, exist_ok=True)
    (root / ann_file).write_text(json.dumps(dict(images=images, annotations=annotations,
                                                 categories=_categories(dataset))))
    if split == 'val':  # the AP ground truth, as docs/datasets.md derives it
        instances = {'coco': 'annotations/panoptic2instances_val2017.json',
                     'ade20k': 'ade20k_panoptic2instances_val.json',
                     'cityscapes': 'gtFine/cityscapes_panoptic2instances_val.json'}[dataset]
        panoptic_to_instances(root / ann_file, root / png_dir, root / instances)


def _write_semantic(dataset: str, root: Path, split: str) -> None:
    """ADEChallengeData2016 (0 = other, k = class k-1) or Cityscapes labelTrainIds (255 = void)."""
    for k, (stem, layout) in enumerate(zip(NAMES[dataset], LAYOUTS[dataset])):
        ids = _ids(layout)
        if dataset == 'ade20k':
            folder = {'train': 'training', 'val': 'validation'}[split]
            img, label, void = f'images/{folder}/{stem}.jpg', f'annotations/{folder}/{stem}.png', 0
            value = {c: c + 1 for c in range(150)}
        else:
            city = stem.split('_')[0]
            img = f'leftImg8bit/{split}/{city}/{stem}_leftImg8bit.png'
            label, void = f'gtFine/{split}/{city}/{stem}_gtFine_labelTrainIds.png', 255
            value = {i: train_id for i, _, train_id, _ in CITYSCAPES}
        sem = np.full((H, W), void, np.uint8)
        for seg_id, cat, *_ in layout:
            sem[ids == seg_id] = value[cat]
        _write_image(root / img, k)
        (root / label).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(sem).save(root / label)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture dataset under one root: coco/, ade20k/, cityscapes/ (panoptic + semantic)."""
    root = tmp_path_factory.mktemp('real')
    for dataset in LAYOUTS:
        for split in ('train', 'val'):
            _write_panoptic(dataset, root / dataset, split)
            if dataset != 'coco':
                _write_semantic(dataset, root / dataset, split)
    return root


@pytest.fixture(autouse=True)
def _scope() -> None:
    init_default_scope('unibench')


def _config(base: str, data_root: Path) -> Config:
    """A dataset base with every path under its ``data_root`` moved to ``data_root``."""
    cfg = Config.fromfile(str(BASES / base))
    return Config(_rebase(cfg.to_dict(), cfg.data_root, f'{data_root}/'))


def _rebase(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {k: _rebase(v, old, new) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return type(node)(_rebase(v, old, new) for v in node)
    return new + node[len(old):] if isinstance(node, str) and node.startswith(old) else node


def _label(dataset_cls: type, dataset: str, category_id: int) -> int:
    name = {c['id']: c['name'] for c in _categories(dataset)}[category_id]
    return dataset_cls.METAINFO['classes'].index(name)


def _expected_targets(dataset: str, layout: list[tuple], task: str, num_things: int,
                      cls: type) -> list[tuple[int, bytes]]:
    """(label, mask bytes) pairs of one task, from the fixture layout (OneFormer's mapper rules)."""
    ids = _ids(layout)
    segs = [(_label(cls, dataset, c), ids == s, crowd) for s, c, crowd, *_ in layout]
    things = [(lab, m) for lab, m, crowd in segs if lab < num_things and not crowd]
    stuff = {}
    for lab, m, _ in segs:
        if lab >= num_things:
            stuff[lab] = stuff.get(lab, np.zeros_like(m)) | m
    merged = {}
    for lab, m in things:
        merged[lab] = merged.get(lab, np.zeros_like(m)) | m
    pairs = {'instance': things, 'panoptic': things + list(stuff.items()),
             'semantic': list(merged.items()) + list(stuff.items())}[task]
    return sorted((lab, m.tobytes()) for lab, m in pairs if m.any())


PANOPTIC = [('coco', 'coco_panoptic.py', COCOPanopticDataset, (80, 53)),
            ('ade20k', 'ade20k_panoptic.py', ADE20KPanopticDataset, (100, 50)),
            ('cityscapes', 'cityscapes_panoptic.py', CityscapesPanopticDataset, (8, 11))]


@pytest.mark.parametrize('cls,counts', [(c, n) for _, _, c, n in PANOPTIC] + [
    (ADE20KSemanticDataset, (100, 50)), (CityscapesSemanticDataset, (8, 11))])
def test_metainfo_things_first(cls: type, counts: tuple[int, int]) -> None:
    meta = cls.METAINFO
    assert (len(meta['thing_classes']), len(meta['stuff_classes'])) == counts
    assert meta['classes'] == meta['thing_classes'] + meta['stuff_classes']
    assert len(set(meta['classes'])) == len(meta['classes']) == len(meta['palette'])
    assert DATASETS.get(cls.__name__) is cls


def test_ade20k_table_matches_mmdet_split() -> None:
    """Same 100/50 split as mmdet's independent table (which spells two names differently)."""
    from mmdet.datasets.ade20k import ADE20KPanopticDataset as MMDetADE
    spelling = {'window ': 'window', 'plane': 'airplane'}
    ours = ADE20KPanopticDataset.METAINFO
    for key in ('thing_classes', 'stuff_classes'):
        assert [spelling.get(n, n) for n in ours[key]] == list(MMDetADE.METAINFO[key])


@pytest.mark.parametrize('dataset,base,cls,counts', PANOPTIC)
def test_panoptic_base_loads_fixture(data_root: Path, dataset: str, base: str, cls: type,
                                     counts: tuple[int, int]) -> None:
    cfg = _config(base, data_root / dataset)
    assert (cfg.num_things_classes, cfg.num_stuff_classes) == counts
    assert cfg.dataset_type == cls.__name__
    train_cfg = cfg.train_dataloader.dataset
    train = DATASETS.build(train_cfg)
    assert type(train) is cls and len(train) == 2
    # Things first, whatever the JSON order: COCO person/banner, ADE20K person/wall (ids 12/0),
    # Cityscapes person/road (label ids 24/7; the JSON lists stuff first).
    thing_id, stuff_id = {'coco': (1, 92), 'ade20k': (12, 0), 'cityscapes': (24, 7)}[dataset]
    assert train.cat2label[thing_id] == _label(cls, dataset, thing_id) < counts[0]
    assert train.cat2label[stuff_id] == _label(cls, dataset, stuff_id) >= counts[0]
    assert sorted(train.cat2label.values()) == list(range(sum(counts)))

    # Task targets through the base's own loading and DeriveTaskTargets steps (no random crop).
    fixed = [t for t in train_cfg.pipeline if t['type'] not in RANDOM_STEPS]
    for task in ('panoptic', 'instance', 'semantic'):
        ds = DATASETS.build(dict(train_cfg, pipeline=fixed, tasks=(task, )))
        for idx, layout in enumerate(LAYOUTS[dataset]):
            sample = ds[idx]['data_samples']
            assert sample.task == task
            got = sorted((int(lab), m.astype(bool).tobytes()) for lab, m in
                         zip(sample.gt_instances.labels, sample.gt_instances.masks.masks))
            assert got == _expected_targets(dataset, layout, task, counts[0], cls), (task, idx)

    # The full training pipeline (random resize, crop, colour, flip) with sampled tasks.
    crop_hw = cfg.image_size
    for idx in range(2):
        out = train[idx]
        sample = out['data_samples']
        assert out['inputs'].shape[0] == 3
        assert out['inputs'].shape[1] <= crop_hw[0] and out['inputs'].shape[2] <= crop_hw[1]
        labels = sample.gt_instances.labels
        assert labels.numel() == len(sample.gt_instances.masks)
        if sample.task == 'instance':
            assert (labels < counts[0]).all()
        assert ((labels >= 0) & (labels < sum(counts))).all()

    val = DATASETS.build(cfg.val_dataloader.dataset)
    out = val[0]
    assert out['data_samples'].gt_sem_seg.sem_seg.shape[-2:] == (H, W)
    assert out['inputs'].shape[1:] == out['data_samples'].img_shape


@pytest.mark.parametrize('dataset,base,cls,counts', PANOPTIC)
def test_panoptic_base_evaluatesgt_as_prediction(data_root: Path, dataset: str, base: str,
                                                  cls: type, counts: tuple[int, int]) -> None:
    cfg = _config(base, data_root / dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    samples = [gt_as_prediction(val, i) for i in range(len(val))]
    metrics = evaluate(cfg.val_evaluator, val, samples)
    assert metrics['panoptic/PQ'] == pytest.approx(100.0)
    assert metrics['instance/segm_mAP'] == pytest.approx(1.0)
    assert metrics['semantic/mIoU'] == pytest.approx(100.0)


@pytest.mark.parametrize('dataset,base,cls', [
    ('ade20k', 'ade20k_semantic.py', ADE20KSemanticDataset),
    ('cityscapes', 'cityscapes_semantic.py', CityscapesSemanticDataset)])
def test_semantic_base_loads_and_evaluates_fixture(data_root: Path, dataset: str, base: str,
                                                   cls: type) -> None:
    cfg = _config(base, data_root / dataset)
    assert (cfg.num_things_classes, cfg.num_stuff_classes) == (0, len(cls.METAINFO['classes']))
    train_cfg = cfg.train_dataloader.dataset
    fixed = [t for t in train_cfg.pipeline if t['type'] not in RANDOM_STEPS]
    ds = DATASETS.build(dict(train_cfg, pipeline=fixed))
    assert type(ds) is cls and len(ds) == 2
    num_things = len(cls.METAINFO['thing_classes'])
    for idx, layout in enumerate(LAYOUTS[dataset]):  # sorted by path = NAMES order
        sample = ds[idx]['data_samples']
        got = sorted((int(lab), m.astype(bool).tobytes()) for lab, m in
                     zip(sample.gt_instances.labels, sample.gt_instances.masks.masks))
        # Label maps keep crowd pixels: with things merged per class, that is the semantic set
        # of a layout whose crowd regions count as their class.
        no_crowd = [(s, c, 0, *box) for s, c, _, *box in layout]
        assert sample.task == 'semantic'
        assert got == _expected_targets(dataset, no_crowd, 'semantic', num_things, cls)
    person = cls.METAINFO['classes'].index('person')
    assert person < num_things  # things first, not the file's order (ADE 12, Cityscapes 11)
    out = DATASETS.build(train_cfg)[0]  # full random pipeline
    assert out['inputs'].shape[1] <= cfg.image_size[0]
    assert out['inputs'].shape[2] <= cfg.image_size[1]

    val = DATASETS.build(cfg.val_dataloader.dataset)
    samples = []
    for idx in range(len(val)):
        sample = val[idx]['data_samples']
        assert sample.gt_sem_seg.sem_seg.shape[-2:] == (H, W)
        sample.pred_sem_seg = PixelData(sem_seg=sample.gt_sem_seg.sem_seg.clone())
        samples.append(sample)
    assert evaluate(cfg.val_evaluator, val, samples)['semantic/mIoU'] == pytest.approx(100.0)


def test_semantic_dataset_subset_classes(data_root: Path) -> None:
    """A custom class list relabels through the native order; other classes become 255."""
    ds = CityscapesSemanticDataset(
        data_root=str(data_root / 'cityscapes'), metainfo=dict(classes=('sky', 'person')),
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'))
    assert ds.label_map[10] == 0 and ds.label_map[11] == 1 and ds.label_map[0] == 255
    with pytest.raises(ValueError, match='not among'):
        CityscapesSemanticDataset.get_label_map(['unicorn'])
    with pytest.raises(ValueError, match='empty split'):
        CityscapesSemanticDataset(data_root=str(data_root / 'cityscapes'),
                                  data_prefix=dict(img_path='gtFine/val', seg_map_path='gtFine'))


@pytest.mark.skipif(not (COCO_SAMPLE / 'panoptic_coco_categories.json').is_file(),
                    reason=f'COCO panoptic sample not found at {COCO_SAMPLE} '
                           '(see shared/data/README.md)')
def test_coco_metainfo_matches_official_categories() -> None:
    cats = json.loads((COCO_SAMPLE / 'panoptic_coco_categories.json').read_text())
    meta = COCOPanopticDataset.METAINFO
    assert list(meta['classes']) == [c['name'] for c in cats]  # COCO: things first by id
    assert [c['id'] for c in cats] == COCO_IDS
    assert list(meta['thing_classes']) == [c['name'] for c in cats if c['isthing']]
    assert meta['palette'] == [tuple(c['color']) for c in cats]
