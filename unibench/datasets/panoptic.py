"""COCO-format panoptic datasets (synthetic shapes, COCO, ADE20K, Cityscapes).

All reuse mmdet's :class:`~mmdet.datasets.CocoPanopticDataset` loading, with two changes that a
benchmark needs: the contiguous label order follows ``metainfo['classes']`` (things first, as the
mask-classification heads and ``DeriveTaskTargets`` assume; mmdet uses the JSON order, which
interleaves things and stuff in Cityscapes), and bad input fails with the file or id named.
"""
import json
import os.path as osp
from typing import List, Optional, Sequence

from mmdet.datasets import CocoPanopticDataset
from mmdet.datasets.api_wrappers import COCOPanoptic

from unibench.datasets.transforms.task_targets import check_tasks, sample_task
from unibench.registry import DATASETS


class NameOrderedCategories:
    """Mixin for mmdet's COCO APIs: ``get_cat_ids(cat_names=...)`` follows the order of the names
    (pycocotools follows the JSON order)."""

    def get_cat_ids(self, cat_names: Sequence[str] = (), *args, **kwargs) -> List[int]:
        if not cat_names or args or kwargs:
            return super().get_cat_ids(cat_names, *args, **kwargs)
        return category_ids_in_order(self.cats.values(), cat_names, source='categories')


class OrderedCOCOPanoptic(NameOrderedCategories, COCOPanoptic):
    """mmdet's COCO panoptic API with name-ordered category ids."""


def category_ids_in_order(categories, names: Sequence[str], *, source: str) -> List[int]:
    """Category ids in the order of ``names``; a name the annotation lacks is skipped.

    Args:
        categories: COCO category dicts (``id``, ``name``).
        names: Class names, things first.
        source: Where the categories come from, for error messages.
    """
    by_name = {}
    for cat in categories:
        if cat['name'] in by_name:
            raise ValueError(f'{source}: category name {cat["name"]!r} appears twice')
        by_name[cat['name']] = cat['id']
    return [by_name[name] for name in names if name in by_name]


@DATASETS.register_module()
class UniPanopticDataset(CocoPanopticDataset):
    """mmdet's COCO panoptic dataset with class-ordered labels and checked inputs.

    Set ``metainfo`` to ``dict(classes=..., thing_classes=..., stuff_classes=...)`` (things
    first) or use a subclass that defines ``METAINFO``.

    Args:
        tasks: Training only: each time a sample is drawn, one of these tasks is sampled and
            stored as ``task`` for :class:`~unibench.datasets.transforms.DeriveTaskTargets`
            (OneFormer's per-image task sampling). Separately trained models name one task.
        task_probs: Sampling probabilities of ``tasks`` (default uniform, OneFormer's
            ``TASK_PROB``).
        *args, **kwargs: mmdet's ``CocoPanopticDataset`` arguments.
    """

    COCOAPI = OrderedCOCOPanoptic

    def __init__(self, *args, tasks: Sequence[str] = (),
                 task_probs: Optional[Sequence[float]] = None, **kwargs) -> None:
        if tasks:  # no tasks: evaluation data, the task loops set it
            check_tasks(tasks, task_probs, owner=type(self).__name__)
        self.tasks = tuple(tasks)
        self.task_probs = task_probs
        super().__init__(*args, **kwargs)

    def prepare_data(self, idx: int):
        """Loads sample ``idx`` through the pipeline, with a sampled ``task`` if configured."""
        data_info = self.get_data_info(idx)
        # OneFormer's texts name the classes; `_metainfo`: the `metainfo` property deep-copies
        # the whole palette on every call (6% of a sample's loading).
        data_info['classes'] = self._metainfo['classes']
        if self.tasks:
            data_info['task'] = sample_task(self.tasks, self.task_probs)
        return self.pipeline(data_info)

    def load_data_list(self) -> List[dict]:
        """Loads the annotation JSON; missing or corrupt files and empty splits raise."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'annotation file not found: {self.ann_file}')
        try:
            data_list = super().load_data_list()
        except json.JSONDecodeError as err:
            raise ValueError(f'corrupt annotation file {self.ann_file}: {err}') from err
        except KeyError as err:
            raise ValueError(f'annotation file {self.ann_file} lacks the key {err} '
                             '(expected COCO panoptic: images, annotations, categories)') from err
        if not data_list:
            raise ValueError(f'empty split: {self.ann_file} lists no images')
        if len(self.cat_ids) != len(self.metainfo['classes']):
            present = set(self._cat_names)
            missing = [n for n in self.metainfo['classes'] if n not in present]
            raise ValueError(f'{self.ann_file}: classes {missing} of the dataset metainfo are '
                             'not among its categories')
        # One stat per file (about a second for COCO train) beats a failure hours into a run.
        for key in ('img_path', 'seg_map_path'):
            missing = [info[key] for info in data_list
                       if info.get(key) and not osp.isfile(info[key])]
            if missing:
                raise FileNotFoundError(f'{len(missing)} {key} file(s) listed in '
                                        f'{self.ann_file} not found, e.g. {missing[:3]}')
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """mmdet's parsing, after checking the category ids and that segment ids are unique.

        Each entry of ``segments_info`` also carries the JSON ``area``, which
        :class:`~unibench.datasets.transforms.LoadPanopticAnnotations` checks against the PNG.
        """
        img_info = raw_data_info['raw_img_info']
        for ann in raw_data_info['raw_ann_info']:
            if ann['category_id'] not in self.cat2label:
                raise ValueError(
                    f'{self.ann_file}: image {img_info["file_name"]} has a '
                    f'segment with unknown category id {ann["category_id"]} (known: '
                    f'{sorted(self.cat2label)})')
        # The image's own segments_info, as listed (raw_ann_info repeats a duplicated id once
        # per occurrence and holds other images' segments of the same id).
        own = self.coco.imgToAnns[img_info['img_id']]
        ids = [seg['id'] for seg in own]
        if len(set(ids)) != len(ids):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(
                f'{self.ann_file}: image {img_info["file_name"]} lists segment ids {repeated} '
                'more than once in its segments_info; a segment id is a pixel value of the PNG '
                'and names one segment: fix the annotation')
        if not hasattr(self, '_cat_names'):
            self._cat_names = [c['name'] for c in self.coco.cats.values()]
        info = super().parse_data_info(raw_data_info)
        area = {seg['id']: seg.get('area') for seg in own}
        for seg in info['segments_info']:
            seg['area'] = area[seg['id']]
        return info
