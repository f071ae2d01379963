"""Checkpoints that torch's ``weights_only`` loader reads (see :mod:`unibench.engine.checkpoint`)."""
from mmengine.hooks import Hook

from unibench.engine.checkpoint import make_loadable
from unibench.registry import HOOKS


@HOOKS.register_module()
class CheckpointStateHook(Hook):
    """Saves the message hub's buffers without their pickled statistics functions, so that
    ``--resume`` (and any ``torch.load(..., weights_only=True)``) can read the checkpoint."""

    priority = 'VERY_LOW'  # after every hook that adds to the checkpoint

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        make_loadable(checkpoint)
