from . import hooks  # noqa: F401  (registers RunRecordHook)
from .checkpoint import allow_mmengine_checkpoints
from .loops import TaskTestLoop, TaskValLoop

__all__ = ['TaskTestLoop', 'TaskValLoop', 'allow_mmengine_checkpoints']
