"""The three task metrics, each computed by its reference implementation.

* panoptic: PQ / SQ / RQ (all, things, stuff) by mmdet's ``CocoPanopticMetric``;
* instance: mask AP / AP50 / AP75 by mmdet's ``CocoMetric(metric='segm')``;
* semantic: mIoU / aAcc by mmseg's ``IoUMetric``.

The subclasses only adapt interfaces: label → category id follows ``dataset_meta['classes']``
(things first; mmdet follows the JSON order), mmdet's ``sem_seg`` pixel fields are handed to
mmseg under its ``data`` key, and each metric's keys carry its task as prefix.
"""
from typing import Optional, Sequence

from mmdet.datasets.api_wrappers import COCO
from mmdet.evaluation.metrics import CocoMetric, CocoPanopticMetric
from mmengine.logging import print_log
from mmseg.evaluation.metrics import IoUMetric

from unibench.datasets.panoptic import NameOrderedCategories, OrderedCOCOPanoptic
from unibench.registry import METRICS

EMPTY_AP_SUFFIXES = ('', '_50', '_75', '_s', '_m', '_l')  # the keys mmdet's COCO AP reports


class OrderedCOCO(NameOrderedCategories, COCO):
    """mmdet's COCO API with name-ordered category ids."""


@METRICS.register_module()
class PanopticQualityMetric(CocoPanopticMetric):
    """PQ, SQ, RQ for all, thing and stuff classes (percent), keys ``panoptic/PQ`` etc."""

    default_prefix: Optional[str] = 'panoptic'

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._gt_png = {}
        if self._coco_api is not None:
            # Same data, label order taken from the class names (see module docstring).
            self._coco_api.__class__ = OrderedCOCOPanoptic
            self._gt_png = {a['image_id']: a['file_name']
                            for a in self._coco_api.dataset['annotations']}

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """mmdet names the GT PNG after the image; Cityscapes does not (``*_gtFine_panoptic``),
        so the annotation's own ``file_name`` is used."""
        if self._gt_png:
            data_samples = [dict(s, img_path=self._gt_png.get(s['img_id'], s['img_path']))
                            for s in data_samples]
        super().process(data_batch, data_samples)


@METRICS.register_module()
class InstanceSegMetric(CocoMetric):
    """COCO mask AP (fraction in [0, 1]), keys ``instance/segm_mAP``, ``..._50``, ``..._75``."""

    default_prefix: Optional[str] = 'instance'

    def __init__(self, *, metric: str = 'segm', **kwargs) -> None:
        super().__init__(metric=metric, **kwargs)
        if self._coco_api is not None:
            self._coco_api.__class__ = OrderedCOCO

    def compute_metrics(self, results: list) -> dict:
        """mmdet's AP; a model that predicted no instance at all scores 0 (with a warning),
        where mmdet logs an error and returns no AP, which a table would show as missing."""
        metrics = super().compute_metrics(results)
        for metric in self.metrics:
            if f'{metric}_mAP' not in metrics:
                print_log(f'{self.default_prefix}: no {metric} predictions on any of the '
                          f'{len(results)} images: AP is 0', logger='current', level=30)
                metrics.update({f'{metric}_mAP{s}': 0.0 for s in EMPTY_AP_SUFFIXES})
        return metrics


@METRICS.register_module()
class SemSegIoUMetric(IoUMetric):
    """mmseg's mIoU / aAcc / mAcc (percent) on mmdet data samples, keys ``semantic/mIoU``."""

    default_prefix: Optional[str] = 'semantic'

    def __init__(self, *, iou_metrics: Sequence[str] = ('mIoU', ), **kwargs) -> None:
        super().__init__(iou_metrics=list(iou_metrics), **kwargs)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Renames mmdet's ``sem_seg`` pixel field to mmseg's ``data`` and defers to mmseg."""
        adapted = []
        for sample in data_samples:
            if 'pred_sem_seg' not in sample or 'gt_sem_seg' not in sample:
                raise KeyError('SemSegIoUMetric needs pred_sem_seg (run the semantic task) and '
                               'gt_sem_seg (load it with LoadPanopticAnnotations(with_seg=True)) '
                               f'for {sample.get("img_path")}')
            adapted.append(dict(
                sample,
                pred_sem_seg=dict(data=sample['pred_sem_seg']['sem_seg']),
                gt_sem_seg=dict(data=sample['gt_sem_seg']['sem_seg'])))
        super().process(data_batch, adapted)
