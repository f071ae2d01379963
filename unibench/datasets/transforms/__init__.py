from .loading import LoadPanopticAnnotations
from .task_targets import DeriveTaskTargets, check_tasks, derive_task_targets, sample_task

__all__ = ['LoadPanopticAnnotations', 'DeriveTaskTargets', 'derive_task_targets', 'check_tasks',
           'sample_task']
from .painter import PackPainterInputs, PainterColorize, PainterRandomResizedCrop  # noqa: E402  (the painter)

__all__ += ['PainterColorize', 'PackPainterInputs', 'PainterRandomResizedCrop']
