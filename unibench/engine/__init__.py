from . import amp, hooks, optim, pretrained, resume, specialists  # noqa: F401  (registers them)
from .checkpoint import allow_mmengine_checkpoints
from .loops import TaskTestLoop, TaskValLoop
from .painter_prompts import attach_prompts

__all__ = ['TaskTestLoop', 'TaskValLoop', 'allow_mmengine_checkpoints', 'attach_prompts']
