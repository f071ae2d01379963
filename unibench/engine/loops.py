"""Validation and test loops that evaluate a model once per task.

A universal model is asked one task at a time (OneFormer's task token; the decoding of every
mask-classification model). Each pass sets ``metainfo['task']`` on the samples, runs the model and
feeds that task's metrics, so one checkpoint yields PQ, AP and mIoU.
"""
from typing import Callable, List, Optional, Sequence

from mmengine.logging import print_log
from mmengine.runner import TestLoop, ValLoop

from unibench.engine.painter_prompts import attach_prompts
from unibench.evaluation import TaskEvaluator
from unibench.registry import LOOPS


def _task_passes(loop, tasks: Sequence[str], run_iter: Callable) -> dict:
    attach_prompts(loop.runner.model)  # a painter's few-shot prompts, drawn once per run
    evaluator = loop.evaluator
    metrics = {}
    try:
        for task in tasks:
            print_log(f'evaluating task "{task}" on {len(loop.dataloader.dataset)} images',
                      logger='current')
            loop.evaluator = evaluator.task(task)
            for idx, data_batch in enumerate(loop.dataloader):
                for sample in data_batch['data_samples']:
                    sample.set_metainfo(dict(task=task))
                run_iter(idx, data_batch)
            metrics.update(loop.evaluator.evaluate(len(loop.dataloader.dataset)))
    finally:
        loop.evaluator = evaluator
    return metrics


def _check_tasks(evaluator, tasks: Optional[Sequence[str]]) -> List[str]:
    if not isinstance(evaluator, TaskEvaluator):
        raise TypeError('task loops need a TaskEvaluator (type="TaskEvaluator", '
                        f'metrics=dict(task=...)), got {type(evaluator).__name__}')
    tasks = list(tasks) if tasks else evaluator.tasks
    for task in tasks:
        evaluator.task(task)  # unknown tasks fail here, before any forward pass
    return tasks


@LOOPS.register_module()
class TaskValLoop(ValLoop):
    """:class:`~mmengine.runner.ValLoop` with one pass per task.

    Args:
        tasks: Tasks to evaluate; defaults to every task the evaluator has metrics for.
    """

    def __init__(self, runner, dataloader, evaluator, tasks: Optional[Sequence[str]] = None,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.tasks = _check_tasks(self.evaluator, tasks)

    def run(self) -> dict:
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        self.val_loss.clear()
        metrics = _task_passes(self, self.tasks, self.run_iter)
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics


@LOOPS.register_module()
class TaskTestLoop(TestLoop):
    """:class:`~mmengine.runner.TestLoop` with one pass per task (``tools/test.py --task``)."""

    def __init__(self, runner, dataloader, evaluator, tasks: Optional[Sequence[str]] = None,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.tasks = _check_tasks(self.evaluator, tasks)

    def run(self) -> dict:
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        self.runner.model.eval()
        self.test_loss.clear()
        metrics = _task_passes(self, self.tasks, self.run_iter)
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics
