from . import hooks, optim, pretrained  # noqa: F401  (register hooks, initialisers, optim)
from .checkpoint import allow_mmengine_checkpoints
from .loops import TaskTestLoop, TaskValLoop

__all__ = ['TaskTestLoop', 'TaskValLoop', 'allow_mmengine_checkpoints']
