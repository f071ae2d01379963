"""One evaluator per task, for models that are asked one task at a time."""
from typing import Dict, List, Optional, Sequence, Union

from mmengine.evaluator import Evaluator

from unibench.registry import EVALUATOR

MetricCfg = Union[dict, List[dict]]


@EVALUATOR.register_module()
class TaskEvaluator(Evaluator):
    """Holds an :class:`~mmengine.evaluator.Evaluator` for each task.

    The task loops (:mod:`unibench.engine.loops`) pick ``evaluator.task(name)`` for the pass
    that runs that task; metric keys carry the task prefix (``panoptic/PQ``).

    Args:
        metrics: Task name → metric config(s), e.g.
            ``dict(panoptic=dict(type='PanopticQualityMetric', ...), semantic=[...])``.
    """

    def __init__(self, metrics: Dict[str, MetricCfg]) -> None:
        if not isinstance(metrics, dict) or not metrics:
            raise TypeError('TaskEvaluator.metrics must map task names to metric configs, '
                            f'got {metrics!r}')
        self.evaluators = {task: Evaluator(cfg) for task, cfg in metrics.items()}
        super().__init__([m for ev in self.evaluators.values() for m in ev.metrics])

    @property
    def tasks(self) -> List[str]:
        return list(self.evaluators)

    def task(self, name: str) -> Evaluator:
        """The evaluator of one task; a task without metrics is a clear error."""
        if name not in self.evaluators:
            raise KeyError(f'no metrics configured for task {name!r}; evaluator has '
                           f'{self.tasks}')
        return self.evaluators[name]

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = dataset_meta
        for evaluator in getattr(self, 'evaluators', {}).values():
            evaluator.dataset_meta = dataset_meta

    def evaluate_tasks(self, size: int, tasks: Sequence[str]) -> dict:
        """Merged metrics of ``tasks``."""
        metrics = {}
        for name in tasks:
            metrics.update(self.task(name).evaluate(size))
        return metrics
