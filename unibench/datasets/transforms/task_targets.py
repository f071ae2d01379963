"""Derives the ground truth of one task from a panoptic annotation (OneFormer's task mapper)."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

from unibench.registry import TRANSFORMS
from unibench.structures import IGNORE_INDEX, TASKS


@TRANSFORMS.register_module()
class DeriveTaskTargets(BaseTransform):
    """Samples a task and rewrites the targets as that task's set of (mask, label) pairs.

    Follows the official OneFormer dataset mapper (``oneformer_unified_dataset_mapper.py``):

    * semantic: one mask per class present, thing instances of a class merged, crowd excluded;
    * instance: one mask per non-crowd thing instance, stuff ignored;
    * panoptic: one mask per stuff class present plus every non-crowd thing instance.

    Required keys: ``gt_seg_map`` (H, W) uint8 with contiguous labels, things in
    ``[0, num_things_classes)``, 255 = void (mmdet's ``LoadPanopticAnnotations`` gives this, crowd
    regions included); optionally ``gt_masks`` (N, H, W) and ``gt_bboxes_labels`` (N,) of the
    non-crowd thing instances. Without instance masks (a semantic-only dataset) only the semantic
    task can be derived.

    Modified keys: ``gt_masks``, ``gt_bboxes``, ``gt_bboxes_labels``, ``gt_ignore_flags``; removes
    ``gt_seg_map`` so the head takes ``gt_instances`` as the final targets. Added key: ``task``.

    Args:
        num_things_classes: Thing classes come first in the contiguous label space.
        tasks: Tasks to sample from when the dataset did not set ``results['task']``.
        probs: Sampling probabilities (default uniform, as OneFormer's ``TASK_PROB``).
        min_area: Masks with fewer pixels (e.g. cut by a crop) are dropped.
    """

    def __init__(self, *, num_things_classes: int, tasks: Sequence[str] = TASKS,
                 probs: Optional[Sequence[float]] = None, min_area: int = 1) -> None:
        check_tasks(tasks, probs, owner='DeriveTaskTargets')
        self.num_things_classes = num_things_classes
        self.tasks = tuple(tasks)
        self.probs = probs
        self.min_area = min_area

    def transform(self, results: dict) -> dict:
        task = results.get('task')  # sampled by the dataset (UniPanopticDataset.tasks)
        if task is None:
            task = sample_task(self.tasks, self.probs)
        elif task not in TASKS:
            raise ValueError(f'DeriveTaskTargets: unknown task {task!r}; expected one of {TASKS}')
        sem = results.pop('gt_seg_map')
        h, w = sem.shape
        if 'gt_masks' in results:
            inst_masks = results['gt_masks'].to_ndarray().astype(bool)
            inst_labels = np.asarray(results['gt_bboxes_labels'], dtype=np.int64)
        elif task == 'semantic':
            inst_masks = np.zeros((0, h, w), bool)
            inst_labels = np.zeros((0, ), np.int64)
        else:
            raise KeyError(f'DeriveTaskTargets: task {task!r} needs instance masks (gt_masks); '
                           f'{results.get("seg_map_path", "this sample")} has only a label map')
        masks, labels = derive_task_targets(
            task, sem, inst_masks, inst_labels, self.num_things_classes,
            from_label_map_only='gt_masks' not in results)
        keep = masks.sum(axis=(1, 2)) >= self.min_area
        masks, labels = masks[keep], labels[keep]
        bitmap = BitmapMasks(masks.astype(np.uint8), h, w)
        results['gt_masks'] = bitmap
        results['gt_bboxes'] = HorizontalBoxes(bitmap.get_bboxes(dst_type='hbox').tensor)
        results['gt_bboxes_labels'] = labels
        results['gt_ignore_flags'] = np.zeros(len(labels), dtype=bool)
        results['task'] = task
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(tasks={self.tasks}, probs={self.probs}, '
                f'num_things_classes={self.num_things_classes})')


def check_tasks(tasks: Sequence[str], probs: Optional[Sequence[float]], *, owner: str) -> None:
    """Raises ``ValueError`` (naming ``owner``) for unknown or no tasks and mismatched probs."""
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        raise ValueError(f'{owner}: unknown tasks {unknown}; choose from {TASKS}')
    if probs is not None and (len(probs) != len(tasks) or abs(sum(probs) - 1) > 1e-6):
        raise ValueError(f'{owner}: probs {probs} must match tasks {tasks} and sum to 1')


def sample_task(tasks: Sequence[str], probs: Optional[Sequence[float]] = None) -> str:
    """One task drawn from ``tasks`` (np.random: mmengine seeds it per dataloader worker)."""
    return tasks[0] if len(tasks) == 1 else str(np.random.choice(tasks, p=probs))


def derive_task_targets(task: str, sem: np.ndarray, inst_masks: np.ndarray,
                        inst_labels: np.ndarray, num_things_classes: int, *,
                        from_label_map_only: bool = False) -> tuple:
    """The (mask, label) set of one task.

    Args:
        task: ``'panoptic'``, ``'instance'`` or ``'semantic'``.
        sem: ``(H, W)`` contiguous label map, 255 = void; crowd regions carry their class.
        inst_masks: ``(N, H, W)`` bool masks of the non-crowd thing instances.
        inst_labels: ``(N,)`` their labels.
        num_things_classes: Labels below it are things.
        from_label_map_only: The dataset has no instance annotation: every class present in
            ``sem`` becomes one semantic mask.

    Returns:
        ``masks (M, H, W) bool`` and ``labels (M,) int64``, classes in increasing order (stuff
        after the thing instances for panoptic), as the official mapper orders them.
    """
    if task == 'instance':
        return inst_masks, inst_labels
    classes = [int(c) for c in np.unique(sem) if c != IGNORE_INDEX]
    stuff = [c for c in classes if from_label_map_only or c >= num_things_classes]
    stuff_masks = [sem == c for c in stuff]
    if task == 'panoptic':
        masks = list(inst_masks) + stuff_masks
        labels = list(inst_labels) + stuff
    elif task == 'semantic':
        # Thing classes from the instance masks: crowd pixels (in sem, not in any instance) drop.
        thing_ids = sorted({int(c) for c in inst_labels})
        masks = [inst_masks[inst_labels == c].any(0) for c in thing_ids] + stuff_masks
        labels = thing_ids + stuff
    else:
        raise ValueError(f'unknown task {task!r}; expected one of {TASKS}')
    h, w = sem.shape
    if not masks:
        return np.zeros((0, h, w), bool), np.zeros((0, ), np.int64)
    return np.stack(masks).astype(bool), np.asarray(labels, dtype=np.int64)
