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


def first_annotation(root):
    ann = json.loads((root / 'annotations' / 'panoptic_train.json').read_text())['annotations'][0]
    return ann, root / 'annotations' / 'panoptic_train' / ann['file_name']


def test_duplicate_segment_ids_in_one_image(shapes):
    def repeat(data):
        segments = data['annotations'][2]['segments_info']
        segments.append(dict(segments[1]))
    edit_json(shapes / 'annotations' / 'panoptic_train.json', repeat)
    ann = json.loads((shapes / 'annotations' / 'panoptic_train.json').read_text())
    dup = ann['annotations'][2]['segments_info'][1]['id']
    with pytest.raises(ValueError, match=rf'panoptic_train.json: image 000002.jpg lists segment '
                                         rf'ids \[{dup}\] more than once'):
        build(shapes)


def test_the_same_segment_id_in_two_images_is_fine(shapes):
    """Segment ids are unique per image only (COCO's converters reuse them across images)."""
    path = shapes / 'annotations' / 'panoptic_train.json'
    ann = json.loads(path.read_text())
    for k in (0, 1):
        png = shapes / 'annotations' / 'panoptic_train' / ann['annotations'][k]['file_name']
        ids = load_segment_ids(png)
        ids[ids == ann['annotations'][k]['segments_info'][0]['id']] = 7
        Image.fromarray(id2rgb(ids).astype(np.uint8)).save(png)
    edit_json(path, lambda d: [d['annotations'][k]['segments_info'][0].update(id=7)
                               for k in (0, 1)])
    dataset = build(shapes)
    for k in (0, 1):
        segments = dataset.get_data_info(k)['segments_info']
        assert [s['id'] for s in segments].count(7) == 1
        assert (dataset[k]['gt_seg_map'] == segments[0]['category']).any()


def test_a_segment_with_more_pixels_in_the_png_than_its_json_area(shapes):
    ann, png = first_annotation(shapes)
    seg = ann['segments_info'][1]
    edit_json(shapes / 'annotations' / 'panoptic_train.json',
              lambda d: d['annotations'][0]['segments_info'][1].update(area=seg['area'] - 5))
    with pytest.raises(ValueError, match=rf'{png.name}: segment {seg["id"]} of image .*000000.jpg '
                                         rf'has {seg["area"]} pixels in the PNG but its JSON area '
                                         rf'is {seg["area"] - 5}: .*regenerate'):
        build(shapes)[0]


def test_a_json_area_above_the_png_is_logged_once_and_the_png_used(shapes, monkeypatch):
    """ADE20K's converter counts stuff before pasting the things over it."""
    from unibench.datasets.transforms import loading
    logged = []
    monkeypatch.setattr(loading, 'print_log', lambda msg, **kw: logged.append(msg))
    monkeypatch.setattr(loading.LoadPanopticAnnotations, '_smaller_area_logged', False)
    ann, png = first_annotation(shapes)
    seg = ann['segments_info'][0]

    def inflate(data):
        for a in data['annotations'][:2]:
            a['segments_info'][0]['area'] += 9
    edit_json(shapes / 'annotations' / 'panoptic_train.json', inflate)
    dataset = build(shapes)
    sample = dataset[0]
    assert len(logged) == 1
    assert (f'{png.name}: segment {seg["id"]} of image' in logged[0]
            and f'has {seg["area"]} pixels in the PNG, its JSON area is {seg["area"] + 9}'
            in logged[0])
    label = dataset.get_data_info(0)['segments_info'][0]['category']
    assert (sample['gt_seg_map'] == label).sum() >= seg['area']  # the PNG's pixels, all of them
    dataset[1]
    assert len(logged) == 1  # once per process


def test_a_png_of_another_size_than_its_image(shapes):
    ann, png = first_annotation(shapes)
    ids = load_segment_ids(png)
    Image.fromarray(id2rgb(ids[:60]).astype(np.uint8)).save(png)  # 60 x 64, image 64 x 64
    with pytest.raises(ValueError, match=rf'panoptic PNG .*{png.name} is 60x64 .* its image '
                                         r'.*000000.jpg decodes to 64x64'):
        build(shapes)[0]
