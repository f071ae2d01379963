from .loading import LoadPanopticAnnotations
from .task_targets import TASKS, DeriveTaskTargets, derive_task_targets

__all__ = ['LoadPanopticAnnotations', 'DeriveTaskTargets', 'derive_task_targets', 'TASKS']
