"""In-context pairs for the painter: each query comes with context images of the same split."""
import copy
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, Compose

from unibench.datasets.transforms.task_targets import check_tasks, sample_task
from unibench.registry import DATASETS


@DATASETS.register_module()
class PainterPairDataset:
    """Wraps a panoptic dataset into (query, context) samples for in-context colouring.

    For sample ``idx``: a task is drawn (``tasks``: the panoptic annotation yields semantic and
    instance colouring tasks), the query is image ``idx`` through the wrapped dataset's pipeline,
    and the context is ``num_context`` other images of the same split through the same pipeline:
    one, or ``mix_num`` with probability ``mix_prob`` for semantic samples (mixed context,
    SegGPT §3.1). Context images are drawn with ``np.random`` (seeded per dataloader worker by
    mmengine) among images sharing a class with the query when ``share_class`` (SegGPT samples
    "another image that shares a similar context ... such as the same semantic category"). The
    result goes through ``pipeline`` (colouring, packing).

    Args:
        dataset: The wrapped dataset (config or instance); its pipeline gives same-size images.
        pipeline: Transforms of the ``dict(query=..., context=[...], task=...)`` sample.
        tasks: Colouring tasks to sample from.
        task_probs: Their probabilities (default uniform).
        mix_prob: Probability of a mixed context for a semantic sample.
        mix_num: Context images of a mixed context (tiled 2 x 2).
        share_class: Prefer context images sharing a class with the query.
        max_tries: Draws before giving up on a shared class.
    """

    def __init__(self, *, dataset: Union[dict, BaseDataset], pipeline: Sequence[dict],
                 tasks: Sequence[str] = ('semantic', 'instance'),
                 task_probs: Optional[Sequence[float]] = None, mix_prob: float = 0.0,
                 mix_num: int = 4, share_class: bool = True, max_tries: int = 10) -> None:
        check_tasks(tasks, task_probs, owner='PainterPairDataset')
        if 'panoptic' in tasks:
            raise ValueError('PainterPairDataset: the painter trains on "semantic" and '
                             '"instance" colouring; panoptic is decoded from both at inference')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.pipeline = Compose(pipeline)
        self.tasks = tuple(tasks)
        self.task_probs = task_probs
        self.mix_prob = mix_prob
        self.mix_num = mix_num
        self.share_class = share_class
        self.max_tries = max_tries
        self._classes: Optional[List[frozenset]] = None

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self) -> None:
        self.dataset.full_init()

    def __len__(self) -> int:
        return len(self.dataset)

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(idx)

    def __getitem__(self, idx: int) -> dict:
        task = sample_task(self.tasks, self.task_probs)
        mixed = task == 'semantic' and np.random.rand() < self.mix_prob
        context_ids = self.draw_context(idx, self.mix_num if mixed else 1)
        sample = dict(query=self.dataset[idx], context=[self.dataset[j] for j in context_ids],
                      task=task)
        return self.pipeline(sample)

    def draw_context(self, idx: int, num: int) -> List[int]:
        """``num`` indices of other images of the split, preferring a class shared with ``idx``.

        Raises:
            ValueError: The split has a single image (no context can be drawn).
        """
        n = len(self.dataset)
        if n < 2:
            raise ValueError('PainterPairDataset: the split needs at least two images to draw '
                             f'context from, it has {n}')
        classes = self.image_classes() if self.share_class else None
        picked = []
        for _ in range(num):
            for _ in range(self.max_tries):
                j = int(np.random.randint(0, n - 1))
                j += j >= idx  # uniform over the other images
                if classes is None or classes[j] & classes[idx]:
                    break
            picked.append(j)
        return picked

    def image_classes(self) -> List[frozenset]:
        """Per image, the set of labels of its annotated segments (read once)."""
        if self._classes is None:
            self._classes = [
                frozenset(s['category'] for s in self.dataset.get_data_info(i)
                          .get('segments_info', [])) for i in range(len(self.dataset))]
        return self._classes
