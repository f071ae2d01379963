from .metrics import InstanceSegMetric, PanopticQualityMetric, SemSegIoUMetric
from .task_evaluator import TaskEvaluator

__all__ = ['InstanceSegMetric', 'PanopticQualityMetric', 'SemSegIoUMetric', 'TaskEvaluator']
