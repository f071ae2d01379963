"""Tests of the panoptic -> semantic / instances converters on a hand-made example."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_util

from unibench.datasets.convert import id2rgb, panoptic_to_instances, panoptic_to_semantic, rgb2id
from unibench.utils import io

# Non-contiguous category ids (things first, as in COCO) -> contiguous 0, 1, 2, 3.
CATEGORIES = [
    {'id': 3, 'name': 'cat', 'supercategory': 'animal', 'isthing': 1, 'color': [1, 2, 3]},
    {'id': 7, 'name': 'dog', 'supercategory': 'animal', 'isthing': 1, 'color': [4, 5, 6]},
    {'id': 10, 'name': 'grass', 'supercategory': 'plant', 'isthing': 0, 'color': [7, 8, 9]},
    {'id': 12, 'name': 'sky', 'supercategory': 'sky', 'isthing': 0, 'color': [9, 9, 9]},
]
SKY, GRASS, CAT_A, CAT_B, DOGS, UNLISTED = 0x0A0B0C, 70000, 5, 300, 1 << 23, 99
# Image 1 (5 x 6): sky on top, grass below, two cats, a crowd of dogs, void (0) and one pixel
# with an id that segments_info does not list (treated as void, like detectron2 does).
IDS_1 = np.array([
    [SKY, SKY, SKY, SKY, SKY, UNLISTED],
    [SKY, CAT_A, CAT_A, SKY, 0, 0],
    [GRASS, CAT_A, CAT_A, DOGS, DOGS, DOGS],
    [GRASS, GRASS, CAT_B, DOGS, DOGS, GRASS],
    [GRASS, GRASS, GRASS, GRASS, GRASS, GRASS],
])
IDS_2 = np.full((3, 4), GRASS)  # stuff only: no instances
SEMANTIC_1 = np.array([
    [3, 3, 3, 3, 3, 255],
    [3, 0, 0, 3, 255, 255],
    [2, 0, 0, 1, 1, 1],
    [2, 2, 0, 1, 1, 2],
    [2, 2, 2, 2, 2, 2],
], np.uint8)


def _segment(seg_id: int, category_id: int, iscrowd: int = 0) -> dict:
    # bbox / area deliberately bogus: converters must recompute from the PNG.
    return {'id': seg_id, 'category_id': category_id, 'iscrowd': iscrowd, 'bbox': [0, 0, 1, 1],
            'area': 1}


@pytest.fixture
def panoptic(tmp_path: Path) -> tuple[Path, Path]:
    png_dir = tmp_path / 'panoptic_val'
    png_dir.mkdir()
    Image.fromarray(id2rgb(IDS_1)).save(png_dir / 'a.png')
    Image.fromarray(id2rgb(IDS_2)).save(png_dir / 'b.png')
    data = {
        'images': [{'id': 1, 'file_name': 'a.jpg', 'height': 5, 'width': 6},
                   {'id': 2, 'file_name': 'b.jpg', 'height': 3, 'width': 4}],
        'annotations': [
            {'image_id': 1, 'file_name': 'a.png', 'segments_info': [
                _segment(SKY, 12), _segment(CAT_A, 3), _segment(GRASS, 10),
                _segment(DOGS, 7, iscrowd=1), _segment(CAT_B, 3),
                _segment(4242, 7)]},  # listed but absent from the PNG
            {'image_id': 2, 'file_name': 'b.png', 'segments_info': [_segment(GRASS, 10)]}],
        'categories': CATEGORIES,
    }
    json_path = tmp_path / 'panoptic_val.json'
    json_path.write_text(json.dumps(data))
    return json_path, png_dir


def test_rgb2id_roundtrip() -> None:
    ids = np.array([[0, 1, 255, 256], [65535, 65536, SKY, (1 << 24) - 1]])
    rgb = id2rgb(ids)
    assert rgb.dtype == np.uint8
    assert rgb[1, 2].tolist() == [0x0C, 0x0B, 0x0A]  # R is the least significant byte
    np.testing.assert_array_equal(rgb2id(rgb), ids)


@pytest.mark.parametrize('workers', [1, 2])
def test_semantic(panoptic: tuple[Path, Path], tmp_path: Path, workers: int) -> None:
    json_path, png_dir = panoptic
    out = tmp_path / 'semantic_val'
    assert panoptic_to_semantic(json_path, png_dir, out, workers=workers) == 2
    with Image.open(out / 'a.png') as a, Image.open(out / 'b.png') as b:
        assert a.mode == b.mode == 'L'
        np.testing.assert_array_equal(np.asarray(a), SEMANTIC_1)
        np.testing.assert_array_equal(np.asarray(b), np.full((3, 4), 2, np.uint8))
    assert sorted(p.name for p in out.iterdir()) == ['a.png', 'b.png']  # no temp files


def test_instances(panoptic: tuple[Path, Path], tmp_path: Path) -> None:
    json_path, png_dir = panoptic
    out = tmp_path / 'nested' / 'instances_val.json'
    result = panoptic_to_instances(json_path, png_dir, out)
    assert json.loads(out.read_text()) == result
    source = json.loads(json_path.read_text())
    assert result['images'] == source['images']
    assert result['categories'] == CATEGORIES[:2]
    anns = result['annotations']
    assert [a['id'] for a in anns] == [1, 2, 3]
    expected = [  # (segment id, category, iscrowd, bbox, area) in segments_info order
        (CAT_A, 3, 0, [1, 1, 2, 2], 4),
        (DOGS, 7, 1, [3, 2, 3, 2], 5),
        (CAT_B, 3, 0, [2, 3, 1, 1], 1),
    ]
    for ann, (seg_id, category_id, iscrowd, bbox, area) in zip(anns, expected):
        assert ann['image_id'] == 1
        assert (ann['category_id'], ann['iscrowd'], ann['bbox'], ann['area']) == (
            category_id, iscrowd, bbox, area)
        assert isinstance(ann['segmentation']['counts'], str)
        assert ann['segmentation']['size'] == [5, 6]
        np.testing.assert_array_equal(mask_util.decode(ann['segmentation']).astype(bool),
                                      IDS_1 == seg_id)
        assert mask_util.toBbox(ann['segmentation']).tolist() == bbox


def test_too_many_categories(panoptic: tuple[Path, Path], tmp_path: Path) -> None:
    json_path, png_dir = panoptic
    data = json.loads(json_path.read_text())
    data['categories'] = [{'id': i, 'name': str(i), 'isthing': 0} for i in range(1, 256)]
    json_path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match='255 categories do not fit'):
        panoptic_to_semantic(json_path, png_dir, tmp_path / 'sem')


def test_atomic_write_leaves_nothing_when_interrupted(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / 'file.json'
    io.atomic_write_bytes(target, b'old')

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'replace', interrupted)
    with pytest.raises(KeyboardInterrupt):
        io.atomic_write_bytes(target, b'new')
    assert target.read_bytes() == b'old'
    assert [p.name for p in tmp_path.iterdir()] == ['file.json']
