"""The task vocabulary shared by data, models, evaluation and reports.

One universal model answers three tasks; each task has the field its predictions are written to
(mmdet's names), the metric a table leads with and the scale that metric is reported on (mmdet's
COCO AP is a fraction, PQ and mIoU are percentages already).
"""
import os.path as osp
from typing import Dict, NamedTuple, Tuple

TASKS: Tuple[str, ...] = ('panoptic', 'instance', 'semantic')

# Where a model writes each task's prediction on a DetDataSample.
PRED_FIELDS: Dict[str, str] = dict(panoptic='pred_panoptic_seg', instance='pred_instances',
                                   semantic='pred_sem_seg')

# Label of void / crowd / unlabelled pixels in every semantic map (mmseg's and COCO's).
IGNORE_INDEX = 255

# mmdet's panoptic id encoding: ``label + instance * INSTANCE_OFFSET`` (equal to
# ``mmdet.evaluation.functional.INSTANCE_OFFSET``; a test keeps them equal).
INSTANCE_OFFSET = 1000


class Headline(NamedTuple):
    """The metric a task's table column leads with: ``name`` in the task's results, shown as
    ``label`` after multiplying by ``scale``."""

    name: str
    label: str
    scale: float


HEADLINE: Dict[str, Headline] = dict(panoptic=Headline('PQ', 'PQ', 1.0),
                                     instance=Headline('segm_mAP', 'AP', 100.0),
                                     semantic=Headline('mIoU', 'mIoU', 1.0))


def prediction_dump(work_dir: str, task: str) -> str:
    """Where a run's predictions for the qualitative grid of ``task`` are dumped (written by
    :mod:`unibench.benchmark.predictions`, read by :mod:`unibench.reporting.figures`)."""
    return osp.join(work_dir, 'predictions', f'qualitative_{task}.npz')
