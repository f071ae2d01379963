"""The three evaluators on constructed cases with hand-computed PQ, AP and mIoU."""
import json

import numpy as np
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData, PixelData
from PIL import Image

from unibench.datasets.convert import id2rgb, panoptic_to_instances
from unibench.registry import DATASETS, EVALUATOR

CLASSES = ('a', 'b', 's', 't')  # things a, b; stuff s, t
METAINFO = dict(classes=CLASSES, thing_classes=CLASSES[:2], stuff_classes=CLASSES[2:])
S, T, A1, B1 = 10, 20, 30, 40  # segment ids


def gt_ids() -> np.ndarray:
    """8 x 8 scene: stuff s on top, t at the bottom, thing a1 inside t, thing b1 inside s."""
    ids = np.full((8, 8), S, np.int64)
    ids[4:] = T
    ids[4:6, 0:4] = A1  # 8 px
    ids[0:2, 4:8] = B1  # 8 px
    return ids


@pytest.fixture(scope='module')
def scene(tmp_path_factory):
    root = tmp_path_factory.mktemp('scene')
    (root / 'img').mkdir()
    (root / 'pan').mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / 'img' / 'x.jpg')
    ids = gt_ids()
    Image.fromarray(id2rgb(ids).astype(np.uint8)).save(root / 'pan' / 'x.png')
    cats = [dict(id=i + 1, name=n, isthing=int(i < 2), supercategory=n)
            for i, n in enumerate(CLASSES)]
    segs = []
    for sid, cat in ((S, 3), (T, 4), (A1, 1), (B1, 2)):
        ys, xs = np.nonzero(ids == sid)
        segs.append(dict(id=sid, category_id=cat, iscrowd=0, area=int(len(ys)),
                         bbox=[int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1,
                               int(np.ptp(ys)) + 1]))
    pan = dict(images=[dict(id=1, file_name='x.jpg', height=8, width=8)],
               annotations=[dict(image_id=1, file_name='x.png', segments_info=segs)],
               categories=cats)
    (root / 'pan.json').write_text(json.dumps(pan))
    panoptic_to_instances(root / 'pan.json', root / 'pan', root / 'inst.json')
    return root


def load_sample(scene) -> DetDataSample:
    dataset = DATASETS.build(dict(
        type='UniPanopticDataset', data_root=str(scene), ann_file='pan.json', metainfo=METAINFO,
        data_prefix=dict(img='img/', seg='pan/'), test_mode=True,
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadPanopticAnnotations', with_bbox=False, with_label=False,
                       with_mask=False, with_seg=True),
                  dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape',
                                                        'img_shape', 'scale_factor'))]))
    return dataset, dataset[0]['data_samples']


def evaluate(scene, task: str, prediction) -> dict:
    dataset, sample = load_sample(scene)
    evaluator = EVALUATOR.build(dict(type='TaskEvaluator', metrics=dict(
        panoptic=dict(type='PanopticQualityMetric', ann_file=str(scene / 'pan.json'),
                      seg_prefix=str(scene / 'pan')),
        instance=dict(type='InstanceSegMetric', ann_file=str(scene / 'inst.json')),
        semantic=dict(type='SemSegIoUMetric'))))
    evaluator.dataset_meta = dataset.metainfo
    setattr(sample, *prediction)
    evaluator.task(task).process([sample])
    return evaluator.task(task).evaluate(1)


def panoptic_pred(ids: np.ndarray) -> PixelData:
    """mmdet's panoptic encoding: label + instance * INSTANCE_OFFSET; void = len(classes)."""
    pan = np.full(ids.shape, len(CLASSES), np.int64)
    pan[ids == S], pan[ids == T] = 2, 3
    pan[ids == A1], pan[ids == B1] = 0 + 1 * INSTANCE_OFFSET, 1 + 2 * INSTANCE_OFFSET
    return PixelData(sem_seg=torch.from_numpy(pan)[None])


def instance_pred(masks, labels, scores) -> InstanceData:
    masks = torch.from_numpy(np.stack(masks))
    boxes = []
    for m in masks:
        ys, xs = torch.nonzero(m, as_tuple=True)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    return InstanceData(masks=masks, labels=torch.tensor(labels), scores=torch.tensor(scores),
                        bboxes=torch.tensor(boxes, dtype=torch.float32))


def semantic_pred(ids: np.ndarray) -> PixelData:
    sem = np.select([ids == A1, ids == B1, ids == S, ids == T], [0, 1, 2, 3])
    return PixelData(sem_seg=torch.from_numpy(sem)[None])


def test_ground_truth_as_prediction_scores_100(scene):
    ids = gt_ids()
    pq = evaluate(scene, 'panoptic', ('pred_panoptic_seg', panoptic_pred(ids)))
    assert pq['panoptic/PQ'] == pq['panoptic/PQ_th'] == pq['panoptic/PQ_st'] == 100.0
    ap = evaluate(scene, 'instance', ('pred_instances', instance_pred(
        [ids == A1, ids == B1], [0, 1], [0.9, 0.9])))
    assert ap['instance/segm_mAP'] == ap['instance/segm_mAP_50'] == 1.0
    miou = evaluate(scene, 'semantic', ('pred_sem_seg', semantic_pred(ids)))
    assert miou['semantic/mIoU'] == miou['semantic/aAcc'] == 100.0


def test_constructed_panoptic_prediction(scene):
    ids = gt_ids()
    pred = ids.copy()
    pred[ids == A1] = T  # a1 missed, its pixels go to t: t IoU 24/32, a FN
    pred[0:2, 7] = -1  # 2 px of b1 left void: b IoU 6/8
    pan = panoptic_pred(pred).sem_seg
    pan[0, 0:2, 7] = len(CLASSES)
    pq = evaluate(scene, 'panoptic', ('pred_panoptic_seg', PixelData(sem_seg=pan)))
    # per class PQ: s 1, t 0.75, a 0 (one FN), b 0.75
    assert pq['panoptic/PQ'] == pytest.approx(62.5, abs=0.01)
    assert pq['panoptic/PQ_th'] == pytest.approx(37.5, abs=0.01)
    assert pq['panoptic/PQ_st'] == pytest.approx(87.5, abs=0.01)
    # panopticapi averages SQ over every class with a segment: a (no TP) counts as 0
    assert pq['panoptic/SQ'] == pytest.approx(100 * (1 + 0.75 + 0 + 0.75) / 4, abs=0.01)
    assert pq['panoptic/RQ'] == pytest.approx(100 * (1 + 1 + 0 + 1) / 4, abs=0.01)


def test_constructed_instance_prediction(scene):
    ids = gt_ids()
    wrong_a = np.zeros((8, 8), bool)
    wrong_a[0:2, 0:4] = True  # class a predicted where there is none: a false positive
    ap = evaluate(scene, 'instance', ('pred_instances', instance_pred(
        [ids == B1, wrong_a], [1, 0], [0.9, 0.8])))
    # AP per class: b 1.0, a 0.0 (its only prediction misses) -> mean 0.5 at every IoU
    assert ap['instance/segm_mAP'] == pytest.approx(0.5, abs=1e-3)
    assert ap['instance/segm_mAP_75'] == pytest.approx(0.5, abs=1e-3)


def test_no_instance_predicted_at_all_scores_zero_not_missing(scene):
    empty = InstanceData(masks=torch.zeros(0, 8, 8, dtype=torch.bool),
                         labels=torch.zeros(0, dtype=torch.long), scores=torch.zeros(0),
                         bboxes=torch.zeros(0, 4))
    ap = evaluate(scene, 'instance', ('pred_instances', empty))
    assert ap['instance/segm_mAP'] == 0.0 and ap['instance/segm_mAP_50'] == 0.0
    assert {'instance/segm_mAP_75', 'instance/segm_mAP_s', 'instance/segm_mAP_l'} <= set(ap)


def test_constructed_semantic_prediction(scene):
    ids = gt_ids()
    pred = ids.copy()
    pred[ids == A1] = T  # class a: IoU 0; class t: IoU 24/32
    miou = evaluate(scene, 'semantic', ('pred_sem_seg', semantic_pred(pred)))
    assert miou['semantic/mIoU'] == pytest.approx(100 * (0 + 1 + 1 + 0.75) / 4, abs=0.01)
    assert miou['semantic/aAcc'] == pytest.approx(100 * 56 / 64, abs=0.01)


def test_unknown_task_names_the_configured_tasks(scene):
    evaluator = EVALUATOR.build(dict(type='TaskEvaluator', metrics=dict(
        semantic=dict(type='SemSegIoUMetric'))))
    with pytest.raises(KeyError, match=r"no metrics configured for task 'panoptic'"):
        evaluator.task('panoptic')
