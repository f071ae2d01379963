"""The real COCO panoptic sample (cocodataset/panopticapi sample_data, ``../shared/data``): the
task targets of its two images and its ground truth scored as predictions (its categories
against unibench's metainfo and the fixtures' ids: test_real_datasets.py)."""
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from unibench.datasets.convert import panoptic_to_instances
from unibench.datasets.real import COCOPanopticDataset
from unibench.testing.ground_truth import evaluate, gt_as_prediction

REPO = Path(__file__).resolve().parents[2]
BASES = REPO / 'configs' / '_base_' / 'datasets'
COCO_SAMPLE = REPO.parent / 'shared' / 'data' / 'coco-panoptic-sample'
needs_sample = pytest.mark.skipif(
    not (COCO_SAMPLE / 'panoptic_examples.json').is_file(),
    reason=f'COCO panoptic sample not found at {COCO_SAMPLE} (see shared/data/README.md)')


def _sample_dataset(pipeline: list) -> COCOPanopticDataset:
    return COCOPanopticDataset(
        data_root=str(COCO_SAMPLE), ann_file='panoptic_examples.json',
        data_prefix=dict(img='input_images/', seg='panoptic_examples/'), test_mode=True,
        pipeline=pipeline)


@needs_sample
def test_coco_sample_task_targets() -> None:
    raw = json.loads((COCO_SAMPLE / 'panoptic_examples.json').read_text())
    isthing = {c['id']: c['isthing'] for c in raw['categories']}
    ds = _sample_dataset([
        dict(type='LoadImageFromFile'),
        dict(type='LoadPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True),
        dict(type='DeriveTaskTargets', num_things_classes=80)])
    assert len(ds) == 2
    for idx, ann in enumerate(raw['annotations']):
        segs = ann['segments_info']
        assert len(ds.get_data_info(idx)['segments_info']) == len(segs)
        things = [s for s in segs if isthing[s['category_id']] and not s['iscrowd']]
        stuff = {s['category_id'] for s in segs if not isthing[s['category_id']]}
        counts = {'instance': len(things), 'panoptic': len(things) + len(stuff),
                  'semantic': len({s['category_id'] for s in things}) + len(stuff)}
        assert any(s['iscrowd'] for s in segs)  # both images have a crowd region
        for task, count in counts.items():
            ds.tasks = (task, )
            out = ds[idx]
            assert len(out['gt_bboxes_labels']) == count, (task, ann['file_name'])
            labels = out['gt_bboxes_labels']
            if task != 'semantic':
                assert (labels[:len(things)] < 80).all() and (labels[len(things):] >= 80).all()


@needs_sample
def test_coco_samplegt_as_prediction(tmp_path: Path) -> None:
    instances = tmp_path / 'panoptic2instances_examples.json'
    panoptic_to_instances(COCO_SAMPLE / 'panoptic_examples.json',
                          COCO_SAMPLE / 'panoptic_examples', instances)
    cfg = Config.fromfile(str(BASES / 'coco_panoptic.py'))
    ds = _sample_dataset(cfg.test_pipeline)
    evaluator = dict(type='TaskEvaluator', metrics=dict(
        panoptic=dict(type='PanopticQualityMetric',
                      ann_file=str(COCO_SAMPLE / 'panoptic_examples.json'),
                      seg_prefix=str(COCO_SAMPLE / 'panoptic_examples')),
        instance=dict(type='InstanceSegMetric', ann_file=str(instances)),
        semantic=dict(type='SemSegIoUMetric')))
    metrics = evaluate(evaluator, ds, [gt_as_prediction(ds, i) for i in range(len(ds))])
    assert metrics['panoptic/PQ'] == pytest.approx(100.0)
    assert metrics['instance/segm_mAP'] == pytest.approx(1.0)
    assert metrics['semantic/mIoU'] == pytest.approx(100.0)
