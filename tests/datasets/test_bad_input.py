"""Bad input stops with an error that names the file, id or key."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from unibench.datasets.convert import id2rgb, load_segment_ids
from unibench.registry import DATASETS


@pytest.fixture
def shapes(tiny_shapes, tmp_path):
    root = tmp_path / 'shapes'
    shutil.copytree(tiny_shapes, root)
    return root


def build(root, *, train=True, ann='annotations/panoptic_train.json'):
    split = 'train' if train else 'val'
    return DATASETS.build(dict(
        type='ShapesPanopticDataset', data_root=str(root), ann_file=ann,
        data_prefix=dict(img=f'{split}/', seg=f'annotations/panoptic_{split}/'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True,
                       with_seg=True)]))


def edit_json(path, fn):
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def test_the_tiny_split_loads(shapes):
    dataset = build(shapes)
    assert len(dataset) == 8
    sample = dataset[0]
    assert sample['gt_seg_map'].shape == (64, 64)
    assert set(np.unique(sample['gt_seg_map'])) <= set(range(12)) | {255}


def test_missing_annotation_file(shapes):
    with pytest.raises(FileNotFoundError, match='annotation file not found: .*nope.json'):
        build(shapes, ann='annotations/nope.json')


def test_corrupt_annotation_file(shapes):
    path = shapes / 'annotations' / 'panoptic_train.json'
    path.write_text(path.read_text()[:100])
    with pytest.raises(ValueError, match='corrupt annotation file .*panoptic_train.json'):
        build(shapes)


def test_empty_split(shapes):
    edit_json(shapes / 'annotations' / 'panoptic_train.json',
              lambda d: (d['images'].clear(), d['annotations'].clear()))
    with pytest.raises(ValueError, match='empty split: .*panoptic_train.json lists no images'):
        build(shapes)


def test_missing_image(shapes):
    (shapes / 'train' / '000003.jpg').unlink()
    with pytest.raises(FileNotFoundError, match='img_path file.*000003.jpg'):
        build(shapes)


def test_unknown_category_id(shapes):
    edit_json(shapes / 'annotations' / 'panoptic_train.json',
              lambda d: d['annotations'][2]['segments_info'][0].update(category_id=77))
    with pytest.raises(ValueError, match='000002.jpg has a segment with unknown category id 77'):
        build(shapes)


def test_segment_id_absent_from_png(shapes):
    ann = json.loads((shapes / 'annotations' / 'panoptic_train.json').read_text())
    first = ann['annotations'][0]
    png = shapes / 'annotations' / 'panoptic_train' / first['file_name']
    ids = load_segment_ids(png)
    gone = first['segments_info'][-1]['id']
    ids[ids == gone] = 0
    Image.fromarray(id2rgb(ids).astype(np.uint8)).save(png)
    dataset = build(shapes)
    with pytest.raises(ValueError, match=rf'{first["file_name"]}: segment ids \[{gone}\]'):
        dataset[0]


def test_corrupt_png(shapes):
    ann = json.loads((shapes / 'annotations' / 'panoptic_train.json').read_text())
    png = shapes / 'annotations' / 'panoptic_train' / ann['annotations'][0]['file_name']
    dataset = build(shapes)
    png.write_bytes(b'not a png')
    with pytest.raises(ValueError, match='corrupt panoptic PNG: .*' + png.name):
        dataset[0]


def test_unknown_task(shapes):
    with pytest.raises(ValueError, match=r"unknown tasks \['panoptik'\]"):
        DATASETS.build(dict(type='ShapesPanopticDataset', data_root=str(shapes),
                            ann_file='annotations/panoptic_train.json', tasks=('panoptik', )))
