from .accuracy import TopOneAccuracy
from .metrics import InstanceSegMetric, PanopticQualityMetric, SemSegIoUMetric
from .task_evaluator import TaskEvaluator

__all__ = ['TopOneAccuracy', 'InstanceSegMetric', 'PanopticQualityMetric', 'SemSegIoUMetric',
           'TaskEvaluator']
