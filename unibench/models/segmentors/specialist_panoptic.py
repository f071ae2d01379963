"""Two specialised models combined into panoptic segmentation (the classic baseline).

Kirillov et al., "Panoptic Segmentation", CVPR 2019, Sec. 7: a semantic segmenter's stuff and an
instance segmenter's things, merged by :func:`combine_semantic_and_instances`. Each child is built
from its own config and trained on its own; this model trains nothing.

The model is handed its two built children; configs say ``type='SpecialistPanoptic'`` with each
child's config file and checkpoint, which
:func:`unibench.engine.specialists.build_specialist_panoptic` (registered under that name) reads
before it builds this model.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from torch import nn

from unibench.models.postprocess.combine_panoptic import (
    OVERLAP_THR,
    SCORE_THR,
    STUFF_AREA,
    combine_semantic_and_instances,
)
from unibench.structures import TASKS


class SpecialistPanoptic(BaseModel):
    """A semantic and an instance model answering the three tasks.

    ``panoptic`` runs both children and combines their predictions; ``semantic`` and
    ``instance`` are forwarded to the child trained for them, so ``tools/test.py --task all``
    scores the pair on every task. Each child sees the raw batch through its own data
    preprocessor, as it was trained. The parameters are both children's.

    Args:
        semantic: A model writing ``pred_sem_seg`` over all classes (things first).
        instance: A model writing ``pred_instances`` over the thing classes.
        num_things_classes: Thing classes (labels ``[0, num_things_classes)``).
        num_stuff_classes: Stuff classes (the labels after the things).
        test_cfg: ``score_thr``, ``overlap_thr``, ``stuff_area`` of the combination (defaults:
            detectron2's 0.5, 0.5, 4096 px at COCO scale).
        train_cfg: Accepted for the tools' sake (``tools/test.py`` sets it to ``None``); must be
            empty, the pair is trained as two runs.
        data_preprocessor: Passes the raw batch on (``BaseDataPreprocessor``).
        init_cfg: Initialisation config.
    """

    family = 'specialist_panoptic'

    def __init__(self, *, semantic: nn.Module, instance: nn.Module, num_things_classes: int,
                 num_stuff_classes: int, test_cfg: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if train_cfg:
            raise ValueError('SpecialistPanoptic trains nothing (train_cfg must be None): train '
                             'its semantic and instance models and name their checkpoints')
        test_cfg = dict(test_cfg or {})
        unknown = set(test_cfg) - {'score_thr', 'overlap_thr', 'stuff_area'}
        if unknown:
            raise ValueError(f'SpecialistPanoptic.test_cfg: unknown keys {sorted(unknown)}; '
                             'expected score_thr, overlap_thr, stuff_area')
        self.combine_cfg = dict(score_thr=test_cfg.get('score_thr', SCORE_THR),
                                overlap_thr=test_cfg.get('overlap_thr', OVERLAP_THR),
                                stuff_area=test_cfg.get('stuff_area', STUFF_AREA))
        self.num_things_classes = num_things_classes
        self.num_classes = num_things_classes + num_stuff_classes
        for role, child in (('semantic', semantic), ('instance', instance)):
            if not isinstance(child, nn.Module):
                raise TypeError(f'SpecialistPanoptic.{role} must be a built model, got '
                                f'{type(child).__name__}: build the pair from its config '
                                "(type='SpecialistPanoptic', unibench.engine.specialists)")
        self.semantic = semantic
        self.instance = instance

    def forward(self, inputs: Any, data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Any:
        """``predict``: samples with their task's prediction; ``tensor``: both children's raw
        outputs (for the FLOP count); ``loss`` is refused."""
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return tuple(child(**self._child_batch(child, inputs, data_samples, task),
                               mode='tensor') for child, task in self._children_for('panoptic'))
        raise RuntimeError(f'SpecialistPanoptic does not support mode {mode!r}: it trains '
                           'nothing; train its semantic and instance models separately')

    def predict(self, inputs: Sequence[torch.Tensor], data_samples: list) -> list:
        """Writes ``pred_panoptic_seg``, ``pred_instances`` or ``pred_sem_seg`` by each sample's
        ``metainfo['task']`` (default ``panoptic``).

        Args:
            inputs: The raw images ``(3, H, W)`` of the batch.
            data_samples: Their data samples.
        """
        tasks = [s.metainfo.get('task', 'panoptic') for s in data_samples]
        unknown = sorted(set(tasks) - set(TASKS))
        if unknown:
            raise ValueError(f'SpecialistPanoptic: unknown task(s) {unknown}; expected {TASKS}')
        outputs: Dict[str, list] = {}
        for child, task in self._children_for(*tasks):
            outputs[task] = child.test_step(
                self._child_batch(child, inputs, data_samples, task, preprocess=False))
        for i, (sample, task) in enumerate(zip(data_samples, tasks)):
            if task == 'semantic':
                sample.pred_sem_seg = outputs['semantic'][i].pred_sem_seg
            elif task == 'instance':
                sample.pred_instances = outputs['instance'][i].pred_instances
            else:
                sem = outputs['semantic'][i].pred_sem_seg.sem_seg[0]
                inst = outputs['instance'][i].pred_instances
                panoptic = combine_semantic_and_instances(
                    sem, inst.masks, inst.labels, inst.scores,
                    num_things_classes=self.num_things_classes, num_classes=self.num_classes,
                    **self.combine_cfg)
                sample.pred_panoptic_seg = PixelData(sem_seg=panoptic[None])
        return data_samples

    def _children_for(self, *tasks: str) -> List[Tuple[nn.Module, str]]:
        """The (child, task it is asked) pairs that ``tasks`` need."""
        pairs = []
        if {'semantic', 'panoptic'} & set(tasks):
            pairs.append((self.semantic, 'semantic'))
        if {'instance', 'panoptic'} & set(tasks):
            pairs.append((self.instance, 'instance'))
        return pairs

    @staticmethod
    def _child_batch(child: nn.Module, inputs: Any, data_samples: Optional[list], task: str, *,
                     preprocess: bool = True) -> dict:
        """The batch as ``child`` sees it: samples re-tasked (shallow copies), optionally run
        through the child's own data preprocessor."""
        samples = None if data_samples is None else [
            s.new(metainfo={**s.metainfo, 'task': task}) for s in data_samples]
        batch = dict(inputs=inputs, data_samples=samples)
        return child.data_preprocessor(batch, False) if preprocess else batch

