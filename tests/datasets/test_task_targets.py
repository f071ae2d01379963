import numpy as np
import pytest
from mmdet.structures.mask import BitmapMasks

from unibench.datasets.transforms import DeriveTaskTargets, derive_task_targets

# A 4 x 6 panoptic scene with 2 thing classes (0, 1) and stuff classes 2, 3:
#   two instances of class 0, one of class 1, a crowd region of class 1 (in sem, no instance),
#   stuff 2 and 3, and a void pixel (255).
SEM = np.array([
    [0, 0, 2, 2, 1, 1],
    [0, 0, 2, 0, 0, 1],
    [3, 3, 2, 0, 0, 255],
    [3, 3, 1, 1, 2, 2],  # the two class-1 pixels at (3, 2:4) are crowd
], dtype=np.uint8)
INST = np.zeros((3, 4, 6), bool)
INST[0, 0:2, 0:2] = True  # class 0, instance A
INST[1, 1:3, 3:5] = True  # class 0, instance B
INST[2, 0:2, 4:6] = True  # class 1 (the 2x2 box minus (1, 4), which belongs to B)
INST[2, 1, 4] = False
LABELS = np.array([0, 0, 1])


def test_instance_targets_are_the_thing_instances_only():
    masks, labels = derive_task_targets('instance', SEM, INST, LABELS, 2)
    assert labels.tolist() == [0, 0, 1]
    np.testing.assert_array_equal(masks, INST)


def test_semantic_merges_things_per_class_and_drops_crowd():
    masks, labels = derive_task_targets('semantic', SEM, INST, LABELS, 2)
    assert labels.tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(masks[0], INST[0] | INST[1])
    np.testing.assert_array_equal(masks[1], INST[2])  # crowd pixels of class 1 excluded
    assert not masks[1][3, 2:4].any()
    np.testing.assert_array_equal(masks[2], SEM == 2)
    np.testing.assert_array_equal(masks[3], SEM == 3)
    assert not masks[:, 2, 5].any()  # void stays unlabelled


def test_panoptic_is_instances_then_stuff_per_class():
    masks, labels = derive_task_targets('panoptic', SEM, INST, LABELS, 2)
    assert labels.tolist() == [0, 0, 1, 2, 3]
    np.testing.assert_array_equal(masks[:3], INST)
    np.testing.assert_array_equal(masks[3], SEM == 2)
    np.testing.assert_array_equal(masks[4], SEM == 3)


def test_semantic_from_a_label_map_only_dataset():
    masks, labels = derive_task_targets('semantic', SEM, np.zeros((0, 4, 6), bool),
                                        np.zeros(0, np.int64), 0, from_label_map_only=True)
    assert labels.tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(masks[1], SEM == 1)  # no instances: class 1 incl. crowd


def _results(task=None):
    results = dict(gt_seg_map=SEM.copy(), gt_masks=BitmapMasks(INST.astype(np.uint8), 4, 6),
                   gt_bboxes_labels=LABELS.copy(), seg_map_path='x.png')
    if task:
        results['task'] = task
    return results


@pytest.mark.parametrize('task,num', [('panoptic', 5), ('instance', 3), ('semantic', 4)])
def test_transform_writes_the_task_targets(task, num):
    out = DeriveTaskTargets(num_things_classes=2)(_results(task))
    assert out['task'] == task
    assert 'gt_seg_map' not in out  # the head must take gt_instances as the final targets
    assert len(out['gt_masks']) == len(out['gt_bboxes_labels']) == len(out['gt_bboxes']) == num
    assert out['gt_ignore_flags'].dtype == bool and not out['gt_ignore_flags'].any()
    assert out['gt_bboxes_labels'].dtype == np.int64
    # boxes come from the masks: instance A spans x 0..2, y 0..2
    if task != 'semantic':
        assert out['gt_bboxes'].tensor[0].tolist() == [0, 0, 2, 2]


def test_transform_samples_tasks_uniformly_when_the_dataset_did_not():
    np.random.seed(0)
    transform = DeriveTaskTargets(num_things_classes=2)
    tasks = [transform(_results())['task'] for _ in range(600)]
    counts = {t: tasks.count(t) for t in ('panoptic', 'instance', 'semantic')}
    assert all(150 < c < 250 for c in counts.values()), counts


def test_min_area_drops_masks_cut_by_a_crop():
    out = DeriveTaskTargets(num_things_classes=2, tasks=('instance', ), min_area=4)(_results())
    assert out['gt_bboxes_labels'].tolist() == [0, 0]  # the class-1 instance has 3 pixels


def test_bad_task_names_fail_clearly():
    with pytest.raises(ValueError, match='unknown tasks'):
        DeriveTaskTargets(num_things_classes=2, tasks=('panoptc', ))
    with pytest.raises(ValueError, match="unknown task 'depth'"):
        DeriveTaskTargets(num_things_classes=2)(_results('depth'))
    results = _results('instance')
    del results['gt_masks']
    with pytest.raises(KeyError, match='needs instance masks.*x.png'):
        DeriveTaskTargets(num_things_classes=2)(results)


@pytest.mark.parametrize('task', ['instance', 'panoptic', 'semantic'])
def test_a_crop_without_things_gives_empty_instance_targets(task):
    stuff_only = np.full((4, 6), 2, np.uint8)
    results = dict(gt_seg_map=stuff_only, gt_masks=BitmapMasks(np.zeros((0, 4, 6), np.uint8), 4, 6),
                   gt_bboxes_labels=np.zeros(0, np.int64), task=task)
    out = DeriveTaskTargets(num_things_classes=2)(results)
    expected = [] if task == 'instance' else [2]
    assert out['gt_bboxes_labels'].tolist() == expected
    assert out['gt_masks'].masks.shape == (len(expected), 4, 6)
