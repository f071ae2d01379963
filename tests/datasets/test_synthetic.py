"""Tests of the ``unibench-shapes`` generator (CPU, small images)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_util

from unibench.datasets.convert import load_segment_ids, mask_bbox
from unibench.datasets.shapes_render import (
    PRESETS,
    THING_FILLS,
    _paint_instances,
    _thing_fill,
)
from unibench.datasets.synthetic import (
    MIN_SEGMENT_AREA,
    SHAPES_CATEGORIES,
    STUFF_CLASSES,
    THING_CLASSES,
    generate_shapes_dataset,
    render_sample,
    write_preview,
)
from unibench.structures import IGNORE_INDEX

SIZE = 64
NUM = {'train': 8, 'val': 4}
THING_IDS = {c['id'] for c in SHAPES_CATEGORIES if c['isthing']}
REPO = Path(__file__).resolve().parents[2]


def _generate(root: Path, *, seed: int = 0, workers: int = 1) -> dict:
    return generate_shapes_dataset(root, num_train=NUM['train'], num_val=NUM['val'], size=SIZE,
                                   seed=seed, workers=workers, progress=False)


def _digest(root: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob('*') if p.is_file()):
        sha.update(str(path.relative_to(root)).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope='module')
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp('shapes')
    return root, _generate(root)


def test_categories() -> None:
    assert len(THING_CLASSES) >= 6 and len(STUFF_CLASSES) >= 4
    assert [c['id'] for c in SHAPES_CATEGORIES] == list(range(1, len(SHAPES_CATEGORIES) + 1))
    assert [c['name'] for c in SHAPES_CATEGORIES] == list(THING_CLASSES + STUFF_CLASSES)
    assert [c['isthing'] for c in SHAPES_CATEGORIES] == [1] * 7 + [0] * len(STUFF_CLASSES)


def test_layout(dataset: tuple[Path, dict]) -> None:
    root, result = dataset
    ann = root / 'annotations'
    for split, num in NUM.items():
        info = result['splits'][split]
        assert info['num_images'] == num
        assert info['instances_json'] == str(ann / f'instances_{split}.json')
        pan = _load(ann / f'panoptic_{split}.json')
        assert pan['categories'] == SHAPES_CATEGORIES
        assert [im['id'] for im in pan['images']] == list(range(1, num + 1))
        for image, annotation in zip(pan['images'], pan['annotations']):
            stem = f'{image["id"] - 1:06d}'
            assert image['file_name'] == f'{stem}.jpg'
            assert (image['height'], image['width']) == (SIZE, SIZE)
            assert annotation['image_id'] == image['id']
            assert annotation['file_name'] == f'{stem}.png'
            with Image.open(root / split / image['file_name']) as img:
                assert (img.format, img.mode, img.size) == ('JPEG', 'RGB', (SIZE, SIZE))
            assert (ann / f'panoptic_{split}' / f'{stem}.png').is_file()
            assert (ann / f'semantic_{split}' / f'{stem}.png').is_file()


def test_no_temp_files_left(dataset: tuple[Path, dict]) -> None:
    root, _ = dataset
    assert [p for p in root.rglob('*') if p.name.startswith('.') or p.suffix == '.tmp'] == []


def test_deterministic_across_runs_and_workers(dataset: tuple[Path, dict],
                                               tmp_path: Path) -> None:
    root, _ = dataset
    _generate(tmp_path / 'again', workers=2)  # separate processes, same bytes
    _generate(tmp_path / 'other', seed=1)
    assert _digest(tmp_path / 'again') == _digest(root)
    assert _digest(tmp_path / 'other') != _digest(root)


def test_panoptic_png_matches_segments_info(dataset: tuple[Path, dict]) -> None:
    root, _ = dataset
    for split in NUM:
        pan = _load(root / 'annotations' / f'panoptic_{split}.json')
        for ann in pan['annotations']:
            ids = load_segment_ids(root / 'annotations' / f'panoptic_{split}' / ann['file_name'])
            segs = ann['segments_info']
            listed = [s['id'] for s in segs]
            assert len(set(listed)) == len(listed) and 0 not in listed
            assert set(np.unique(ids).tolist()) - {0} == set(listed)
            for seg in segs:
                mask = ids == seg['id']
                assert seg['area'] == int(mask.sum()) >= MIN_SEGMENT_AREA
                assert seg['bbox'] == mask_bbox(mask)
                assert seg['iscrowd'] == 0
            things = [s for s in segs if s['category_id'] in THING_IDS]
            assert 1 <= len(things) <= 6
            assert len(things) < len(segs), 'every image needs a stuff segment'


def test_semantic_and_instances_follow_panoptic(dataset: tuple[Path, dict]) -> None:
    root, _ = dataset
    index = {c['id']: i for i, c in enumerate(SHAPES_CATEGORIES)}
    for split in NUM:
        pan = _load(root / 'annotations' / f'panoptic_{split}.json')
        inst = _load(root / 'annotations' / f'instances_{split}.json')
        assert inst['images'] == pan['images']
        assert [c['id'] for c in inst['categories']] == sorted(THING_IDS)
        by_image: dict[int, list] = {}
        for a in inst['annotations']:
            by_image.setdefault(a['image_id'], []).append(a)
        for ann in pan['annotations']:
            ids = load_segment_ids(root / 'annotations' / f'panoptic_{split}' / ann['file_name'])
            expected = np.full(ids.shape, IGNORE_INDEX, np.uint8)
            for seg in ann['segments_info']:
                expected[ids == seg['id']] = index[seg['category_id']]
            with Image.open(root / 'annotations' / f'semantic_{split}' / ann['file_name']) as im:
                assert im.mode == 'L'
                np.testing.assert_array_equal(np.asarray(im), expected)
            things = [s for s in ann['segments_info'] if s['category_id'] in THING_IDS]
            got = by_image.get(ann['image_id'], [])
            assert len(got) == len(things)
            for seg, a in zip(things, got):
                decoded = mask_util.decode(a['segmentation']).astype(bool)
                np.testing.assert_array_equal(decoded, ids == seg['id'])
                assert (a['category_id'], a['area'], a['bbox']) == (
                    seg['category_id'], seg['area'], seg['bbox'])


def test_render_sample_contract() -> None:
    image, seg, segs = render_sample(np.random.default_rng(7), 96)
    again = render_sample(np.random.default_rng(7), 96)
    assert image.dtype == np.uint8 and image.shape == (96, 96, 3)
    assert seg.dtype == np.int32 and seg.shape == (96, 96)
    np.testing.assert_array_equal(image, again[0])
    np.testing.assert_array_equal(seg, again[1])
    assert segs == again[2]
    assert set(np.unique(seg).tolist()) - {0} == {s['id'] for s in segs}


@pytest.mark.parametrize('preset', ['default', 'demo'])
def test_colour_does_not_determine_class(preset: str) -> None:
    """A nearest-class-mean classifier on segment mean colour stays near chance level."""
    feats: dict[bool, list] = {True: [], False: []}
    labels: dict[bool, list] = {True: [], False: []}
    for i in range(40 if preset == 'default' else 80):  # the demo draws fewer things
        image, seg, segs = render_sample(np.random.default_rng([123, i]), SIZE, PRESETS[preset])
        for s in segs:
            thing = s['category_id'] in THING_IDS
            feats[thing].append(image[seg == s['id']].mean(axis=0))
            labels[thing].append(s['category_id'])
    for thing, chance_bound in ((True, 0.35), (False, 0.45)):
        x, y = np.array(feats[thing]), np.array(labels[thing])
        correct = 0
        for i in range(len(x)):  # leave-one-out nearest class mean
            keep = np.arange(len(x)) != i
            classes = np.unique(y[keep])
            means = np.stack([x[keep & (y == c)].mean(axis=0) for c in classes])
            correct += classes[np.argmin(((means - x[i]) ** 2).sum(axis=1))] == y[i]
        assert correct / len(x) < chance_bound
        for c in np.unique(y):
            if (y == c).sum() >= 5:  # each class appears in many different colours
                assert (x[y == c].std(axis=0) > 30).all(), c


def test_each_thing_class_of_the_demo_preset_has_its_own_fill() -> None:
    """The fills of the demo preset, on a disc of radius 10 over a grey box: where the second
    colour goes is the style; the two colours are random, grain aside."""
    assert PRESETS['demo'].thing_fills and not PRESETS['default'].thing_fills
    assert sorted(THING_FILLS) == sorted(THING_CLASSES)
    assert len(set(THING_FILLS.values())) == len(THING_CLASSES)  # one style per class
    yy, xx = np.mgrid[0:24, 0:24] + 0.5
    dist = np.hypot(xx - 12, yy - 12)
    cover = (dist < 10).astype(np.float32)
    inner = [(np.array([(6.5, 6.5), (17.5, 6.5), (17.5, 17.5), (6.5, 17.5)]), 255)]
    background = np.full((24, 24, 3), 128, np.float32)

    def fill_of(style: str) -> np.ndarray:
        return _thing_fill(np.random.default_rng(0), style, background, cover,
                           centre=np.array([12.0, 12.0]), radius=10.0, inner=inner)

    def gap(fill: np.ndarray, p: tuple, q: tuple) -> float:
        """L1 colour distance of the 3 x 3 means around pixels p and q (grain averaged)."""
        (y0, x0), (y1, x1) = p, q
        return float(np.abs(fill[y0 - 1:y0 + 2, x0 - 1:x0 + 2].mean(axis=(0, 1))
                            - fill[y1 - 1:y1 + 2, x1 - 1:x1 + 2].mean(axis=(0, 1))).sum())

    inside = dist < 9
    assert fill_of('flat')[inside].std(axis=0).max() < 10  # one colour and grain (std 6)
    for style in ('ramp', 'radial', 'core', 'split', 'speckle', 'dot'):
        assert fill_of(style)[inside].std(axis=0).max() > 25, style  # two colours that show
    centre, rim, rim2 = (12, 12), (12, 3), (3, 12)
    radial = fill_of('radial')
    assert gap(radial, centre, (12, 8)) < gap(radial, centre, rim)  # changes towards the rim
    assert gap(radial, centre, rim) > 60
    for style in ('dot', 'core'):  # the centre differs from the rim, the rim is one colour
        fill = fill_of(style)
        assert gap(fill, centre, rim) > 60 and gap(fill, rim, rim2) < 25, style
        assert gap(fill, centre, (11, 11)) < 25, style
    speckle = fill_of('speckle')
    assert gap(speckle, centre, rim) < 60  # no layout: the pixels are mixed
    assert np.abs(np.diff(speckle[inside], axis=0)).sum(axis=1).mean() > 60
    with pytest.raises(ValueError, match="unknown thing fill 'plaid'"):
        fill_of('plaid')


def test_paint_instances_occlusion_and_tiny_segments() -> None:
    stuff = np.zeros((10, 10), np.int32)
    stuff[:, 8:] = 1
    stuff[6:, 9] = 2  # a 4-pixel stuff region: below min_area, so void
    big = np.zeros((10, 10), bool)
    big[1:7, 1:7] = True
    top = np.zeros((10, 10), bool)
    top[4:9, 4:9] = True
    hidden = np.zeros((10, 10), bool)
    hidden[5:7, 5:7] = True  # fully covered by `top`, drawn before it
    tiny = np.zeros((10, 10), bool)
    tiny[0, 0:3] = True  # 3 pixels, drawn last
    out = _paint_instances(stuff, [big, hidden, top, tiny], first_slot=3, min_area=5)
    expected = stuff.copy()
    expected[stuff == 2] = -1
    expected[big] = 3
    expected[top] = 5
    expected[tiny] = -1
    np.testing.assert_array_equal(out, expected)
    assert not (out == 4).any()


def test_write_preview(dataset: tuple[Path, dict], tmp_path: Path) -> None:
    root, _ = dataset
    out = write_preview(root, tmp_path / 'p' / 'preview.png', split='val', num=4)
    with Image.open(out) as img:
        assert img.mode == 'RGB'
        assert img.width > 4 * SIZE and img.height > 2 * SIZE


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_train=0, num_val=0), 'empty dataset'),
    (dict(num_train=2, num_val=0, size=31), 'size must be >= 32'),
    (dict(num_train=-1, num_val=2), 'num_train and num_val must be >= 0'),
    (dict(num_train=1, num_val=0, seed=-3), 'seed must be >= 0'),
])
def test_bad_arguments(tmp_path: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        generate_shapes_dataset(tmp_path / 'x', **{'size': SIZE, **kwargs})
    assert not (tmp_path / 'x').exists()


@pytest.mark.parametrize('argv, message', [
    (['--train', '0', '--val', '0'], '--train 0 --val 0 asks for an empty dataset'),
    (['--size', '16'], '--size must be >= 32'),
])
def test_cli_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               argv: list[str], message: str) -> None:
    spec = importlib.util.spec_from_file_location('make_synthetic',
                                                  REPO / 'tools' / 'make_synthetic.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit) as exc:
        tool.main(['--out', str(tmp_path / 'x'), *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / 'x').exists()
