"""``tools/test.py --out-dir``: each task's predictions in its evaluator's file format, in a
folder of its own, checked as files (JSON that parses, PNGs that match it, RLE that decodes)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image
from pycocotools import mask as mask_utils

from unibench.benchmark.speed import build_inference_model
from unibench.engine.config import set_test_tasks
from unibench.engine.out_dir import publish_out_dir, set_out_dir
from unibench.testing import TINY_MODELS, tiny_config

REPO = Path(__file__).resolve().parents[2]
ONEFORMER = REPO / 'configs/oneformer/oneformer_r18-w32_1xb16-1k_shapes64.py'  # the joint model
NUM_CLASSES = 12  # configs/_base_/datasets/shapes.py


@pytest.fixture(scope='module')
def oneformer(tiny_shapes, tmp_path_factory):
    """A tiny OneFormer config and a checkpoint of its randomly initialised inference model
    (the file formats are under test, not the scores; no training subprocess needed)."""
    cfg = tiny_config(str(ONEFORMER), data_root=tiny_shapes, work_dir='unused',
                      model=TINY_MODELS['oneformer'])
    # A random model is never confident: keep every query, so that the panoptic PNGs hold
    # segments for the JSON to be checked against.
    cfg.model.test_cfg.update(object_mask_thr=0.0, iou_thr=0.0, filter_low_score=False)
    folder = tmp_path_factory.mktemp('oneformer')
    cfg.dump(str(folder / 'oneformer_tiny.py'))
    torch.manual_seed(0)
    model = build_inference_model(cfg)
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), folder / 'random.pth')
    return folder / 'oneformer_tiny.py', folder / 'random.pth'


def val_split(tiny_shapes: Path) -> tuple:
    """The val split's images (id -> (file stem, height, width)) and categories (id -> dict)."""
    ann = json.loads((tiny_shapes / 'annotations/panoptic_val.json').read_text())
    return ({im['id']: (Path(im['file_name']).stem, im['height'], im['width'])
             for im in ann['images']}, {c['id']: c for c in ann['categories']})


def rgb2id(png: np.ndarray) -> np.ndarray:
    png = png.astype(np.int64)
    return png[..., 0] + 256 * png[..., 1] + 256 * 256 * png[..., 2]


def check_panoptic(folder: Path, images: dict, categories: dict) -> None:
    """COCO panoptic results: a JSON of annotations, one PNG per image holding its segments."""
    result = json.loads((folder / 'results.panoptic.json').read_text())
    by_image = {a['image_id']: a for a in result['annotations']}
    assert set(by_image) == set(images)
    assert any(a['segments_info'] for a in by_image.values())
    for image_id, ann in by_image.items():
        png = np.asarray(Image.open(folder / 'results.panoptic' / ann['file_name']))
        assert png.shape == (images[image_id][1], images[image_id][2], 3)
        ids = set(np.unique(rgb2id(png)).tolist()) - {0}  # 0: void
        assert {s['id'] for s in ann['segments_info']} == ids, ann['file_name']
        for segment in ann['segments_info']:
            assert segment['area'] == int((rgb2id(png) == segment['id']).sum())
            assert int(segment['isthing']) == categories[segment['category_id']]['isthing']


def check_instance(folder: Path, images: dict, categories: dict) -> None:
    """COCO results: a list of detections whose masks are RLE of the image's size."""
    results = json.loads((folder / 'results.segm.json').read_text())
    assert isinstance(results, list) and results
    assert {r['image_id'] for r in results} == set(images)
    for r in results:
        assert set(r) >= {'image_id', 'category_id', 'score', 'segmentation'}
        assert categories[r['category_id']]['isthing']
        rle = r['segmentation']
        assert isinstance(rle['counts'], str) and rle['size'] == list(images[r['image_id']][1:])
        assert mask_utils.decode(rle).shape == tuple(rle['size'])


def check_semantic(folder: Path, images: dict, categories: dict) -> None:
    """One label PNG per image, of its size, with class indices only."""
    pngs = sorted(folder.glob('*.png'))
    assert sorted(p.stem for p in pngs) == sorted(stem for stem, _, _ in images.values())
    for stem, height, width in images.values():
        labels = np.asarray(Image.open(folder / f'{stem}.png'))
        assert labels.shape == (height, width) and labels.dtype == np.uint8
        assert labels.max() < len(categories) == NUM_CLASSES


CHECKS = dict(panoptic=check_panoptic, instance=check_instance, semantic=check_semantic)


@pytest.mark.slow  # one tools/test.py subprocess
# pycocotools' decode under numpy 2; the RLE is decoded all the same.
@pytest.mark.filterwarnings('ignore:__array__ implementation:DeprecationWarning')
def test_every_task_of_the_joint_model_is_kept_in_its_format(oneformer, tiny_shapes, tmp_path):
    config, checkpoint = oneformer
    out = tmp_path / 'preds'
    (out / 'semantic').mkdir(parents=True)
    (out / 'semantic' / 'from_an_earlier_test.png').write_bytes(b'old')
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', str(config), str(checkpoint), '--task', 'all',
         '--work-dir', str(tmp_path / 'work'), '--out-dir', str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for key in ('panoptic/PQ:', 'instance/segm_mAP:', 'semantic/mIoU:'):  # still scored
        assert key in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ['instance', 'panoptic', 'semantic']
    images, categories = val_split(tiny_shapes)
    for task, check in CHECKS.items():
        assert f'predictions: {out / task}' in proc.stdout
        check(out / task, images, categories)  # the earlier test's file went with its folder


def test_each_task_writes_to_its_own_staged_folder(oneformer, tmp_path):
    for name in ('.semantic.partial/of_a_killed_test.png', 'semantic/of_the_last_test.png'):
        (tmp_path / name).parent.mkdir()
        (tmp_path / name).write_bytes(b'png')
    cfg = Config.fromfile(str(oneformer[0]))
    tasks = set_test_tasks(cfg, 'all')
    dirs = set_out_dir(cfg, str(tmp_path), tasks)
    # Until the test has finished, the last test's predictions stay, a killed one's are gone.
    assert not list((tmp_path / '.semantic.partial').iterdir())
    assert (tmp_path / 'semantic/of_the_last_test.png').is_file()
    metrics = cfg.test_evaluator.metrics
    assert metrics.panoptic.outfile_prefix == str(tmp_path / '.panoptic.partial' / 'results')
    assert metrics.instance.outfile_prefix == str(tmp_path / '.instance.partial' / 'results')
    assert metrics.semantic.output_dir == str(tmp_path / '.semantic.partial')
    assert dirs == {t: str(tmp_path / t) for t in ('panoptic', 'instance', 'semantic')}
    assert all((tmp_path / f'.{t}.partial').is_dir() for t in tasks)
    assert publish_out_dir(dirs) == list(dirs.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ['instance', 'panoptic', 'semantic']
    assert not list((tmp_path / 'semantic').iterdir())

    cfg = Config.fromfile(str(oneformer[0]))
    assert list(set_out_dir(cfg, str(tmp_path / 'one'), set_test_tasks(cfg, 'semantic'))) == [
        'semantic']
    assert 'outfile_prefix' not in cfg.test_evaluator.metrics.panoptic


def test_a_task_without_a_file_writer_is_named(oneformer, tmp_path):
    cfg = Config.fromfile(str(oneformer[0]))
    cfg.test_evaluator.metrics.semantic = dict(type='DumpResults', out_file_path='x.pkl')
    with pytest.raises(ValueError, match=r"test_evaluator.metrics.semantic .* \['DumpResults'\] "
                                         r'have 0'):
        set_out_dir(cfg, str(tmp_path), ['semantic'])
    cfg.test_evaluator.metrics.semantic = dict(type='SemSegIoUMetricc')
    with pytest.raises(KeyError, match="'SemSegIoUMetricc' is not a registered metric"):
        set_out_dir(cfg, str(tmp_path), ['semantic'])
    with pytest.raises(FileNotFoundError, match='the panoptic predictions were not written'):
        publish_out_dir({'panoptic': str(tmp_path / 'nothing' / 'panoptic')})
